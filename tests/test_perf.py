"""The hot-path changes made for bench/ (issue #8): throttling that learns from 304s, the archive's
append-only revisit journal, results processed as they arrive."""

from __future__ import annotations

from scrapy import Request


def test_autothrottle_learns_from_304s_and_keeps_crawl_delay_on_the_signal_path():
    """A check is mostly 304s: they must lower the delay too. Through the response_downloaded signal the
    response is not tied to its request yet, so the slot comes from the request."""
    from scrapy.core.downloader import Slot
    from scrapy.http import Response
    from scrapy.utils.test import get_crawler

    from spiders.middlewares import CrawlDelayAutoThrottle, crawl_delays

    crawler = get_crawler(settings_dict={"AUTOTHROTTLE_ENABLED": True})
    throttle = CrawlDelayAutoThrottle(crawler)
    throttle.mindelay, throttle.maxdelay = 0.01, 60.0
    assert throttle._start_delay() == 0.01  # starts at the configured delay, not AUTOTHROTTLE_START_DELAY
    fast, polite = Slot(1, 1.0, 0.0), Slot(1, 1.0, 0.0)
    crawl_delays(crawler)["polite.example"] = 0.3
    throttle._get_slot = lambda request, spider: (  # type: ignore[method-assign]
        request.meta["download_slot"],
        fast if request.meta["download_slot"] == "fast.example" else polite,
    )
    for host in ("fast.example", "polite.example"):
        request = Request(f"https://{host}/", meta={"download_slot": host, "download_latency": 0.0})
        for _ in range(8):
            throttle._response_downloaded(Response(f"https://{host}/", status=304), request, None)
    assert fast.delay < 0.05
    assert polite.delay == 0.3


def test_revisit_index_is_a_journal_that_survives_restarts_and_compacts(tmp_path, monkeypatch):
    from datetime import UTC, datetime

    from monitor import archive as archive_module
    from monitor.archive import WarcArchive
    from monitor.models import FetchResult

    monkeypatch.setattr(archive_module, "JOURNAL_MIN", 3)
    at = datetime(2026, 3, 1, tzinfo=UTC)

    def fetch(n: int, body: bytes = b"<html>same</html>") -> FetchResult:
        return FetchResult(f"https://o.example/{n}", f"https://o.example/{n}", 200, {}, body, at)

    archive = WarcArchive(tmp_path)
    for version in range(4):  # one URL, four bodies: the 4th journal line exceeds max(3, 1) and compacts
        archive.write(fetch(0, f"<html>v{version}</html>".encode()))
    assert (tmp_path / "revisit-index.json").exists()
    assert not (tmp_path / "revisit-index.jsonl").exists()
    first = [archive.write(fetch(n)) for n in range(1, 4)]  # journaled, not compacted
    assert len((tmp_path / "revisit-index.jsonl").read_text().splitlines()) == 3
    with (tmp_path / "revisit-index.jsonl").open("a") as journal:
        journal.write('["torn", {"dig')  # a crash mid-line
    again = WarcArchive(tmp_path)
    assert len(again._last) == 4
    for n, before in zip(range(1, 4), first, strict=True):
        ref = again.write(fetch(n))
        assert ref != before
        assert again._headers(ref)["WARC-Type"] == "revisit"
        assert again.read(ref)[1] == b"<html>same</html>"
    assert again.read(again.write(fetch(0, b"<html>v3</html>")))[1] == b"<html>v3</html>"


FETCH_EACH_SCRIPT = """
import json, sys
from monitor.crawl import FetchRequest, FetchSettings, fetch_each, run

base = sys.argv[1]
settings = FetchSettings(retries=0, autothrottle=False, download_delay=0.0, concurrency_per_domain=8, obey_robots=False)
seen, handled = [], []

def boom(result):
    handled.append(result.url)
    raise ValueError("store is down")

async def main():
    urls = [base + f"/articles/each{n}.html" for n in range(4)]
    requests = [FetchRequest(u) for u in [*urls, urls[0], "not a url"]]
    await fetch_each(requests, settings, lambda r: seen.append([r.url, r.status, len(r.body), r.error]))
    try:
        await fetch_each([FetchRequest(base + f"/articles/stop{n}.html") for n in range(30)], settings, boom)
    except ValueError as exc:
        return {"seen": seen, "handled": handled, "error": str(exc)}
    return {"seen": seen, "handled": handled, "error": None}

print(json.dumps(run(main)))
"""


def test_fetch_each_hands_over_each_result_once_and_stops_when_the_handler_fails(mockserver):
    import json
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-c", FETCH_EACH_SCRIPT, mockserver.base],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=repo,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    urls = [url for url, *_ in out["seen"]]
    assert sorted(urls) == sorted([mockserver.base + f"/articles/each{n}.html" for n in range(4)] + ["not a url"])
    assert all(status == 200 and size > 0 for url, status, size, _ in out["seen"] if url != "not a url")
    assert out["error"] == "store is down"
    assert len(out["handled"]) == 1  # nothing more is handed over once the handler failed
