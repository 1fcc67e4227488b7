"""monitor.crawl end to end: real Scrapy crawls against the real mockserver.

Why a subprocess: the Twisted reactor is process-global, bound to one asyncio loop and cannot be
restarted, while pytest-asyncio (strict mode) gives every async test a fresh loop of its own. Installing
the reactor inside pytest would tie it to whichever loop came first and break the other engineers'
asyncio tests. So this module runs ITSELF as a script, once: ``python tests/test_crawl.py`` reads a
plan of fetch batches (JSON on stdin), runs them one after another inside a single ``run(main)`` (the
daemon's situation: several crawls on one reactor), and prints the results as JSON. The tests below
assert on that output and on the mockserver's hit counters. One process start, all batches in a few
seconds, no sleeps: waiting is done by the crawl itself.
"""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
FAST = {"retries": 0, "autothrottle": False, "download_delay": 0.0, "concurrency_per_domain": 8}


MAIN_PATHS = (
    "/articles/1.html",
    "/enc/windows-1251",
    "/enc/koi8-r?header=none",
    "/status/404",
    "/status/500",
    "/status/451",
    "/delay/10",
    "/stall/10",
    "/redirect?to=/articles/2.html",
    "/redirect-chain/2",
    "/redirect-loop",
    "/redirect?to=ftp://127.0.0.1/x",
    "/private/secret.html",
    "/big/300000",
    "/big-stream/400000",
    "/gzip-bomb/5000000",
    "/drop",
    "/echo-headers",
)


def _main_requests(ms: Any) -> list[dict[str, Any]]:
    """The big batch: one request per behaviour, plus conditional GETs, feeds and non-HTTP failures."""
    return [{"url": ms.url(p)} for p in MAIN_PATHS] + [
        {"url": ms.url("/etag/v1"), "etag": '"v1"'},
        {"url": ms.url("/etag/v2"), "etag": '"old"'},
        {"url": ms.url("/etag/v3"), "last_modified": "Mon, 02 Mar 2026 10:00:00 GMT"},
        {"url": ms.url("/feed.xml"), "kind": "feed", "follow_limit": 2},
        {"url": ms.url("/atom.xml"), "kind": "feed", "follow_limit": 1},
        {"url": ms.url("/sitemap-index.xml"), "kind": "sitemap", "follow_limit": 2},
        {"url": ms.url("/feed-echo.xml"), "kind": "feed", "follow_limit": 1},
        {"url": ms.url("/articles/1.html")},  # a duplicate: still one result
        {"url": "http://127.0.0.1:1/refused"},
        {"url": ms.url("/articles/1.html", alt=True, scheme="https")},
        {"url": ms.url("/articles/alt-1.html", alt=True)},
        {"url": "not a url"},
        {"url": "file:///etc/passwd"},
    ]


def _plan(ms: Any) -> dict[str, Any]:
    """Batches of (settings, requests); each batch is one fetch() call, all in one process."""
    return {
        "main": {"settings": {**FAST, "timeout": 1.5, "max_bytes": 100_000}, "requests": _main_requests(ms)},
        "retry": {
            "settings": {**FAST, "retries": 2, "backoff_base": 0.05, "timeout": 5},
            "requests": [
                {"url": ms.url("/flaky/crawl-503?fails=2&status=503&retry_after=0")},
                {"url": ms.url("/flaky/crawl-429?fails=9&status=429&retry_after=3600")},
                {"url": ms.url("/flaky/crawl-500?fails=1&status=500")},
                {"url": ms.url("/articles/alt-2.html", alt=True)},  # robots.txt from the main batch
            ],
        },
        "polite": {
            # One request at a time to one host, even with no delay configured: 3 x 0.4 s in sequence.
            "settings": {**FAST, "concurrency_per_domain": 1, "timeout": 5},
            "requests": [{"url": ms.url(f"/delay/0.4?n={n}")} for n in range(3)],
        },
        "crawl-delay": {
            # The second port's robots.txt says Crawl-delay: 0.3 (its robots.txt is cached by now).
            "settings": {**FAST, "timeout": 5},
            "requests": [{"url": ms.url(f"/articles/cd{n}.html", alt=True)} for n in range(3)],
        },
        "followed-conditional": {
            "settings": {**FAST, "timeout": 5},
            "requests": [{"url": ms.url("/feed-etag.xml"), "kind": "feed", "follow_limit": 5}],
            "validators": {ms.url("/etag/f1"): ['"f1"', None], ms.url("/etag/f2"): ['"stale"', None]},
        },
        "together": {
            "together": [
                {"settings": {**FAST, "timeout": 5}, "requests": [{"url": ms.url(p)} for p in paths]}
                for paths in (["/delay/0.5", "/private/t0"], ["/articles/t1.html", "/private/t1"])
            ]
        },
        "deadline": {
            # A 5 s gap between requests to one host keeps the later ones queued in the downloader.
            "settings": {**FAST, "obey_robots": False, "download_delay": 5.0, "crawl_timeout": 1.0},
            "requests": [{"url": ms.url(f"/articles/d{n}.html")} for n in range(3)],
        },
    }


def _script(plan: dict[str, Any]) -> dict[str, Any]:
    """The subprocess side: every batch through fetch(), in order, on one reactor."""
    from monitor.crawl import FetchRequest, FetchSettings, fetch, run

    async def one(batch: dict[str, Any]) -> dict[str, Any]:
        started = time.monotonic()
        known = batch.get("validators", {})
        results = await fetch(
            [FetchRequest(**r) for r in batch["requests"]],
            FetchSettings(**batch["settings"]),
            validators=lambda url: tuple(known.get(url, (None, None))),
        )
        return {
            "elapsed": time.monotonic() - started,
            "results": [
                {
                    **{k: getattr(r, k) for k in ("url", "final_url", "status", "headers", "error")},
                    **{"not_modified": r.not_modified, "source": r.source},
                    "body": base64.b64encode(r.body).decode(),
                    "fetched_at": r.fetched_at.isoformat(),
                }
                for r in results
            ],
        }

    async def main() -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, batch in plan.items():
            if "together" in batch:  # crawls that overlap, as two outlets' scheduled checks can
                done = await asyncio.gather(*(one(b) for b in batch["together"]))
                out.update({f"{name}-{i}": d for i, d in enumerate(done)})
            else:
                out[name] = await one(batch)
        out["modules"] = sorted(sys.modules)
        return out

    return run(main)


@pytest.fixture(scope="module")
def crawled(mockserver: Any) -> dict[str, Any]:
    plan = _plan(mockserver)
    robots_before = mockserver.hits("/robots.txt", alt=True)
    proc = subprocess.run(
        [sys.executable, __file__],
        input=json.dumps(plan),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    out = json.loads(proc.stdout)
    modules = out.pop("modules")
    for batch in out.values():
        for r in batch["results"]:
            r["body"] = base64.b64decode(r["body"])
    out["robots_fetches_alt"] = mockserver.hits("/robots.txt", alt=True) - robots_before
    out["log"] = proc.stderr
    out["modules"] = modules
    return out


def _by_path(crawled: dict[str, Any], batch: str, ms: Any) -> dict[str, dict[str, Any]]:
    return {r["url"].removeprefix(ms.base): r for r in crawled[batch]["results"]}


@pytest.fixture(scope="module")
def main(crawled: dict[str, Any], mockserver: Any) -> dict[str, dict[str, Any]]:
    return _by_path(crawled, "main", mockserver)


def test_every_requested_url_has_exactly_one_result(crawled, mockserver):
    plan = _plan(mockserver)
    batches = {name: b for name, b in plan.items() if "together" not in b}
    batches.update({f"together-{i}": b for i, b in enumerate(plan["together"]["together"])})
    for name, batch in batches.items():
        urls = [r["url"] for r in crawled[name]["results"] if r["source"] is None]
        assert urls == list(dict.fromkeys(r["url"] for r in batch["requests"])), name


def test_ok_page(main):
    page = main["/articles/1.html"]
    assert page["status"] == 200
    assert page["error"] is None
    assert b"Body of article 1." in page["body"]
    assert page["headers"]["content-type"] == "text/html"
    assert page["fetched_at"].endswith("+00:00")


def test_cyrillic_bytes_arrive_untouched(main):
    from mockserver import RUSSIAN_TEXT

    assert RUSSIAN_TEXT.encode("windows-1251") in main["/enc/windows-1251"]["body"]
    assert main["/enc/windows-1251"]["headers"]["content-type"] == "text/html; charset=windows-1251"
    assert RUSSIAN_TEXT.encode("koi8-r") in main["/enc/koi8-r?header=none"]["body"]


@pytest.mark.parametrize(
    ("path", "status", "error"),
    [
        ("/status/404", 404, "HTTP 404 Not Found"),
        ("/status/500", 500, "HTTP 500 Internal Server Error"),
        ("/status/451", 451, "HTTP 451 Unavailable For Legal Reasons"),
    ],
)
def test_http_errors_keep_status_and_body(main, path, status, error):
    result = main[path]
    assert (result["status"], result["error"]) == (status, error)
    assert f"status {status}".encode() in result["body"]


@pytest.mark.parametrize("path", ["/delay/10", "/stall/10"])
def test_timeouts_before_and_after_headers(crawled, main, path):
    assert main[path]["status"] is None
    assert main[path]["error"] == "timed out after 1.5s"
    assert crawled["main"]["elapsed"] < 8  # nobody waited for the 10 s answers


def test_redirects_report_final_url(main, mockserver):
    assert main["/redirect?to=/articles/2.html"]["final_url"] == mockserver.url("/articles/2.html")
    assert main["/redirect-chain/2"]["final_url"] == mockserver.url("/articles/0.html")
    assert main["/redirect-chain/2"]["status"] == 200
    assert main["/redirect-loop"]["error"] == "too many redirects"
    ftp = main["/redirect?to=ftp://127.0.0.1/x"]
    assert (ftp["status"], ftp["error"]) == (302, "HTTP 302 Found (redirect not followed)")


def test_conditional_get(main):
    assert main["/etag/v1"]["status"] == 304
    assert main["/etag/v1"]["not_modified"] is True
    assert main["/etag/v1"]["error"] is None
    assert main["/etag/v2"]["status"] == 200  # the stored ETag is stale: a full answer
    assert main["/etag/v2"]["headers"]["etag"] == '"v2"'
    assert main["/etag/v3"]["not_modified"] is True  # If-Modified-Since alone


def test_robots_txt_disallow_blocks_the_request(main, mockserver):
    assert main["/private/secret.html"]["error"] == "blocked by robots.txt"
    assert main["/private/secret.html"]["status"] is None
    assert mockserver.hits("/private/secret.html") == 0


@pytest.mark.parametrize("path", ["/big/300000", "/big-stream/400000", "/gzip-bomb/5000000"])
def test_oversize_bodies_become_errors(main, path):
    assert main[path]["status"] is None
    assert main[path]["error"].startswith("response too large")
    assert main[path]["body"] == b""


def test_connection_failures_name_their_cause(main):
    assert main["/drop"]["error"] == "connection closed before a complete response"
    assert main["http://127.0.0.1:1/refused"]["error"] == "connection refused"
    tls = next(r for p, r in main.items() if p.startswith("https://"))
    assert tls["status"] is None
    assert tls["error"].startswith("TLS error")


def test_bad_urls_and_non_web_schemes_become_errors(main):
    assert main["not a url"]["error"].startswith("invalid URL")
    local = main["file:///etc/passwd"]
    assert (local["status"], local["body"]) == (None, b"")
    assert local["error"].startswith("unsupported URL scheme")


def test_polite_request_headers(main):
    sent = json.loads(main["/echo-headers"]["body"])
    assert sent["user-agent"].startswith("press-monitor/")
    assert "+https://" in sent["user-agent"]
    assert "cookie" not in sent


def test_a_followed_link_is_requested_like_a_watched_page_without_a_referer(main):
    sent = json.loads(main["/echo-headers?followed=1"]["body"])
    assert sent["user-agent"].startswith("press-monitor/")
    assert "referer" not in sent  # which feed led us there is nothing the site needs to know
    assert "cookie" not in sent


def test_redirects_carry_no_referer_and_crawls_log_no_warning_about_it(crawled, main):
    assert main["/redirect?to=/articles/2.html"]["status"] == 200
    assert "Referer" not in crawled["log"]  # Scrapy warned on every crawl that none would be set


def test_crawls_do_not_import_components_they_switched_off(crawled):
    # Scrapy imports every component it is told about, even one set to None: the remote control pulled
    # in aiohttp and the cookies middleware tldextract and requests, 9 MB of every check.
    imported = set(crawled["modules"])
    assert "scrapy.downloadermiddlewares.useragent" in imported  # the list is the crawl's, not empty
    unused = {"aiohttp", "tldextract", "requests", "scrapy.extensions.telnet", "scrapy.extensions.feedexport"}
    assert not unused & imported


def test_feed_follows_newest_articles(crawled, mockserver):
    followed = [r for r in crawled["main"]["results"] if r["source"] is not None]
    by_source: dict[str, list[str]] = {}
    for r in followed:
        by_source.setdefault(r["source"].removeprefix(mockserver.base), []).append(
            r["url"].removeprefix(mockserver.base)
        )
    assert sorted(by_source["/feed.xml"]) == ["/articles/3.html", "/articles/5.html"]
    assert by_source["/atom.xml"] == ["/articles/a2.html"]
    # The index leads to its newest sitemap, whose two newest URLs are fetched; all carry the index.
    assert sorted(by_source["/sitemap-index.xml"]) == ["/articles/s2.html", "/articles/s4.html", "/sitemap.xml"]
    assert all(r["status"] == 200 for r in followed)


def test_retries_back_off_and_honour_retry_after(crawled, mockserver):
    retry = _by_path(crawled, "retry", mockserver)
    recovered = retry["/flaky/crawl-503?fails=2&status=503&retry_after=0"]
    assert (recovered["status"], recovered["error"]) == (200, None)
    assert mockserver.hits("/flaky/crawl-503") == 3
    assert retry["/flaky/crawl-500?fails=1&status=500"]["status"] == 200
    # Retry-After: 3600 is longer than the crawl will wait: no hammering, the 429 is the result.
    limited = retry["/flaky/crawl-429?fails=9&status=429&retry_after=3600"]
    assert (limited["status"], limited["error"]) == (429, "HTTP 429 Too Many Requests")
    assert mockserver.hits("/flaky/crawl-429") == 1


def test_crawl_deadline_bounds_the_whole_crawl(crawled):
    results = crawled["deadline"]["results"]
    assert crawled["deadline"]["elapsed"] < 4
    assert results[0]["status"] == 200
    assert [r["error"] for r in results[1:]] == ["crawl time limit (1s) reached before this request"] * 2


def test_robots_txt_is_reused_by_later_crawls(crawled):
    # The second port's robots.txt was fetched by the "main" crawl and reused by the "retry" one.
    assert crawled["robots_fetches_alt"] == 1


def test_per_domain_concurrency_holds_without_a_delay(crawled):
    assert [r["status"] for r in crawled["polite"]["results"]] == [200, 200, 200]
    assert crawled["polite"]["elapsed"] >= 1.2


def test_followed_articles_are_fetched_conditionally(crawled, mockserver):
    followed = {r["url"].removeprefix(mockserver.base): r for r in crawled["followed-conditional"]["results"][1:]}
    assert followed["/etag/f1"]["not_modified"] is True  # stored ETag still current: a 304
    assert followed["/etag/f2"]["status"] == 200  # stored ETag stale: the full article
    assert {r["source"] for r in followed.values()} == {mockserver.url("/feed-etag.xml")}


def test_robots_crawl_delay_spaces_requests_to_that_host(crawled, mockserver):
    assert [r["status"] for r in crawled["crawl-delay"]["results"]] == [200, 200, 200]
    assert crawled["crawl-delay"]["elapsed"] >= 0.6  # two gaps of 0.3 s, though no delay was configured


def test_several_crawls_share_one_reactor(crawled):
    # Eight fetch() calls in one process, two of them at the same time: the reactor survived each crawl.
    names = ["main", "retry", "polite", "crawl-delay", "followed-conditional", "together-0", "together-1", "deadline"]
    assert [k for k in crawled if k not in ("robots_fetches_alt", "log", "modules")] == names
    assert all(crawled[k]["results"] for k in names)


def test_overlapping_crawls_keep_their_own_results_and_rules(crawled, mockserver):
    first, second = (_by_path(crawled, f"together-{i}", mockserver) for i in range(2))
    assert set(first) == {"/delay/0.5", "/private/t0"}
    assert set(second) == {"/articles/t1.html", "/private/t1"}
    assert first["/delay/0.5"]["status"] == second["/articles/t1.html"]["status"] == 200
    assert first["/private/t0"]["error"] == second["/private/t1"]["error"] == "blocked by robots.txt"


RUN_CHECKS = """
import asyncio, sys
from monitor.crawl import run

async def main():
    from twisted.internet import reactor
    assert asyncio.get_running_loop() is reactor._asyncioEventloop  # one loop for Scrapy and asyncio
    await asyncio.sleep(0)
    if sys.argv[1] == "raise":
        raise LookupError("from main")
    return 42

try:
    print(run(main))
except LookupError as exc:
    print("raised", exc)
try:
    run(main)
except RuntimeError as exc:
    print("second run:", exc)
"""


@pytest.mark.parametrize(("mode", "first"), [("value", "42"), ("raise", "raised from main")])
def test_run_returns_or_reraises_and_is_once_per_process(mode, first):
    proc = subprocess.run(
        [sys.executable, "-c", RUN_CHECKS, mode], capture_output=True, text=True, cwd=REPO, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == first
    assert lines[1].startswith("second run: run() was already used")


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    print(json.dumps(_script(json.load(sys.stdin))))
