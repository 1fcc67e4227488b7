"""Fetching: Scrapy crawls run in-process on the asyncio reactor, one crawl per ``fetch()`` call.

Why in-process: a Twisted reactor cannot be restarted, so the daemon installs
``AsyncioSelectorReactor`` once (``install_reactor``) and lives inside ``run(main)``; every check is then
an ``AsyncCrawlerRunner.crawl()`` awaited on the same asyncio loop that APScheduler's
``AsyncIOScheduler`` and aiosmtplib use. The CLI's one-shot commands go through the same ``run``.

    run(main) ──installs reactor──▶ reactor.run() drives the asyncio loop
       └─ main() ─▶ fetch(requests, settings) ─▶ AsyncCrawlerRunner ─▶ spiders.outlet.OutletSpider
                                                   └─ item_scraped ─▶ [FetchResult, ...]

Nothing here installs signal handlers or logging handlers: the daemon owns both.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import AsyncCrawlerRunner
from scrapy.settings import Settings

from monitor import USER_AGENT
from monitor.models import FetchResult

log = logging.getLogger(__name__)

T = TypeVar("T")
REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
KINDS = ("page", "feed", "sitemap")
MIN_DELAY = 0.001  # seconds; see build_settings
_RAN: list[bool] = []  # run() has started the reactor once; it cannot be started again


@dataclass(frozen=True)
class FetchSettings:
    """How politely and how far to fetch; becomes Scrapy settings at "project" priority."""

    user_agent: str = USER_AGENT
    obey_robots: bool = True
    timeout: float = 30.0  # per request, DNS lookup included (DOWNLOAD_TIMEOUT)
    max_bytes: int = 5_000_000  # DOWNLOAD_MAXSIZE; larger bodies become an error result
    concurrency_per_domain: int = 2
    autothrottle: bool = True
    retries: int = 2
    max_redirects: int = 5
    crawl_timeout: float = 600.0  # whole crawl bound (CRAWL_DEADLINE: ends within it + timeout)
    download_delay: float = 0.5  # minimum gap between requests to one domain (AutoThrottle's floor)
    backoff_base: float = 1.0  # first retry waits about this long, doubling after (Retry-After wins)
    backoff_max: float = 60.0  # longest wait before a retry; a longer Retry-After is not waited for
    # Verify TLS certificates (registries): against ``ca_file`` if given, else the system's trust store.
    # Outlet pages are fetched without verification (Scrapy's default): a label is evidence either way.
    verify_tls: bool = False
    ca_file: str | None = None


@dataclass(frozen=True)
class FetchRequest:
    """One URL to fetch; ``etag``/``last_modified`` from the last snapshot make it a conditional GET."""

    url: str
    etag: str | None = None  # sent as If-None-Match
    last_modified: str | None = None  # sent as If-Modified-Since
    kind: str = "page"  # "page" | "feed" (RSS/Atom) | "sitemap"
    follow_limit: int = 0  # for feeds/sitemaps: also fetch the N newest article URLs they list
    method: str = "GET"  # registries: the MoJ REST endpoint wants POST with a JSON body
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()  # extra request headers, e.g. Content-Type for the body

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"FetchRequest.kind must be one of {KINDS}, not {self.kind!r}")
        if self.follow_limit < 0:
            raise ValueError("FetchRequest.follow_limit must be >= 0")


def build_settings(settings: FetchSettings) -> Settings:
    """spiders/settings.py defaults overlaid with ``settings``, both at "project" priority."""
    result = Settings()
    result.setmodule("spiders.settings", priority="project")
    overrides: dict[str, Any] = {
        "USER_AGENT": settings.user_agent,
        "ROBOTSTXT_OBEY": settings.obey_robots,
        "DOWNLOAD_TIMEOUT": settings.timeout,
        "DOWNLOAD_MAXSIZE": settings.max_bytes,
        "DOWNLOAD_WARNSIZE": settings.max_bytes // 2,
        "CONCURRENT_REQUESTS_PER_DOMAIN": settings.concurrency_per_domain,
        "AUTOTHROTTLE_ENABLED": settings.autothrottle,
        # Scrapy 2.19 with asyncio hands a slot's whole queue to the network at once when the delay is
        # exactly 0 (the transfer count is only updated when each task starts), ignoring the per-domain
        # limit; any positive delay takes its one-at-a-time path, which keeps the limit.
        "DOWNLOAD_DELAY": max(settings.download_delay, MIN_DELAY),
        "RETRY_ENABLED": settings.retries > 0,
        "RETRY_TIMES": settings.retries,
        "RETRY_BACKOFF_BASE": settings.backoff_base,
        "RETRY_BACKOFF_MAX": settings.backoff_max,
        "REDIRECT_MAX_TIMES": settings.max_redirects,
        "CRAWL_DEADLINE": settings.crawl_timeout,
    }
    if settings.verify_tls or settings.ca_file:
        handlers = dict(result.getdict("DOWNLOAD_HANDLERS"))
        handlers["https"] = "monitor.registries.tls.VerifyingHTTPSHandler"
        overrides["DOWNLOAD_HANDLERS"] = handlers
        overrides["TLS_CA_FILE"] = settings.ca_file
    result.setdict(overrides, priority="project")
    return result


def install_reactor() -> None:
    """Install Twisted's asyncio reactor once per process (idempotent); call before anything else.

    Raises RuntimeError if another reactor is already installed (something imported
    ``twisted.internet.reactor`` first), since Scrapy and asyncio code could not share a loop then.
    """
    from scrapy.utils.reactor import install_reactor as scrapy_install
    from scrapy.utils.reactor import is_asyncio_reactor_installed, is_reactor_installed

    if not is_reactor_installed():
        scrapy_install(REACTOR)
    if not is_asyncio_reactor_installed():
        raise RuntimeError(f"a non-asyncio Twisted reactor is already installed; {REACTOR} is required")


def run(main: Callable[[], Awaitable[T]]) -> T:
    """Run ``main()`` on the loop the reactor drives; return its result or re-raise its exception.

    Blocks until ``main`` finishes, then stops the reactor, which cannot be started again: call once
    per process. Twisted's signal handlers are not installed (the daemon installs its own on the loop).
    """
    install_reactor()
    from twisted.internet import reactor
    from twisted.internet.defer import Deferred

    if reactor.running:
        raise RuntimeError("run() is already running; await the coroutine instead")
    if _RAN:
        raise RuntimeError("run() was already used in this process: a Twisted reactor cannot restart")
    _RAN.append(True)
    outcome: dict[str, Any] = {}

    def start() -> None:
        future = asyncio.ensure_future(main())
        deferred = Deferred.fromFuture(future)
        deferred.addCallbacks(
            lambda value: outcome.setdefault("value", value),
            lambda failure: outcome.setdefault("error", failure.value),
        )
        deferred.addBoth(lambda _: reactor.stop())

    reactor.callWhenRunning(start)
    reactor.run(installSignalHandlers=False)
    if "error" in outcome:
        raise outcome["error"]
    if "value" not in outcome:
        raise RuntimeError("the reactor stopped before main() finished")
    return outcome["value"]  # type: ignore[no-any-return]


class _QuietRobotsErrors(logging.Filter):
    """Scrapy logs an unreachable robots.txt at ERROR with a traceback; the page request fails the same
    way and becomes an error result, so one WARNING line without the traceback says enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.ERROR and str(record.msg).startswith("Error downloading"):
            record.levelno, record.levelname, record.exc_info, record.exc_text = (
                logging.WARNING,
                "WARNING",
                None,
                None,
            )
        return True


def _quiet_robots_errors() -> None:
    robots_log = logging.getLogger("scrapy.downloadermiddlewares.robotstxt")
    if not any(isinstance(f, _QuietRobotsErrors) for f in robots_log.filters):
        robots_log.addFilter(_QuietRobotsErrors())


def _unique(requests: Sequence[FetchRequest]) -> list[FetchRequest]:
    """First request per URL, in order: one result per URL is the contract."""
    seen: dict[str, FetchRequest] = {}
    for request in requests:
        seen.setdefault(request.url, request)
    return list(seen.values())


def hosts_in_turn(pages: Sequence[FetchRequest]) -> list[FetchRequest]:
    """``pages`` reordered so consecutive requests go to different hosts (each host's own order kept).

    Scrapy takes start requests only while fewer than CONCURRENT_REQUESTS are in its downloader, and a
    host sends one request per delay: in watchlist order (an outlet's pages together), the first 128
    taken were the pages of 13 outlets, and the other outlets started in waves, half a second apart."""
    by_host: dict[str, deque[FetchRequest]] = {}
    for page in pages:
        by_host.setdefault(urlsplit(page.url).netloc, deque()).append(page)
    ordered: list[FetchRequest] = []
    queues = list(by_host.values())
    while queues:
        ordered.extend(queue.popleft() for queue in queues)
        queues = [queue for queue in queues if queue]
    return ordered


def _missing(request: FetchRequest, reason: str) -> FetchResult:
    return FetchResult(
        url=request.url,
        final_url=request.url,
        status=None,
        headers={},
        body=b"",
        fetched_at=datetime.now(UTC),
        error=reason,
    )


async def fetch(
    requests: Sequence[FetchRequest],
    settings: FetchSettings,
    validators: Callable[[str], tuple[str | None, str | None]] | None = None,
) -> list[FetchResult]:
    """Fetch all ``requests`` in one Scrapy crawl; one FetchResult per fetched URL.

    Requested URLs come first, in request order (each exactly once, whatever happened), then the
    articles followed from feeds and sitemaps (``source`` set). Callable repeatedly on one reactor.
    ``validators(url) -> (etag, last_modified)``, if given, makes followed articles conditional GETs
    too (requested pages carry theirs in the FetchRequest). Holds every body until the crawl ends:
    for a whole watchlist, :func:`fetch_each` keeps memory flat.
    """
    pages = _unique(requests)
    if not pages:
        return []
    items: list[FetchResult] = []
    reason = await _crawl(pages, settings, validators, items.append)
    return _assemble(pages, items, reason)


async def fetch_each(
    requests: Sequence[FetchRequest],
    settings: FetchSettings,
    on_result: Callable[[FetchResult], None],
    validators: Callable[[str], tuple[str | None, str | None]] | None = None,
) -> None:
    """Like :func:`fetch`, but hand each result to ``on_result`` as soon as it arrives, then a
    placeholder error result for each requested URL the crawl never reached.

    The same results as ``fetch`` (each URL once), in arrival order. No body outlives its handling,
    so a check of 10,000 pages needs no more memory than one of 100, and handling overlaps the
    network. If ``on_result`` raises, the crawl is stopped and the exception re-raised here.
    """
    pages = _unique(requests)
    asked = {page.url for page in pages}
    done: set[str] = set()
    failure: list[BaseException] = []

    def deliver(item: FetchResult) -> None:
        if failure or item.url in done or (item.source is not None and item.url in asked):
            return
        done.add(item.url)
        try:
            on_result(item)
        except Exception as exc:
            failure.append(exc)
            raise _StopCrawl from exc

    reason = await _crawl(pages, settings, validators, deliver) if pages else "finished"
    if failure:
        raise failure[0]
    why = "crawl time limit reached before fetch" if reason in _TIMED_OUT else "not fetched"
    for page in pages:
        if page.url not in done:
            on_result(_missing(page, f"{why} ({reason})"))


class _StopCrawl(Exception):
    """Raised by a result handler that failed: stop fetching, the error is reported after the crawl."""


async def _crawl(
    pages: list[FetchRequest],
    settings: FetchSettings,
    validators: Callable[[str], tuple[str | None, str | None]] | None,
    on_item: Callable[[FetchResult], None],
) -> str:
    """One crawl of ``pages``, every scraped FetchResult to ``on_item``; returns the finish reason."""
    from spiders.outlet import OutletSpider

    install_reactor()
    _quiet_robots_errors()
    runner = AsyncCrawlerRunner(build_settings(settings))
    crawler = runner.create_crawler(OutletSpider)
    counts = {"results": 0, "failed": 0}
    stopping: list[asyncio.Future[None]] = []

    def collect(item: Any, **_: Any) -> None:
        if not isinstance(item, FetchResult) or stopping:
            return
        counts["results"] += 1
        counts["failed"] += item.error is not None
        try:
            on_item(item)
        except _StopCrawl:
            assert crawler.engine is not None
            stopping.append(asyncio.ensure_future(crawler.engine.close_spider_async(reason="handler_error")))

    crawler.signals.connect(collect, signal=signals.item_scraped)
    started = time.monotonic()
    await runner.crawl(crawler, requests=hosts_in_turn(pages), validators=validators)
    reason = (crawler.stats.get_value("finish_reason") if crawler.stats else None) or "unknown"
    log.info(
        "fetched %d URLs (%d requested, %d failed) in %.1fs, finish reason %s",
        counts["results"],
        len(pages),
        counts["failed"],
        time.monotonic() - started,
        reason,
    )
    return str(reason)


_TIMED_OUT = ("crawl_deadline", "closespider_timeout")


def _assemble(pages: list[FetchRequest], items: list[FetchResult], reason: str) -> list[FetchResult]:
    """Requested URLs in order (a placeholder error when the crawl ended first), then followed ones."""
    by_url: dict[str, FetchResult] = {}
    followed: list[FetchResult] = []
    for item in items:
        if item.source is None:
            by_url.setdefault(item.url, item)
        elif item.url not in by_url and all(f.url != item.url for f in followed):
            followed.append(item)
    why = "crawl time limit reached before fetch" if reason in _TIMED_OUT else "not fetched"
    requested = [by_url.get(page.url) or _missing(page, f"{why} ({reason})") for page in pages]
    asked = {page.url for page in pages}
    return requested + [f for f in followed if f.url not in asked]
