"""CrawlDeadline: a whole-crawl time limit that actually bounds the crawl.

Scrapy's ``CLOSESPIDER_TIMEOUT`` stops taking requests from the scheduler, but the engine then waits for
every request already handed to the downloader, including those still queued behind a per-domain
concurrency limit: with 16 queued requests to one slow site and a 30 s timeout, "closing" can take
minutes. At ``CRAWL_DEADLINE`` seconds this extension starts closing the spider and fails the requests
still queued in the downloader with ``CrawlDeadlineExceeded`` (they become error results), so the crawl
ends within ``CRAWL_DEADLINE + DOWNLOAD_TIMEOUT`` (plus at most one retry backoff).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.python.failure import Failure

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

REASON = "crawl_deadline"


class CrawlDeadlineExceeded(Exception):
    """The crawl's time limit passed before this request reached the network."""


class CrawlDeadline:
    """Close the spider at ``CRAWL_DEADLINE`` seconds and fail the requests it would still wait for."""

    def __init__(self, crawler: Crawler, seconds: float) -> None:
        self.crawler = crawler
        self.seconds = seconds
        self._timer: asyncio.TimerHandle | None = None
        self._closing: asyncio.Future[None] | None = None  # held so the task is not garbage-collected

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        seconds = crawler.settings.getfloat("CRAWL_DEADLINE")
        if seconds <= 0:
            raise NotConfigured
        extension = cls(crawler, seconds)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        self._timer = asyncio.get_event_loop().call_later(self.seconds, self._expire)

    def spider_closed(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def _expire(self) -> None:
        engine = self.crawler.engine
        # close_spider_async marks the engine as closing in its first step, which stops it pulling more
        # requests from the scheduler; the drain is queued behind that step so nothing slips in between.
        self._closing = asyncio.ensure_future(engine.close_spider_async(reason=REASON))
        asyncio.get_event_loop().call_soon(self._drain)

    def _drain(self) -> None:
        """Fail every request waiting in a downloader slot queue (not those already transferring)."""
        error = CrawlDeadlineExceeded(f"crawl time limit ({self.seconds:g}s) reached before this request")
        dropped = 0
        for slot in list(self.crawler.engine.downloader.slots.values()):
            while slot.queue:
                _, waiting = slot.queue.popleft()
                waiting.errback(Failure(error))
                dropped += 1
        if self.crawler.stats is not None:
            self.crawler.stats.set_value("crawl_deadline/dropped", dropped)
