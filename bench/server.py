"""Serve the generated outlets on 127.0.0.1, one port per outlet: nginx, or a Python fallback.

One port per outlet keeps every "domain" on 127.0.0.1 while letting a monitor throttle per host:port
as it would per real host. nginx (Debian's package, installed with apt-get when missing) serves the
files with its own ETag and Last-Modified and logs every request to an access log the bench reads
for request and 304 counts. Only when nginx cannot be had does a threaded Python server stand in
(it says so on stderr, and its numbers are not comparable).
"""

from __future__ import annotations

import email.utils
import shutil
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.sitegen import Site

NGINX_CONF = """worker_processes 2;
daemon off;
user root;
pid {out}/nginx.pid;
error_log {out}/nginx-error.log warn;
worker_rlimit_nofile 20000;
events {{ worker_connections 8192; }}
http {{
  types {{ text/html html; text/plain txt; }}
  default_type application/octet-stream;
  log_format bench '$server_port $status $request_method $uri $body_bytes_sent $msec';
  access_log {out}/access.log bench;
  sendfile on; tcp_nopush on; keepalive_requests 10000;
  # 'before', not nginx's 'exact': urlwatch sends If-Modified-Since with its own last-check time (and
  # nginx tests it before If-None-Match), so 'exact' would deny it every 304 it could get elsewhere.
  if_modified_since before;
  client_body_temp_path {out}/tmp; proxy_temp_path {out}/tmp; fastcgi_temp_path {out}/tmp;
  uwsgi_temp_path {out}/tmp; scgi_temp_path {out}/tmp;
{servers}
}}
"""
SERVER = """  server {{ listen 127.0.0.1:{port}; root {www}; charset {charset};
    location = /robots.txt {{ charset off; return 200 "User-agent: *\\nAllow: /\\n"; }} }}"""


def free_port_range(count: int) -> int:
    """A base port whose next ``count`` ports are free on 127.0.0.1 right now."""
    for base in range(20000, 60000 - count, 997):
        if all(_free(base + i) for i in range(count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports on 127.0.0.1")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def nginx_binary() -> str | None:
    """nginx on PATH or in /usr/sbin; installed from Debian's packages when missing (as root)."""
    found = shutil.which("nginx") or (Path("/usr/sbin/nginx").exists() and "/usr/sbin/nginx") or None
    if found:
        return str(found)
    print("nginx missing: apt-get install -y nginx", file=sys.stderr)
    for cmd in (["apt-get", "install", "-y", "nginx"], ["apt-get", "update"], ["apt-get", "install", "-y", "nginx"]):
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        found = shutil.which("nginx") or (Path("/usr/sbin/nginx").exists() and "/usr/sbin/nginx") or None
        if found:
            return str(found)
    return None


class Server:
    """The running web server; ``url(site, path)`` and the access-log reading the bench needs."""

    def __init__(self, root: Path, sites: list[Site]) -> None:
        self.root, self.sites = root, sites
        self.base = free_port_range(len(sites))
        self.kind = "nginx"
        self._proc: subprocess.Popen[bytes] | None = None
        self._fallback: list[ThreadingHTTPServer] = []
        self.log = root / "access.log"

    def url(self, site: Site, path: str) -> str:
        return f"http://127.0.0.1:{self.base + site.index}{path}"

    def start(self) -> None:
        binary = nginx_binary()
        if binary is None:
            print("WARNING: nginx could not be installed; serving with a Python fallback server", file=sys.stderr)
            self.kind = "python-fallback"
            self._start_fallback()
            return
        (self.root / "tmp").mkdir(exist_ok=True)
        servers = "\n".join(
            SERVER.format(port=self.base + s.index, www=self.root / "www", charset=s.charset) for s in self.sites
        )
        conf = self.root / "nginx.conf"
        conf.write_text(NGINX_CONF.format(out=self.root, servers=servers), encoding="utf-8")
        self.log.write_bytes(b"")
        self._proc = subprocess.Popen([binary, "-c", str(conf), "-e", str(self.root / "nginx-error.log")])
        self._wait_up()

    def _wait_up(self) -> None:
        deadline = time.monotonic() + 30
        last = self.base + self.sites[-1].index
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(f"nginx exited: see {self.root / 'nginx-error.log'}")
            try:
                socket.create_connection(("127.0.0.1", last), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)  # nginx has no readiness signal to await; bounded poll
        raise RuntimeError("nginx did not start listening within 30 s")

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=10)
        for server in self._fallback:
            server.shutdown()

    def log_offset(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0

    def requests_since(self, offset: int) -> dict[str, int]:
        """Page requests, 304s, 200s and other requests (robots.txt, assets) logged after ``offset``."""
        counts = {"pages": 0, "304": 0, "200": 0, "other": 0}
        with self.log.open("rb") as fh:
            fh.seek(offset)
            for line in fh:
                parts = line.split()
                if len(parts) < 4:
                    continue
                if parts[3].endswith(b".html"):
                    counts["pages"] += 1
                    counts["304"] += parts[1] == b"304"
                    counts["200"] += parts[1] == b"200"
                else:
                    counts["other"] += 1
        return counts

    def _start_fallback(self) -> None:
        www, log, lock = self.root / "www", self.log, threading.Lock()
        self.log.write_bytes(b"")
        for site in self.sites:
            handler = _handler(www, site.charset, log, lock)
            server = ThreadingHTTPServer(("127.0.0.1", self.base + site.index), handler)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self._fallback.append(server)


def _handler(www: Path, charset: str, log: Path, lock: threading.Lock) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            path = www / self.path.lstrip("/").split("?")[0]
            if self.path == "/robots.txt":
                status, body, headers = 200, b"User-agent: *\nAllow: /\n", {"Content-Type": "text/plain"}
            elif not path.is_file():
                status, body, headers = 404, b"not found", {"Content-Type": "text/plain"}
            else:
                stat = path.stat()
                etag = f'"{int(stat.st_mtime):x}-{stat.st_size:x}"'
                headers = {
                    "Content-Type": f"text/html; charset={charset}",
                    "ETag": etag,
                    "Last-Modified": email.utils.formatdate(stat.st_mtime, usegmt=True),
                }
                if self.headers.get("If-None-Match") == etag:
                    status, body = 304, b""
                else:
                    status, body = 200, path.read_bytes()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            with lock, log.open("ab") as fh:
                fh.write(f"{self.server.server_address[1]} {status} GET {self.path} {len(body)}\n".encode())

    return Handler
