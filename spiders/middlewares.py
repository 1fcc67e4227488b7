"""Downloader middlewares: robots.txt for every waiting request, and retries that back off.

``RobotsTxtMiddleware`` (Scrapy 2.19) hands the parsed robots.txt only to the FIRST request that waited
for it: ``await maybe_deferred_to_future(parser)`` consumes the Deferred's result, so the third and later
requests to a host whose robots.txt was still loading get ``None`` and are let through (the relay that
kept the result for every waiter was dropped in scrapy/scrapy#6802). ``RobotsTxtForAllMiddleware``
restores the relay. A monitor fetches several pages per outlet at once, so this is the common case.
It also keeps parsed robots.txt files for ``ROBOTSTXT_CACHE_TTL`` seconds across crawls (the daemon
crawls every few minutes, and one robots.txt request per host per hour is polite enough), and honours
``Crawl-delay`` (capped at ``ROBOTSTXT_MAX_CRAWL_DELAY``) as the minimum gap between requests to that
host; ``CrawlDelayAutoThrottle`` keeps AutoThrottle from lowering it again.

Scrapy's ``RetryMiddleware`` re-queues a failed request at once; a site that answers 503 under load or
429 to a monitor gets hit again immediately. This subclass waits first: ``Retry-After`` when the server
sent one (429/503), otherwise ``RETRY_BACKOFF_BASE * 2**n`` with jitter. A ``Retry-After`` longer than
``RETRY_BACKOFF_MAX`` means "not in this crawl": the response is kept as the result and not retried.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, ClassVar

from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.extensions.throttle import AutoThrottle
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

if TYPE_CHECKING:
    from scrapy.core.downloader import Slot
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response
    from scrapy.robotstxt import RobotParser
    from scrapy.settings import BaseSettings


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or HTTP-date); None if absent/unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """``RetryMiddleware`` with a wait before each retry (see the module docstring)."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    def backoff(self, attempt: int) -> float:
        """Wait before retry number ``attempt`` (1-based): exponential, jittered, capped."""
        delay = self.backoff_base * 2 ** (attempt - 1)
        return min(self.backoff_max, delay * random.uniform(0.5, 1.0))  # noqa: S311 - jitter, not crypto

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: object = None
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        header = response.headers.get(b"Retry-After")
        asked = retry_after_seconds(header.decode("latin-1") if header else None)
        if asked is not None and asked > self.backoff_max:
            return response
        retry = self._retry(request, f"HTTP {response.status}")
        if retry is None:
            return response
        await asyncio.sleep(asked if asked is not None else self.backoff(retry.meta["retry_times"]))
        return retry

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception, spider: object = None
    ) -> Request | Response | None:
        if request.meta.get("dont_retry", False) or not isinstance(exception, self.exceptions_to_retry):
            return None
        retry = self._retry(request, exception)
        if retry is None:
            return None
        await asyncio.sleep(self.backoff(retry.meta["retry_times"]))
        return retry


class NoRefererRedirectMiddleware(RedirectMiddleware):
    """Scrapy's redirects, with no Referer on the redirected request (the Referer middleware is off: no
    site learns which page or feed led the monitor to it). Scrapy's own looks that middleware up when a
    crawl starts and, not finding it, logged a warning on every check; here its absence is the intent."""

    def handle_referer(self, request: Request, response: Response) -> None:
        request.headers.pop("Referer", None)

    def _engine_started(self) -> None:  # Scrapy's looks for the Referer middleware and warns
        return


class HostSlotMiddleware:
    """Throttle every request per host:port, robots.txt requests included.

    The spider keys its requests' download slots by host:port, the unit robots.txt and Crawl-delay
    apply to; the robots.txt requests Scrapy makes itself fell back to the bare host name, so the
    robots.txt files of outlets on one host but different ports queued in ONE slot, one per delay.
    """

    def process_request(self, request: Request, spider: object = None) -> None:
        request.meta.setdefault("download_slot", urlparse_cached(request).netloc)


class RobotsTxtForAllMiddleware(RobotsTxtMiddleware):
    """``RobotsTxtMiddleware`` whose robots.txt reaches every waiting request and outlives the crawl."""

    # netloc -> (monotonic time fetched, parser); shared by the crawls of one process, parsers only
    # (a robots.txt that could not be fetched is retried by the next crawl).
    _shared: ClassVar[dict[str, tuple[float, RobotParser]]] = {}

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        ttl = self.crawler.settings.getfloat("ROBOTSTXT_CACHE_TTL", 3600.0)
        cached = self._shared.get(netloc)
        if netloc not in self._parsers and cached and time.monotonic() - cached[0] < ttl:
            self._parsers[netloc] = cached[1]
        pending = self._parsers.get(netloc)
        if not isinstance(pending, Deferred):
            parser = await super().robot_parser(request)
            if parser is not None and ttl > 0 and self._shared.get(netloc, (0.0, None))[1] is not parser:
                self._shared[netloc] = (time.monotonic(), parser)
            return parser
        relay: Deferred[RobotParser | None] = Deferred()

        def forward(parser: RobotParser | None) -> RobotParser | None:
            relay.callback(parser)
            return parser  # keep the result in the chain for the next waiter

        pending.addCallback(forward)
        return await maybe_deferred_to_future(relay)

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        super().process_request_2(rp, request)  # raises IgnoreRequest when disallowed
        if rp is not None:
            self._honour_crawl_delay(rp, request)

    def _honour_crawl_delay(self, rp: RobotParser, request: Request) -> None:
        agent = self._robotstxt_useragent or self._default_useragent
        asked = rp.crawl_delay(agent)
        if not asked:
            return
        delay = min(float(asked), self.crawler.settings.getfloat("ROBOTSTXT_MAX_CRAWL_DELAY", 30.0))
        downloader = self.crawler.engine.downloader
        key, slot = downloader._get_slot(request)  # the slot this request will be queued in
        slot.delay, slot.jitter = max(slot.delay, delay), 0.0  # no jitter: it would dip below the gap
        crawl_delays(self.crawler)[key] = delay


def crawl_delays(crawler: Crawler) -> dict[str, float]:
    """Download slot key -> Crawl-delay asked by that host's robots.txt, for this crawl."""
    delays: dict[str, float] | None = getattr(crawler, "_press_monitor_crawl_delays", None)
    if delays is None:
        delays = {}
        crawler._press_monitor_crawl_delays = delays  # type: ignore[attr-defined]
    return delays


class CrawlDelayAutoThrottle(AutoThrottle):
    """AutoThrottle for a monitor: starts at ``DOWNLOAD_DELAY``, learns from 304s, and never lowers a
    slot's delay below its host's robots.txt ``Crawl-delay``.

    Scrapy's AutoThrottle only lowers a delay on a 200 (small error pages would fool it), so on a
    check where most pages answer 304 Not Modified every host stayed at ``AUTOTHROTTLE_START_DELAY``
    for the whole crawl. A 304 is the healthy answer a monitor hopes for, and its latency is real.
    """

    def _start_delay(self) -> float:
        return self.mindelay  # start at the configured delay; slow servers still push it up

    _slot_key = ""  # the slot of the response being adjusted for (set just before _adjust_delay)

    def _response_downloaded(self, response: Response, request: Request, spider: object = None) -> None:
        # ``response.meta`` is not available yet at response_downloaded (it raised AttributeError for
        # every response, logged with a traceback, and the Crawl-delay floor was never applied).
        self._slot_key = request.meta.get("download_slot", "")
        super()._response_downloaded(response, request, spider)  # type: ignore[arg-type]

    def _adjust_delay(self, slot: Slot, latency: float, response: Response) -> None:
        if response.status == 304:
            response = response.replace(status=200)
        super()._adjust_delay(slot, latency, response)
        try:
            key = response.meta.get("download_slot", "")
        except AttributeError:  # not tied to its request yet (the response_downloaded signal)
            key = self._slot_key
        slot.delay = max(slot.delay, crawl_delays(self.crawler).get(key, 0.0))
