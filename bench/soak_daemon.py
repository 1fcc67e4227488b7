"""A bounded soak of the real daemon: hundreds of scheduled checks at short intervals, RSS over time.

    python bench/soak_daemon.py [--checks 400] [--outlets 8] [--pages 3] [--interval 1]

One process, as in production: the daemon (APScheduler + Scrapy's asyncio reactor + the outbox) runs
in-process against tests/mockserver.py (a subprocess, so its memory is not counted). Every few seconds
some pages gain or lose a foreign-agent label, so checks also detect, record events and write alerts.
Prints, every ``--every`` checks, the checks done, snapshots stored, alerts written and this process's
RSS; at the end, the RSS growth over the second half of the run (after warm-up), which should stay near
zero if nothing leaks per check. Not a test: it takes minutes and measures; nothing is asserted.

The 60 s floor on check intervals is lowered for this process only, through PRESS_MONITOR_MIN_INTERVAL
(for benchmarks and tests; never set it for real outlets).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BEFORE = (REPO / "seeds" / "site" / "index.html").read_text(encoding="utf-8")
AFTER = (REPO / "seeds" / "changes" / "index.html").read_text(encoding="utf-8")


FLIP_EVERY = 1.0  # seconds between two page edits


class CheckCounter(logging.Handler):
    """Counts the daemon's ``event=check`` lines: one per finished outlet check."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.checks = 0
        self.events = 0
        self.changed = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("event=check "):
            self.checks += 1
            self.changed.set()
        elif message.startswith("event=change "):
            self.events += 1


def rss_mb() -> float:
    """Current resident set size (Linux /proc); the peak from getrusage elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def put(url: str, body: str) -> None:
    request = urllib.request.Request(url, data=body.encode(), method="PUT", headers={"Content-Type": "text/html"})
    with urllib.request.urlopen(request, timeout=10):
        pass


def write_config(folder: Path, pages: list[list[str]], interval: float) -> Path:
    outlets = ""
    for n, urls in enumerate(pages):
        listed = "".join(f"      - '{url}'\n" for url in urls)
        outlets += f"  - name: Outlet {n}\n    homepage: '{urls[0]}'\n    pages:\n{listed}"
    path = folder / "config.yaml"
    path.write_text(
        "storage: {url: 'sqlite:///state/monitor.db', archive_dir: state/warc, outbox_dir: outbox}\n"
        "fetch: {autothrottle: false, retries: 0, timeout: 5s, delay: 0s}\n"
        f"schedule: {{interval: {interval}s}}\n"
        "detection: {confirmations: 1}\n"
        "subscribers:\n  - {email: desk@example.org, modes: [immediate]}\n"
        f"outlets:\n{outlets}",
        encoding="utf-8",
    )
    return path


async def flip_pages(urls: list[str], rng: random.Random, stop: asyncio.Event) -> None:
    """The outlets edit their pages now and then: a random page gains its label, or loses it again."""
    labelled: set[str] = set()
    while not stop.is_set():
        url = rng.choice(urls)
        await asyncio.to_thread(put, url, BEFORE if url in labelled else AFTER)
        labelled ^= {url}
        try:
            await asyncio.wait_for(stop.wait(), timeout=FLIP_EVERY)
        except TimeoutError:
            pass


async def soak(args: argparse.Namespace, config_path: Path, urls: list[str]) -> list[tuple[float, int, float]]:
    from monitor.config import load_config
    from monitor.daemon import Daemon

    counter = CheckCounter()
    logging.getLogger("monitor.daemon").addHandler(counter)
    quiet = logging.StreamHandler()
    quiet.setLevel(logging.WARNING)
    logging.getLogger("monitor.daemon").addHandler(quiet)
    daemon = Daemon(config_path, load_config(config_path))
    served = asyncio.ensure_future(daemon.serve())
    flipper = asyncio.ensure_future(flip_pages(urls, random.Random(7), daemon.stopping))
    samples: list[tuple[float, int, float]] = []
    started, next_report = time.monotonic(), 0
    print(f"{'seconds':>8} {'checks':>7} {'snapshots':>9} {'events':>7} {'alerts':>7} {'RSS MB':>8}")
    while counter.checks < args.checks:
        counter.changed.clear()
        await counter.changed.wait()
        if counter.checks >= next_report:
            next_report += args.every
            samples.append((time.monotonic() - started, counter.checks, rss_mb()))
            snapshots = sum(p.checks for p in daemon.app.store.page_summaries())
            alerts = len(list((config_path.parent / "outbox").glob("*.eml")))
            row = f"{samples[-1][0]:8.1f} {counter.checks:7d} {snapshots:9d} {counter.events:7d} {alerts:7d}"
            print(f"{row} {samples[-1][2]:8.1f}", flush=True)
    daemon.stopping.set()
    await served
    await flipper
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checks", type=int, default=400, help="outlet checks to run (default 400)")
    parser.add_argument("--outlets", type=int, default=8)
    parser.add_argument("--pages", type=int, default=3, help="pages per outlet")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between an outlet's checks")
    parser.add_argument("--every", type=int, default=25, help="print a sample every N checks")
    args = parser.parse_args()
    os.environ["PRESS_MONITOR_MIN_INTERVAL"] = str(min(args.interval, 60))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    daemon_log = logging.getLogger("monitor.daemon")
    daemon_log.setLevel(logging.INFO)  # for the counter; only warnings reach the terminal
    daemon_log.propagate = False
    # At 1 s intervals many runs find the previous check still going; APScheduler warns of each skip.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)

    server = subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "mockserver.py")], stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None
    base = server.stdout.readline().strip()
    try:
        pages = [[f"{base}/mutable/soak-{o}-{p}" for p in range(args.pages)] for o in range(args.outlets)]
        urls = [url for outlet in pages for url in outlet]
        for url in urls:
            put(url, BEFORE)
        with tempfile.TemporaryDirectory(prefix="soak-") as folder:
            config_path = write_config(Path(folder), pages, args.interval)
            from monitor.crawl import run

            samples = run(lambda: soak(args, config_path, urls))
    finally:
        server.terminate()
        server.wait(timeout=10)
    half = [s for s in samples if s[1] >= args.checks / 2]
    if len(half) >= 2:
        growth = half[-1][2] - half[0][2]
        per_100 = growth / max(1, half[-1][1] - half[0][1]) * 100
        print(f"RSS over the second half: {half[0][2]:.1f} -> {half[-1][2]:.1f} MB ({per_100:+.2f} MB per 100 checks)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
