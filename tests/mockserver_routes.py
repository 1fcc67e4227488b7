"""Routes of the test mockserver (see tests/mockserver.py for the list and how to start it)."""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
import threading
import time
from collections import Counter
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

RUSSIAN_TEXT = (
    "НАСТОЯЩИЙ МАТЕРИАЛ (ИНФОРМАЦИЯ) ПРОИЗВЕДЕН, РАСПРОСТРАНЕН И (ИЛИ) НАПРАВЛЕН ИНОСТРАННЫМ АГЕНТОМ "
    '"ПРИМЕР" ЛИБО КАСАЕТСЯ ДЕЯТЕЛЬНОСТИ ИНОСТРАННОГО АГЕНТА "ПРИМЕР". 18+ '
    "Съешь же ещё этих мягких французских булок, да выпей чаю."
)
LAST_MODIFIED = "Mon, 02 Mar 2026 10:00:00 GMT"
ROBOTS_TXT = "User-agent: *\nDisallow: /private/\n"
ALT_ROBOTS_EXTRA = "Crawl-delay: 0.3\n"  # the second port asks crawlers to space their requests

_FEED_DATES = {  # article number -> pubDate; document order is 1..5, newest first is 3, 5, 1, 4, 2
    1: "Tue, 03 Mar 2026 09:00:00 +0000",
    2: "Sun, 01 Mar 2026 09:00:00 +0000",
    3: "Thu, 05 Mar 2026 09:00:00 +0000",
    4: "Mon, 02 Mar 2026 09:00:00 +0000",
    5: "Wed, 04 Mar 2026 12:00:00 +0300",
}


class _State:
    """Counters and stored bodies shared by the handler threads."""

    def __init__(self, static: dict[str, Path]) -> None:
        self.static = static
        self.lock = threading.Lock()
        self.hits: Counter[str] = Counter()
        self.flaky: Counter[str] = Counter()
        self.mutable: dict[str, tuple[bytes, str]] = {}


class Handler(BaseHTTPRequestHandler):
    """Routes by path prefix; each route is one small method."""

    server_version = "press-monitor-mockserver/1"
    state: _State  # set on the class by serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging: stdout carries only the URL line."""

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_PUT(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if not path.startswith("/mutable/"):
            self._send(405, b"method not allowed")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        ctype = self.headers.get("Content-Type") or "text/html; charset=utf-8"
        with self.state.lock:
            self.state.mutable[path.removeprefix("/mutable/")] = (body, ctype)
        self._send(204, b"")

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self.query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        path = parts.path
        with self.state.lock:
            self.state.hits[path] += 1
            self.state.hits[f"{self.headers.get('Host')}{path}"] += 1
        for prefix, route in self._routes():
            if path == prefix or (prefix.endswith("/") and path.startswith(prefix)):
                route(path.removeprefix(prefix))
                return
        self._static(path)

    def _routes(self) -> list[tuple[str, Any]]:
        return [
            ("/status/", self._status),
            ("/delay/", self._delay),
            ("/stall/", self._stall),
            ("/drop", lambda _: self.close_connection_now()),
            ("/redirect", self._redirect),
            ("/redirect-chain/", self._redirect_chain),
            ("/redirect-loop", lambda _: self._redirect_to("/redirect-loop", 302)),
            ("/etag/", self._etag),
            ("/enc/", self._enc),
            ("/big/", lambda n: self._send(200, b"x" * int(n), "text/plain")),
            ("/big-stream/", self._big_stream),
            ("/gzip-bomb/", self._gzip_bomb),
            ("/flaky/", self._flaky),
            ("/mutable/", self._mutable),
            ("/echo-headers", self._echo_headers),
            ("/set-cookie", self._set_cookie),
            ("/robots.txt", lambda _: self._send(200, self._robots(), "text/plain")),
            ("/private/", lambda _: self._send(200, _page("private", "robots.txt forbids this"))),
            ("/articles/", self._article),
            ("/feed.xml", lambda _: self._send(200, self._rss(), "application/rss+xml")),
            ("/atom.xml", lambda _: self._send(200, self._atom(), "application/atom+xml")),
            ("/feed-etag.xml", lambda _: self._send(200, self._rss_etag(), "application/rss+xml")),
            ("/feed-echo.xml", lambda _: self._send(200, self._rss_echo(), "application/rss+xml")),
            ("/sitemap.xml", lambda _: self._send(200, self._sitemap(), "application/xml")),
            ("/sitemap-index.xml", lambda _: self._send(200, self._sitemap_index(), "application/xml")),
            ("/__hits__", self._hits),
        ]

    # --- plumbing -------------------------------------------------------------------------------

    def _send(
        self,
        status: int,
        body: bytes,
        ctype: str | None = "text/html",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def close_connection_now(self) -> None:
        self.close_connection = True
        self.connection.close()

    def _base(self) -> str:
        return f"http://{self.headers.get('Host') or '127.0.0.1'}"

    # --- routes ---------------------------------------------------------------------------------

    def _status(self, code: str) -> None:
        status = int(code)
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        self._send(status, _page(f"{status} {phrase}", f"status {status}"))

    def _delay(self, seconds: str) -> None:
        time.sleep(float(seconds))
        self._send(200, _page("slow", f"answered after {seconds}s"))

    def _stall(self, seconds: str) -> None:
        body = _page("stalled", "x" * 1000)
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        time.sleep(float(seconds))
        self.wfile.write(body[len(body) // 2 :])

    def _redirect_to(self, location: str, code: int) -> None:
        self._send(code, b"", None, {"Location": location})

    def _redirect(self, _: str) -> None:
        self._redirect_to(self.query.get("to", "/"), int(self.query.get("code", "302")))

    def _redirect_chain(self, n: str) -> None:
        left = int(n)
        target = f"/redirect-chain/{left - 1}" if left > 0 else "/articles/0.html"
        self._redirect_to(target, 302)

    def _etag(self, tag: str) -> None:
        etag = f'"{tag}"'
        headers = {"ETag": etag, "Last-Modified": LAST_MODIFIED}
        match = self.headers.get("If-None-Match")
        since = self.headers.get("If-Modified-Since")
        if (match and etag in [t.strip() for t in match.split(",")]) or (not match and since == LAST_MODIFIED):
            self._send(304, b"", None, headers)
            return
        self._send(200, _page(f"etag {tag}", f"version {tag}"), "text/html", headers)

    def _enc(self, codec: str) -> None:
        header = self.query.get("header", codec)
        meta = self.query.get("meta", codec)
        meta_tag = "" if meta == "none" else f'<meta charset="{meta}">'
        html = f"<html><head>{meta_tag}<title>Пример</title></head><body><p>{RUSSIAN_TEXT}</p></body></html>"
        ctype = "text/html" if header == "none" else f"text/html; charset={header}"
        self._send(200, html.encode(codec), ctype)

    def _big_stream(self, n: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.close_connection = True
        chunk = b"y" * 65536
        left = int(n)
        try:
            while left > 0:
                self.wfile.write(chunk[:left])
                left -= len(chunk)
        except OSError:
            pass  # the client gave up reading: that is what the test wants

    def _gzip_bomb(self, n: str) -> None:
        body = gzip.compress(b"\0" * int(n))
        self._send(200, body, "text/html", {"Content-Encoding": "gzip"})

    def _flaky(self, key: str) -> None:
        with self.state.lock:
            self.state.flaky[key] += 1
            count = self.state.flaky[key]
        if count <= int(self.query.get("fails", "1")):
            status = int(self.query.get("status", "503"))
            retry_after = self.query.get("retry_after")
            headers = {"Retry-After": retry_after} if retry_after is not None else {}
            self._send(status, _page("try later", f"attempt {count}"), "text/html", headers)
            return
        self._send(200, _page("recovered", f"attempt {count}"))

    def _robots(self) -> bytes:
        return (ROBOTS_TXT + getattr(self.server, "robots_extra", "")).encode()

    def _mutable(self, key: str) -> None:
        with self.state.lock:
            stored = self.state.mutable.get(key)
        if stored is None:
            self._send(404, _page("not yet", f"nothing stored under {key}"))
            return
        if "etag" not in self.query:
            self._send(200, stored[0], stored[1])
            return
        etag = f'"{hashlib.sha256(stored[0]).hexdigest()[:16]}"'
        if self.headers.get("If-None-Match") == etag:
            self._send(304, b"", None, {"ETag": etag})
            return
        self._send(200, stored[0], stored[1], {"ETag": etag})

    def _echo_headers(self, _: str) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        self._send(200, json.dumps(headers).encode(), "application/json")

    def _set_cookie(self, _: str) -> None:
        self._send(200, _page("cookie", "have one"), "text/html", {"Set-Cookie": "session=1; Path=/"})

    def _article(self, name: str) -> None:
        number = name.removesuffix(".html")
        self._send(200, _page(f"Article {number}", f"Body of article {number}."))

    def _hits(self, _: str) -> None:
        path = self.query.get("path", "/")
        key = self.query.get("host", "") + path
        with self.state.lock:
            count = self.state.hits[key]
        self._send(200, json.dumps({"path": path, "hits": count}).encode(), "application/json")

    def _static(self, path: str) -> None:
        for prefix, root in self.state.static.items():
            if not path.startswith(prefix):
                continue
            target = (root / path.removeprefix(prefix)).resolve()
            # Refuse ../ escapes: the server must only expose the folders it was given.
            if target.is_file() and target.is_relative_to(root.resolve()):
                ctype = self.query.get("ctype", "text/html")
                if "charset" in self.query:
                    ctype = f"{ctype}; charset={self.query['charset']}"
                self._send(200, target.read_bytes(), ctype)
                return
        self._send(404, _page("404 Not Found", f"no route for {path}"))

    # --- feeds ----------------------------------------------------------------------------------

    def _rss(self) -> bytes:
        base = self._base()
        items = "".join(
            f"<item><title>Article {n}</title><link>{base}/articles/{n}.html</link>"
            f"<guid>{base}/articles/{n}.html</guid><pubDate>{date}</pubDate></item>"
            for n, date in _FEED_DATES.items()
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Mock</title>'
            f"<link>{base}/</link>{items}</channel></rss>"
        ).encode()

    def _rss_etag(self) -> bytes:
        base = self._base()
        items = "".join(f"<item><link>{base}/etag/f{n}</link></item>" for n in (1, 2))
        return f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'.encode()

    def _rss_echo(self) -> bytes:
        item = f"<item><link>{self._base()}/echo-headers?followed=1</link></item>"
        return f'<?xml version="1.0"?><rss version="2.0"><channel>{item}</channel></rss>'.encode()

    def _atom(self) -> bytes:
        base = self._base()
        dates = {1: "2026-03-01T08:00:00Z", 2: "2026-03-03T08:00:00+02:00", 3: "2026-03-02T08:00:00Z"}
        entries = "".join(
            f'<entry><title>A{n}</title><link rel="alternate" href="{base}/articles/a{n}.html"/>'
            f"<id>urn:a{n}</id><updated>{d}</updated></entry>"
            for n, d in dates.items()
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Mock</title>{entries}</feed>"
        ).encode()

    def _sitemap(self) -> bytes:
        base = self._base()
        dates = {1: "2026-03-01", 2: "2026-03-02T10:00:00+00:00", 3: "2026-02-28", 4: "2026-03-04"}
        urls = "".join(
            f"<url><loc>{base}/articles/s{n}.html</loc><lastmod>{d}</lastmod></url>" for n, d in dates.items()
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
        ).encode()

    def _sitemap_index(self) -> bytes:
        base = self._base()
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{base}/sitemap.xml</loc><lastmod>2026-03-04</lastmod></sitemap>"
            "</sitemapindex>"
        ).encode()


def _page(title: str, text: str) -> bytes:
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body><h1>{title}</h1><p>{text}</p></body></html>"
    ).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # hanging routes must not keep the process alive on shutdown
    robots_extra = ""  # lines added to robots.txt on this port

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out or cap the size hang up mid-answer on purpose: not worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def serve(static: dict[str, Path]) -> None:
    """Bind two ports on 127.0.0.1 (port 0 each), print both base URLs, serve until killed."""
    Handler.state = _State(static)
    main, alt = _Server(("127.0.0.1", 0), Handler), _Server(("127.0.0.1", 0), Handler)
    alt.robots_extra = ALT_ROBOTS_EXTRA
    for server in (main, alt):
        host, port = server.server_address[:2]
        print(f"http://{host}:{port}", flush=True)
    threading.Thread(target=alt.serve_forever, daemon=True).start()
    main.serve_forever()
