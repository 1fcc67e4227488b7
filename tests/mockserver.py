"""A real HTTP server for tests, run in a subprocess on 127.0.0.1, port 0 (Scrapy's mockserver pattern).

Start it with the session fixture ``mockserver`` (tests/conftest.py), or by hand::

    python tests/mockserver.py [--static /prefix/=DIR ...]    # prints its base URL, then serves

The first two lines on stdout are base URLs (``http://127.0.0.1:PORT``): the main port, then a second one
serving the same routes (another "site"; hit counters and stored bodies are shared by both); nothing
else is printed, and request logging is off. Every route answers GET (and HEAD); ``/mutable/`` also takes PUT/POST.

Static files (``--static``; conftest mounts these three):
    /seeds/...                  the repo's seeds/ folder
    /corpus/...                 ../shared/corpus (e.g. /corpus/pages/otkrytaya-sudy.html,
                                /corpus/sequences/<id>/v1.html)
    /realworld/...              ../shared/realworld
    Served as ``text/html`` with no charset (the pages declare theirs in <meta>); add ``?charset=NAME``
    to put one in the Content-Type header, ``?ctype=TYPE`` to replace the type.

Faults and behaviours:
    /status/{code}              that status, a small HTML body (e.g. /status/451, /status/503)
    /delay/{seconds}            waits before sending anything (a hang before headers)
    /stall/{seconds}            sends headers and half a body, then waits (a hang after headers)
    /drop                       closes the connection without answering
    /redirect?to=URL&code=302   redirects to URL (absolute or relative; any scheme, e.g. ftp:)
    /redirect-chain/{n}         n redirects, then a page
    /redirect-loop              redirects to itself forever
    /etag/{tag}                 200 with ETag "{tag}" and a fixed Last-Modified (LAST_MODIFIED); 304 when
                                If-None-Match matches or If-Modified-Since is not older
    /enc/{codec}?header=CS&meta=CS   Russian page (RUSSIAN_TEXT) encoded with {codec} (windows-1251, koi8-r,
                                utf-8, utf-8-sig for a BOM...); the charset named in the Content-Type header
                                and in <meta> default to {codec}; pass ``none`` to omit one, or another name to
                                lie (e.g. /enc/windows-1251?header=utf-8 or ?header=none&meta=none)
    /big/{n}                    n bytes with a Content-Length
    /big-stream/{n}             n bytes, no Content-Length (the size is only known while reading)
    /gzip-bomb/{n}              n zero bytes gzipped, sent with Content-Encoding: gzip (tiny on the wire)
    /flaky/{key}?fails=N&status=503&retry_after=S   the first N requests for {key} fail with that status
                                (and a Retry-After of S seconds if given), later ones answer 200
    /mutable/{key}              GET: the body last PUT/POSTed there (with its Content-Type), 404 before;
                                with ``?etag=1`` also an ETag of the body, and 304 when If-None-Match has it
    /echo-headers               the request headers as JSON (names lower-cased)
    /set-cookie                 sets a cookie ``session=1``
    /robots.txt                 ``User-agent: *`` / ``Disallow: /private/`` (on the second port also
                                ``Crawl-delay: 0.3``)
    /private/...                a page robots.txt forbids
    /articles/{n}.html          a small article page (the feeds and sitemaps link to these)
    /feed.xml                   RSS 2.0, five items, pubDates out of document order: newest are 3, 5, 1
    /atom.xml                   Atom, three entries, newest is 2
    /feed-etag.xml              RSS listing /etag/f1 and /etag/f2 (articles that answer 304 when unchanged)
    /feed-echo.xml              RSS listing /echo-headers?followed=1 (what a followed request sends)
    /sitemap.xml                urlset, four URLs with lastmod, newest is 4; /sitemap-index.xml lists it
    /__hits__?path=/x[&host=H]  JSON {"path": ..., "hits": N}: how many requests that path got so far
                                (with host=127.0.0.1:PORT: only those sent with that Host header)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote
from urllib.request import Request, urlopen

from mockserver_routes import ALT_ROBOTS_EXTRA, LAST_MODIFIED, ROBOTS_TXT, RUSSIAN_TEXT, serve

__all__ = ["ALT_ROBOTS_EXTRA", "LAST_MODIFIED", "ROBOTS_TXT", "RUSSIAN_TEXT", "MockServer", "main"]


class MockServer:
    """Client side: starts the server in a subprocess, reads its URL, builds URLs, stops it.

    ``static`` maps URL prefixes to folders, e.g. ``{"/seeds/": Path("seeds")}``.
    """

    def __init__(self, static: dict[str, Path] | None = None) -> None:
        self.static = dict(static or {})
        self.base = ""
        self.alt_base = ""
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> MockServer:
        args = [sys.executable, str(Path(__file__).resolve())]
        for prefix, folder in self.static.items():
            args += ["--static", f"{prefix}={folder}"]
        self._proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        assert self._proc.stdout is not None
        # The child prints its URLs once bound, so the ports are known without any race or polling.
        self.base = self._proc.stdout.readline().strip()
        self.alt_base = self._proc.stdout.readline().strip()
        if not (self.base.startswith("http://") and self.alt_base.startswith("http://")):
            self._proc.kill()
            raise RuntimeError(f"mockserver did not start: {self.base!r}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=10)
            if self._proc.stdout is not None:
                self._proc.stdout.close()

    def url(self, path: str, *, alt: bool = False, scheme: str = "http") -> str:
        """Absolute URL of ``path`` (starting with ``/``) on the main port, or on the second one.

        The second port serves the same routes under another host:port, i.e. another "site" for
        per-domain behaviour (robots.txt, throttling). ``scheme="https"`` gives a URL that fails the
        TLS handshake, since both ports speak plain HTTP.
        """
        base = self.alt_base if alt else self.base
        return scheme + base.removeprefix("http") + path

    def hits(self, path: str, *, alt: bool | None = None) -> int:
        """How many requests ``path`` has received so far: on both ports, or only on the main
        (``alt=False``) or the second (``alt=True``) one."""
        query = f"path={quote(path)}"
        if alt is not None:
            query += "&host=" + quote((self.alt_base if alt else self.base).removeprefix("http://"))
        with urlopen(self.url(f"/__hits__?{query}"), timeout=10) as resp:
            return int(json.load(resp)["hits"])

    def put(self, key: str, body: bytes, content_type: str = "text/html; charset=utf-8") -> str:
        """Store ``body`` under ``/mutable/{key}`` and return that URL."""
        url = self.url(f"/mutable/{key}")
        req = Request(url, data=body, method="PUT", headers={"Content-Type": content_type})
        with urlopen(req, timeout=10):
            pass
        return url


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--static", action="append", default=[], metavar="/PREFIX/=DIR")
    args = parser.parse_args(argv)
    static = {}
    for spec in args.static:
        prefix, _, folder = spec.partition("=")
        static[prefix if prefix.endswith("/") else prefix + "/"] = Path(folder)
    serve(static)


if __name__ == "__main__":
    sys.exit(main())
