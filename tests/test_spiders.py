"""The spider's pure parts, in-process and without a reactor: feeds, outcomes, retry timing, settings."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import HtmlResponse, Request
from twisted.python.failure import Failure

from monitor.crawl import FetchRequest, FetchSettings, build_settings
from spiders.extensions import CrawlDeadlineExceeded
from spiders.feeds import parse_date, parse_feed
from spiders.middlewares import retry_after_seconds
from spiders.outcomes import describe_failure, from_failure, from_response, http_error

REPO = Path(__file__).resolve().parents[1]
BASE = "https://outlet.example/news/"


def test_importing_the_fetch_modules_installs_no_reactor():
    # Other tests run asyncio loops in this process; a reactor installed at import would bind to one.
    code = (
        "import sys, monitor.crawl, spiders.outlet, spiders.settings; print('twisted.internet.reactor' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "False"


# --- feeds ----------------------------------------------------------------------------------------

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel>
<item><link>/a/old</link><pubDate>Mon, 02 Mar 2026 09:00:00 +0000</pubDate></item>
<item><link>https://outlet.example/a/new</link><pubDate>Wed, 04 Mar 2026 09:00:00 GMT</pubDate></item>
<item><guid isPermaLink="true">https://outlet.example/a/guid-only</guid></item>
<item><guid isPermaLink="false">tag:not-a-link</guid></item>
<item><link>javascript:alert(1)</link></item>
<item><link>https://outlet.example/a/new</link></item>
</channel></rss>"""


def test_rss_links_newest_first_then_undated_absolute_and_unique():
    feed = parse_feed(RSS, BASE)
    assert feed.kind == "rss"
    assert feed.links == (
        "https://outlet.example/a/new",
        "https://outlet.example/a/old",
        "https://outlet.example/a/guid-only",
    )


def test_atom_prefers_alternate_link_and_updated():
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom">
    <entry><link rel="self" href="/self/1"/><link href="/e/1"/><updated>2026-03-01T00:00:00Z</updated></entry>
    <entry><link rel="alternate" href="/e/2"/><published>2026-03-05T00:00:00+03:00</published></entry>
    </feed>"""
    assert parse_feed(atom, BASE).links == ("https://outlet.example/e/2", "https://outlet.example/e/1")


def test_sitemaps_urlset_news_dates_and_index():
    urlset = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
      xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
      <url><loc>https://o.example/1</loc><lastmod>2026-01-01</lastmod></url>
      <url><loc>https://o.example/2</loc><news:news><news:publication_date>2026-02-01T10:00:00Z</news:publication_date></news:news></url>
    </urlset>"""
    assert parse_feed(urlset, BASE) == parse_feed(urlset, BASE)  # deterministic
    assert parse_feed(urlset, BASE).links == ("https://o.example/2", "https://o.example/1")
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>https://o.example/s-old.xml</loc><lastmod>2025-01-01</lastmod></sitemap>
      <sitemap><loc>https://o.example/s-new.xml</loc><lastmod>2026-01-01</lastmod></sitemap></sitemapindex>"""
    parsed = parse_feed(index, BASE)
    assert (parsed.kind, parsed.links[0]) == ("sitemapindex", "https://o.example/s-new.xml")


@pytest.mark.parametrize("body", [b"", b"<html><body>not a feed</body></html>", b"\x00\xff garbage", b"<rss"])
def test_non_feeds_give_no_links(body):
    assert parse_feed(body, BASE).links == ()


def test_external_entities_are_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'
        "<rss><channel><item><link>https://o.example/&x;</link></item></channel></rss>"
    ).encode()
    assert not any("TOP-SECRET" in link for link in parse_feed(xxe, BASE).links)


def test_entity_expansion_bomb_is_not_expanded():
    bomb = ['<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a0 "lol">']
    bomb += [f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)]
    bomb.append("]><rss><channel><item><link>https://o.example/&a9;</link></item></channel></rss>")
    links = parse_feed("".join(bomb).encode(), BASE).links
    assert all(len(link) < 1000 for link in links)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wed, 04 Mar 2026 12:00:00 +0300", datetime(2026, 3, 4, 9, 0, tzinfo=UTC)),
        ("2026-03-04T09:00:00Z", datetime(2026, 3, 4, 9, 0, tzinfo=UTC)),
        ("2026-03-04", datetime(2026, 3, 4, tzinfo=UTC)),
        ("yesterday", None),
        ("", None),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


# --- outcomes -------------------------------------------------------------------------------------


def test_from_response_keeps_bytes_and_lowercases_headers():
    body = "Иностранный агент".encode("koi8-r")
    request = Request("https://o.example/start", cb_kwargs={})
    response = HtmlResponse(
        "https://o.example/final",
        status=200,
        body=body,
        headers={"Content-Type": "text/html", "X-Multi": ["a", "b"]},
        request=request,
    )
    result = from_response(response, "https://o.example/start")
    assert (result.url, result.final_url, result.body) == ("https://o.example/start", "https://o.example/final", body)
    assert result.headers == {"content-type": "text/html", "x-multi": "a, b"}
    assert result.ok


def test_not_modified_is_ok_and_not_an_error():
    response = HtmlResponse("https://o.example/", status=304, body=b"")
    result = from_response(response, "https://o.example/")
    assert (result.not_modified, result.error, result.ok) == (True, None, True)


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (200, None),
        (304, None),
        (403, "HTTP 403 Forbidden"),
        (599, "HTTP 599"),
        (301, "HTTP 301 Moved Permanently (redirect not followed)"),
    ],
)
def test_http_error(status, text):
    assert http_error(status) == text


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (IgnoreRequest("Forbidden by robots.txt"), "blocked by robots.txt"),
        (IgnoreRequest("max redirections reached"), "too many redirects"),
        (
            CannotResolveHostError("DNS lookup failed: no results for hostname lookup: x.invalid."),
            "DNS lookup failed: no results for hostname lookup: x.invalid.",
        ),
        (DownloadTimeoutError("Getting x took longer than 3.0 seconds."), "timed out after 3s"),
        (DownloadCancelledError(""), "response too large (over 1000 bytes)"),
        (
            CrawlDeadlineExceeded("crawl time limit (5s) reached before this request"),
            "crawl time limit (5s) reached before this request",
        ),
        (ValueError("odd"), "ValueError: odd"),
    ],
)
def test_describe_failure(exc, expected):
    assert describe_failure(exc, timeout=3.0, max_bytes=1000) == expected


def test_from_failure_has_no_status():
    failure = Failure(IgnoreRequest("Forbidden by robots.txt"))
    failure.request = Request("https://o.example/private")  # type: ignore[attr-defined]
    result = from_failure(failure, "https://o.example/private", source="https://o.example/feed")
    assert (result.status, result.error, result.source, result.ok) == (
        None,
        "blocked by robots.txt",
        "https://o.example/feed",
        False,
    )


# --- retry timing ---------------------------------------------------------------------------------


def test_retry_after_seconds():
    now = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120.0
    assert retry_after_seconds("Wed, 04 Mar 2026 09:01:00 GMT", now) == 60.0
    assert retry_after_seconds("Wed, 04 Mar 2026 08:00:00 GMT", now) == 0.0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


def test_autothrottle_never_goes_below_crawl_delay():
    from scrapy.core.downloader import Slot
    from scrapy.http import Response
    from scrapy.utils.test import get_crawler

    from spiders.middlewares import CrawlDelayAutoThrottle, crawl_delays

    crawler = get_crawler(settings_dict={"AUTOTHROTTLE_ENABLED": True})
    throttle = CrawlDelayAutoThrottle(crawler)
    throttle.mindelay, throttle.maxdelay = 0.0, 60.0
    crawl_delays(crawler)["outlet.example"] = 0.3
    slot = Slot(1, 1.0, 0.0)
    fast = Response(
        "https://outlet.example/", request=Request("https://outlet.example/", meta={"download_slot": "outlet.example"})
    )
    for _ in range(6):  # fast answers make AutoThrottle lower the delay towards mindelay
        throttle._adjust_delay(slot, 0.0, fast)
    assert slot.delay == 0.3


# --- settings -------------------------------------------------------------------------------------


def test_polite_defaults_and_overrides():
    settings = build_settings(FetchSettings(timeout=7.0, max_bytes=1234, retries=0, crawl_timeout=99))
    assert settings.getbool("ROBOTSTXT_OBEY") is True
    assert settings.getbool("COOKIES_ENABLED") is False
    assert settings.getbool("TELNETCONSOLE_ENABLED") is False
    assert settings.getbool("REMOTE_CONTROL_ENABLED") is False
    extensions = settings.getwithbase("EXTENSIONS")  # not even loaded: a daemon opens no control port
    assert "scrapy.extensions.remote_control.RemoteControl" not in extensions
    assert "scrapy.extensions.telnet.TelnetConsole" not in extensions
    assert "spiders.extensions.CrawlDeadline" in extensions
    assert settings.getbool("AUTOTHROTTLE_ENABLED") is True
    assert settings.getbool("HTTPERROR_ALLOW_ALL") is True
    assert settings.get("SPIDER_MODULES") == ["spiders"]
    assert settings["USER_AGENT"].startswith("press-monitor/")
    assert (settings.getfloat("DOWNLOAD_TIMEOUT"), settings.getint("DOWNLOAD_MAXSIZE")) == (7.0, 1234)
    assert settings.getbool("RETRY_ENABLED") is False
    assert settings.getfloat("CRAWL_DEADLINE") == 99
    assert settings.getpriority("DOWNLOAD_TIMEOUT") == settings.getpriority("ROBOTSTXT_OBEY")  # "project"


def test_fetch_request_rejects_unknown_kinds():
    with pytest.raises(ValueError, match="kind"):
        FetchRequest("https://o.example/", kind="podcast")
    with pytest.raises(ValueError, match="follow_limit"):
        FetchRequest("https://o.example/", follow_limit=-1)


@pytest.mark.parametrize(
    ("link", "origin", "same"),
    [
        ("https://meduza.io/news/1", "https://meduza.io/rss/all", True),
        ("https://www.meduza.io/news/1", "https://meduza.io/rss/all", True),
        ("https://en.zona.media/article/1", "https://zona.media/rss", True),
        ("https://zona.media/article/1", "https://en.zona.media/rss", True),
        ("http://localhost:8766/internal-admin", "https://meduza.io/rss/all", False),
        ("http://169.254.169.254/latest/meta-data", "https://meduza.io/rss/all", False),
        ("https://evil-meduza.io/x", "https://meduza.io/rss/all", False),
        ("http://com/", "https://meduza.com/rss", False),
    ],
)
def test_feeds_are_followed_only_on_the_outlets_own_site(link: str, origin: str, same: bool) -> None:
    from spiders.outlet import same_site

    assert same_site(link, origin) is same
