"""The scheduler queue: hosts served in turn, a busy host waits while an idle one has requests."""

from __future__ import annotations

import random
from types import SimpleNamespace
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.pqueues import DownloaderAwarePriorityQueue
from scrapy.settings import Settings
from scrapy.squeues import FifoMemoryQueue

from monitor.crawl import FetchRequest, hosts_in_turn
from spiders.queues import HostTurnQueue


class Downloader:
    """What the queue asks of Scrapy's downloader: a request's slot, and each slot's active requests."""

    def __init__(self) -> None:
        self.slots: dict[str, SimpleNamespace] = {}

    def get_slot_key(self, request: Request) -> str:
        return urlsplit(request.url).netloc

    def busy(self, host: str, requests: int) -> None:
        self.slots[host] = SimpleNamespace(active=set(range(requests)))


def _queue(cls: type[DownloaderAwarePriorityQueue] = HostTurnQueue) -> tuple[DownloaderAwarePriorityQueue, Downloader]:
    downloader = Downloader()
    crawler = SimpleNamespace(settings=Settings(), engine=SimpleNamespace(downloader=downloader))
    return cls(crawler, FifoMemoryQueue, ""), downloader


def _push(queue: DownloaderAwarePriorityQueue, counts: dict[str, int]) -> None:
    for host, n in counts.items():
        for i in range(n):
            queue.push(Request(f"http://{host}/{i}"))


def _host(request: Request | None) -> str | None:
    return None if request is None else urlsplit(request.url).netloc


def test_idle_hosts_are_served_in_turn_each_in_its_own_order() -> None:
    queue, _ = _queue()
    _push(queue, {"a": 3, "b": 3, "c": 2})
    assert len(queue) == 8
    popped = [queue.pop() for _ in range(8)]
    assert [_host(r) for r in popped] == ["a", "b", "c", "a", "b", "c", "a", "b"]
    assert [r.url for r in popped if _host(r) == "a"] == ["http://a/0", "http://a/1", "http://a/2"]
    assert len(queue) == 0
    assert queue.pop() is None


def test_a_host_with_a_request_in_flight_waits_while_another_has_none() -> None:
    queue, downloader = _queue()
    _push(queue, {"a": 2, "b": 2})
    downloader.busy("a", 1)
    assert [_host(queue.pop()) for _ in range(2)] == ["b", "b"]
    assert _host(queue.pop()) == "a"  # only busy hosts left: the least busy one, as Scrapy's queue does
    downloader.busy("a", 2)
    queue.push(Request("http://c/0"))
    downloader.busy("c", 1)
    assert _host(queue.pop()) == "c"  # fewer in flight than a
    assert _host(queue.pop()) == "a"
    assert len(queue) == 0


def test_every_request_is_handed_out_once_as_by_scrapys_queue() -> None:
    rng = random.Random(5)  # noqa: S311 - a seeded mix of pushes and pops, not a secret
    ours, our_downloader = _queue()
    scrapys, their_downloader = _queue(DownloaderAwarePriorityQueue)
    pushed, popped = [], {"ours": [], "scrapy's": []}
    for step in range(600):
        if rng.random() < 0.6:
            request = Request(f"http://h{rng.randrange(12)}/{step}")
            pushed.append(request.url)
            ours.push(request)
            scrapys.push(request)
        else:
            host = f"h{rng.randrange(12)}"
            busy = rng.randrange(3)
            our_downloader.busy(host, busy)
            their_downloader.busy(host, busy)
            for name, queue in (("ours", ours), ("scrapy's", scrapys)):
                if (request := queue.pop()) is not None:
                    popped[name].append(request.url)
        assert len(ours) == len(scrapys)
    for name, queue in (("ours", ours), ("scrapy's", scrapys)):
        while (request := queue.pop()) is not None:
            popped[name].append(request.url)
    assert sorted(popped["ours"]) == sorted(popped["scrapy's"]) == sorted(pushed)


def test_a_crawl_starts_with_one_page_of_every_host_and_keeps_each_hosts_order() -> None:
    watchlist = [
        FetchRequest(f"http://{host}/{n}") for host in ("a", "b:8080", "c") for n in range(3 if host != "c" else 1)
    ]
    ordered = [r.url for r in hosts_in_turn(watchlist)]
    assert ordered == [
        "http://a/0",
        "http://b:8080/0",
        "http://c/0",
        "http://a/1",
        "http://b:8080/1",
        "http://a/2",
        "http://b:8080/2",
    ]
    assert sorted(ordered) == sorted(r.url for r in watchlist)  # nothing lost or repeated
