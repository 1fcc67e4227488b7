"""OutletSpider: the one generic spider, driven by a list of requests (the storefinder pattern).

Every request ends in exactly one item (``FetchResult``): ``parse`` handles responses of any status
(``HTTPERROR_ALLOW_ALL``), ``failed`` turns download errors, robots.txt refusals and oversize bodies
into results. Feeds and sitemaps are fetched like pages and, with ``follow_limit`` > 0, their newest
article links are fetched too, each result carrying the feed URL as ``source``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import scrapy
from scrapy.utils.httpobj import urlparse_cached

from spiders.feeds import parse_feed
from spiders.items import PageItem, PageRequest
from spiders.outcomes import from_failure, from_response, invalid_url

if TYPE_CHECKING:
    from scrapy.http import Response
    from twisted.python.failure import Failure

Validators = Callable[[str], tuple[str | None, str | None]]
"""URL -> (ETag, Last-Modified) stored for it, (None, None) when unknown (e.g. ``Store.validators``)."""


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since for what the last snapshot of a URL carried."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


# Items of a sitemap index are sitemaps, not articles: follow only the newest few of them.
SITEMAP_INDEX_FOLLOW = 1


def same_site(link: str, origin: str) -> bool:
    """Same host as ``origin`` (ignoring a leading www.), or one of its subdomains (en.zona.media)."""
    host, home = _host(link), _host(origin)
    return bool(host) and (host == home or host.endswith("." + home) or ("." in host and home.endswith("." + host)))


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


class OutletSpider(scrapy.Spider):
    """Fetch the given pages, feeds and sitemaps once each; yield one ``FetchResult`` per fetched URL."""

    name = "outlet"

    def __init__(
        self,
        requests: Sequence[PageRequest] = (),
        validators: Validators | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.page_requests = list(requests)
        self.validators = validators

    async def start(self) -> AsyncIterator[scrapy.Request | PageItem]:
        for page in self.page_requests:
            headers = {**conditional_headers(page.etag, page.last_modified), **dict(page.headers)}
            try:
                request = self._request(page.url, page.kind, page.follow_limit, source=None, headers=headers)
                yield request.replace(method=page.method, body=page.body) if page.method != "GET" else request
            except ValueError as exc:  # not a URL at all: one bad entry must not stop the others
                yield invalid_url(page.url, str(exc))

    def _request(
        self,
        url: str,
        kind: str,
        follow_limit: int,
        source: str | None,
        headers: dict[str, str] | None = None,
    ) -> scrapy.Request:
        # dont_filter: duplicates are removed before the crawl; the dupe filter would otherwise drop a
        # redirect back to a URL already seen, and a dropped request yields no result at all.
        request = scrapy.Request(
            url,
            headers=headers,
            callback=self.parse,
            errback=self.failed,
            dont_filter=True,
            cb_kwargs={"url": url, "kind": kind, "follow_limit": follow_limit, "source": source},
        )
        # Throttle per host:port, the unit robots.txt (and so Crawl-delay) applies to; Scrapy's default
        # slot is the bare host name.
        request.meta["download_slot"] = urlparse_cached(request).netloc
        return request

    def parse(
        self, response: Response, url: str, kind: str, follow_limit: int, source: str | None
    ) -> Iterator[PageItem | scrapy.Request]:
        """One result for this response; then, for a feed or sitemap, requests for its newest links."""
        yield from_response(response, url, source)
        if kind == "page" or follow_limit <= 0 or response.status != 200:
            return
        listed = parse_feed(response.body, response.url)
        root = source or url
        # Only links on the outlet's own site: a hostile feed must not send us to other hosts (or to
        # internal addresses), nor fill the outlet's record with other sites' pages.
        links = [link for link in listed.links if same_site(link, root)]
        if listed.kind == "sitemapindex":
            if source is None:  # one level of index only: an index listing itself must not loop
                for child in links[:SITEMAP_INDEX_FOLLOW]:
                    yield self._request(child, "sitemap", follow_limit, source=root)
            return
        requested = {page.url for page in self.page_requests}
        # A listed article that is also watched as a page is fetched once, as that page.
        fresh = [link for link in links if link not in requested]
        for link in fresh[:follow_limit]:
            # Articles seen before are asked for conditionally too: a feed is polled far more often
            # than its articles change.
            headers = conditional_headers(*self.validators(link)) if self.validators else None
            yield self._request(link, "page", 0, source=root, headers=headers)

    def failed(self, failure: Failure) -> Iterator[PageItem]:
        """Errback: the request got no usable response; record why."""
        request = getattr(failure, "request", None)
        kwargs = request.cb_kwargs if request is not None else {}
        settings = self.crawler.settings
        yield from_failure(
            failure,
            kwargs.get("url", ""),
            kwargs.get("source"),
            timeout=settings.getfloat("DOWNLOAD_TIMEOUT"),
            max_bytes=settings.getint("DOWNLOAD_MAXSIZE"),
        )
