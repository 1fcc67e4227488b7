"""What the spider consumes and produces.

The spider's item is ``monitor.models.FetchResult`` itself (a frozen dataclass, which Scrapy's
itemadapter handles): one record per fetched URL, response or not, so the rest of the program never
sees a Scrapy type. ``PageItem`` is the Scrapy-facing name for it.
"""

from __future__ import annotations

from typing import Protocol

from monitor.models import FetchResult

PageItem = FetchResult

PAGE_KINDS = ("page", "feed", "sitemap")


class PageRequest(Protocol):
    """One URL to fetch (``monitor.crawl.FetchRequest`` satisfies it)."""

    @property
    def url(self) -> str: ...
    @property
    def etag(self) -> str | None: ...
    @property
    def last_modified(self) -> str | None: ...
    @property
    def kind(self) -> str: ...
    @property
    def follow_limit(self) -> int: ...
    @property
    def method(self) -> str: ...
    @property
    def body(self) -> bytes | None: ...
    @property
    def headers(self) -> tuple[tuple[str, str], ...]: ...
