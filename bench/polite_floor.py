"""The polite floor: what any Scrapy-based monitor pays with press-monitor's politeness, and nothing else.

    python -m bench.polite_floor URLS_FILE VALIDATORS_JSON [DELAY_SECONDS]

A bare Scrapy spider with the same fetch settings as press-monitor's default (robots.txt, 0.5 s between
two requests to one host, 2 at a time per host, AutoThrottle, 128 in flight, no cookies), the pages
handed to Scrapy host by host in turn, conditional GETs with the ETags of the last run, and an lxml
parse of every 200 body. No storage, no archive, no detection. The floor (bench/floor.py) measures the
network and the parse; this one adds the per-host delay and Scrapy's own per-request cost, so the gap
between it and press-monitor is press-monitor's own work.
Prints one JSON line: {"pages", "ok", "not_modified", "failed", "bytes"}.
"""

from __future__ import annotations

import json
import sys
from itertools import zip_longest
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from lxml import etree
from scrapy.crawler import CrawlerProcess
from twisted.python.failure import Failure

SETTINGS = {
    "ROBOTSTXT_OBEY": True,
    "COOKIES_ENABLED": False,
    "CONCURRENT_REQUESTS": 128,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
    "DOWNLOAD_DELAY": 0.5,
    "DOWNLOAD_DELAY_JITTER": 0.0,
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 0.5,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
    # Scrapy's own recommendation for crawls of many hosts (its "broad crawls" page).
    "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue",
    "HTTPERROR_ALLOW_ALL": True,
    # Scrapy throttles by host name: the bench's outlets are one address on many ports, and real ones are
    # many hosts, so each host:port gets its own slot (robots.txt requests included), as in press-monitor.
    "DOWNLOADER_MIDDLEWARES": {"bench.polite_floor.SlotPerHostPort": 50},
    "TELNETCONSOLE_ENABLED": False,
    "LOG_LEVEL": "WARNING",
    "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
}


def hosts_in_turn(urls: list[str]) -> list[str]:
    """Page 1 of every host, then page 2 of every host, ...: no host waits behind another's pages."""
    by_host: dict[str, list[str]] = {}
    for url in urls:
        by_host.setdefault(urlsplit(url).netloc, []).append(url)
    return [url for turn in zip_longest(*by_host.values()) for url in turn if url is not None]


class SlotPerHostPort:
    def process_request(self, request: scrapy.Request, spider: object = None) -> None:
        request.meta.setdefault("download_slot", urlsplit(request.url).netloc)


class PoliteFloorSpider(scrapy.Spider):
    name = "polite-floor"

    def __init__(self, urls: list[str], etags: dict[str, str], counts: dict[str, int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls, self.etags, self.counts = urls, etags, counts
        self.parser = etree.HTMLParser()

    async def start(self) -> Any:
        for url in hosts_in_turn(self.urls):
            headers = {"If-None-Match": self.etags[url]} if url in self.etags else {}
            yield scrapy.Request(url, headers=headers, dont_filter=True, errback=self.failed)

    def parse(self, response: Any) -> None:
        if response.status == 304:
            self.counts["not_modified"] += 1
            return
        etree.fromstring(response.body, self.parser)
        self.counts["ok"] += 1
        self.counts["bytes"] += len(response.body)
        etag = response.headers.get("ETag")
        if etag:
            self.etags[response.url] = etag.decode("latin-1")

    def failed(self, failure: Failure) -> None:
        self.counts["failed"] += 1


def main() -> None:
    urls = Path(sys.argv[1]).read_text(encoding="utf-8").split()
    state = Path(sys.argv[2])
    etags = json.loads(state.read_text(encoding="utf-8")) if state.exists() else {}
    settings = dict(SETTINGS)
    if len(sys.argv) > 3:
        settings["DOWNLOAD_DELAY"] = float(sys.argv[3])
    counts = {"pages": len(urls), "ok": 0, "not_modified": 0, "failed": 0, "bytes": 0}
    process = CrawlerProcess(settings, install_root_handler=True)
    process.crawl(PoliteFloorSpider, urls=urls, etags=etags, counts=counts)
    process.start()
    state.write_text(json.dumps(etags), encoding="utf-8")
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
