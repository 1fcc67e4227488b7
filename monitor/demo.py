"""``make demo``: the whole loop offline, on seeds/, through the same CLI path as the daemon.

1. copy ``seeds/site`` to ``demo-data/www`` and serve it on 127.0.0.1 (a real HTTP server);
2. ``press-monitor check --once``: the baseline (no alert on day one);
3. the outlet starts printing the mandated label (``seeds/changes/index.html`` replaces the page);
4. two more checks: the first sees the change, the second confirms it (detection.confirmations = 2);
5. the alert is written as an .eml file into the outbox; its path is printed.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path.cwd() / "demo-data"

CONFIG = """\
storage:
  url: sqlite:///state/press-monitor.db
  archive_dir: state/warc
  outbox_dir: outbox
fetch: {{autothrottle: false, retries: 0, timeout: 10s}}
detection: {{confirmations: 2}}
subscribers:
  - email: desk@example.org
    modes: [immediate, daily]
outlets:
  - name: Северный вестник
    homepage: {base}/
    pages: [{base}/index.html]
    languages: [ru]
    tags: [demo]
    jurisdiction: ru
"""


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """The demo prints its own story; the access log would bury it."""


def serve(directory: Path) -> ThreadingHTTPServer:
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def check(config: Path, step: str) -> None:
    print(f"\n== {step}")
    cmd = [sys.executable, "-m", "monitor", "--log-level", "WARNING", "check", "--once", "--config", str(config)]
    subprocess.run(cmd, check=True)


def main() -> int:
    shutil.rmtree(WORK, ignore_errors=True)
    www = WORK / "www"
    shutil.copytree(ROOT / "seeds" / "site", www)
    server = serve(www)
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        config = WORK / "config.yaml"
        config.write_text(CONFIG.format(base=base), encoding="utf-8")
        print(f"serving seeds/site at {base}; watchlist {config}")
        check(config, "check 1: baseline (the page has a donation appeal, no label)")
        shutil.copy(ROOT / "seeds" / "changes" / "index.html", www / "index.html")
        print("\n== the outlet now prints the mandated foreign-agent label (and its view counter moved)")
        check(config, "check 2: the change is seen, awaiting confirmation")
        check(config, "check 3: confirmed: an event, and an alert")
    finally:
        server.shutdown()
    alerts = sorted((WORK / "outbox").glob("*.eml"))
    if not alerts:
        print("demo failed: no alert was written", file=sys.stderr)
        return 1
    print(f"\nalert email: {alerts[-1]}")
    subprocess.run([sys.executable, "-m", "monitor", "history", "--config", str(config)], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
