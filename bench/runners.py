"""The three contenders, each run as a whole child process and measured from outside.

``measure`` starts a command and reaps it with ``os.wait4``, which returns the child's own resource
usage: CPU (user + system) and peak RSS come from the kernel, not from sampling. Requests and 304s
come from the web server's access log; recall and false alerts from each tool's own record of what
changed (press-monitor's events table, urlwatch's CHANGED report lines).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.server import Server
from bench.sitegen import PAGES_PER_SITE, Site, page_path

REPO = Path(__file__).resolve().parents[1]
KEYWORDS = r"(?i)(foreign agent|иностранн|иноагент|support us|поддержите|subscribe|подписк|undesirable|нежелательн)"


@dataclass
class Run:
    """One measured round of one tool."""

    tool: str
    round: int
    wall: float
    cpu: float
    rss_mb: float
    requests: dict[str, int] = field(default_factory=dict)
    alerts: set[str] = field(default_factory=set)  # URL paths the tool reported as changed
    storage: int = 0  # bytes on disk after the round
    note: str = ""


def measure(
    cmd: list[str], cwd: Path, env: dict[str, str] | None = None, log: Path | None = None
) -> tuple[float, float, float, str]:
    """Run ``cmd`` to completion: (wall seconds, CPU seconds, peak RSS MB, stdout)."""
    out = (log or cwd / "last.out").open("wb")
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    out.close()
    text = (log or cwd / "last.out").read_text(encoding="utf-8", errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} … exited {proc.returncode}:\n{text[-3000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, text


def all_urls(server: Server, sites: list[Site]) -> list[str]:
    return [server.url(s, page_path(s, p)) for s in sites for p in range(PAGES_PER_SITE)]


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


# -- the floor -------------------------------------------------------------------------------------


def floor_round(server: Server, sites: list[Site], out: Path, rnd: int) -> Run:
    return _floor_round("floor", "bench.floor", [], server, sites, out, rnd)


def polite_floor_round(server: Server, sites: list[Site], out: Path, rnd: int, fetch: str) -> Run:
    """bench/polite_floor.py, with the per-host delay of press-monitor's ``fetch`` section."""
    delay = re.search(r"delay:\s*([\d.]+)\s*s", fetch)
    args = [delay.group(1)] if delay else []
    return _floor_round("polite floor", "bench.polite_floor", args, server, sites, out, rnd)


def _floor_round(
    tool: str, module: str, args: list[str], server: Server, sites: list[Site], out: Path, rnd: int
) -> Run:
    """One round of a floor script: ``python -m MODULE URLS_FILE ETAGS_JSON [ARGS]``, one JSON line out."""
    work = out / tool.replace(" ", "-")
    work.mkdir(exist_ok=True)
    (work / "urls.txt").write_text("\n".join(all_urls(server, sites)), encoding="utf-8")
    offset = server.log_offset()
    cmd = [sys.executable, "-m", module, str(work / "urls.txt"), str(work / "etags.json"), *args]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    wall, cpu, rss, text = measure(cmd, work, env, work / f"round{rnd}.out")
    counts = json.loads(text.strip().splitlines()[-1])
    return Run(tool, rnd, wall, cpu, rss, server.requests_since(offset), note=f"failed={counts['failed']}")


# -- press-monitor ---------------------------------------------------------------------------------

PM_FETCH = "{obey_robots: true, timeout: 30s, retries: 2, concurrency_per_domain: 2, autothrottle: true, delay: 0.5s}"


def pm_config(server: Server, sites: list[Site], work: Path, fetch: str = PM_FETCH) -> Path:
    lines = [
        "storage: {url: 'sqlite:///state/monitor.db', archive_dir: state/warc, outbox_dir: state/outbox}",
        f"fetch: {fetch}",
        "detection: {confirmations: 1}",
        "subscribers:\n  - {email: desk@example.org, modes: [immediate]}",
        "outlets:",
    ]
    for site in sites:
        pages = ", ".join(server.url(site, page_path(site, p)) for p in range(PAGES_PER_SITE))
        home = server.url(site, "/")
        lines.append(f"  - {{name: '{site.name}', homepage: '{home}', languages: [{site.lang}], pages: [{pages}]}}")
    work.mkdir(parents=True, exist_ok=True)
    path = work / "config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def pm_round(server: Server, sites: list[Site], out: Path, rnd: int, fetch: str = PM_FETCH) -> Run:
    work = out / "press-monitor"
    config = work / "config.yaml" if rnd > 1 else pm_config(server, sites, work, fetch)
    offset = server.log_offset()
    seen = _pm_event_ids(work)
    cmd = [str(REPO / ".venv" / "bin" / "python"), "-m", "monitor", "check", "--once", "--config", str(config)]
    # BENCH_PM_SRC: measure another checkout (e.g. a git worktree of an older commit) with the same venv.
    env = {**os.environ, "PYTHONPATH": os.environ["BENCH_PM_SRC"]} if os.environ.get("BENCH_PM_SRC") else None
    if os.environ.get("BENCH_PROFILE"):  # collapsed stacks for flame graphs; distorts the figures
        spy = REPO / ".venv" / "bin" / "py-spy"
        if not spy.exists():
            raise SystemExit(f"BENCH_PROFILE needs py-spy: {REPO / '.venv' / 'bin' / 'pip'} install py-spy")
        # --subprocesses: the worker process that reads pages is sampled too.
        profile = str(work / f"profile{rnd}.txt")
        cmd = [str(spy), "record", "--subprocesses", "-r", "200", "-f", "raw", "-o", profile, "--", *cmd]
    wall, cpu, rss, text = measure(cmd, work, env, work / f"round{rnd}.out")
    # wait4 reports the largest process of the tree; a worker process reading pages adds its own memory.
    worker = re.search(r"worker_rss_mb=(\d+)", text)
    rss += float(worker.group(1)) if worker else 0.0
    alerts = {_path(url) for event_id, url in _pm_events(work) if event_id not in seen}
    storage = dir_size(work / "state" / "warc") + _db_size(work / "state" / "monitor.db")
    return Run("press-monitor", rnd, wall, cpu, rss, server.requests_since(offset), alerts, storage)


def _db_size(db: Path) -> int:
    """The database's size with its write-ahead log folded in (what it keeps, not what is in flight)."""
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db.stat().st_size


def _pm_events(work: Path) -> list[tuple[int, str]]:
    db = work / "state" / "monitor.db"
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        return list(conn.execute("SELECT id, url FROM events"))


def _pm_event_ids(work: Path) -> set[int]:
    return {event_id for event_id, _ in _pm_events(work)}


# -- urlwatch --------------------------------------------------------------------------------------

URLWATCH_CONFIG = """display: {new: true, error: true, unchanged: false, empty-diff: false}
report:
  text: {details: false, footer: false, minimal: true}
  stdout: {enabled: true, color: false}
"""
_CHANGED = re.compile(r"CHANGED: .*?(https?://\S+)")


def urlwatch_binary(out: Path) -> Path:
    """urlwatch from PyPI in its own venv under bench/out (its deps must not touch ours)."""
    venv = out.parent / "urlwatch-venv"
    binary = venv / "bin" / "urlwatch"
    if not binary.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "urlwatch"], check=True)
    return binary


def urlwatch_round(server: Server, sites: list[Site], out: Path, rnd: int, variant: str) -> Run:
    work = out / f"urlwatch-{variant}"
    work.mkdir(exist_ok=True)
    if rnd == 1:
        filters = "html2text" if variant == "html2text" else [{"html2text": {}}, {"grep": KEYWORDS}]
        jobs = [{"name": _path(u), "url": u, "filter": filters} for u in all_urls(server, sites)]
        (work / "urls.yaml").write_text(
            "\n---\n".join(json.dumps(j, ensure_ascii=False) for j in jobs), encoding="utf-8"
        )
        (work / "config.yaml").write_text(URLWATCH_CONFIG, encoding="utf-8")
    offset = server.log_offset()
    cmd = [
        str(urlwatch_binary(out)),
        "--urls", str(work / "urls.yaml"),
        "--config", str(work / "config.yaml"),
        "--cache", str(work / "cache.db"),
        "--hooks", str(work / "hooks.py"),
    ]  # fmt: skip
    env = {**os.environ, "HOME": str(work)}
    wall, cpu, rss, text = measure(cmd, work, env, work / f"round{rnd}.out")
    alerts = {_path(m.group(1)) for m in _CHANGED.finditer(text)}
    storage = dir_size(work) - sum(
        (work / f"round{r}.out").stat().st_size for r in (1, 2) if (work / f"round{r}.out").exists()
    )
    return Run(f"urlwatch ({variant})", rnd, wall, cpu, rss, server.requests_since(offset), alerts, storage)
