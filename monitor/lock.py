"""One daemon per database: an exclusive ``flock`` on a file beside it, which also says who holds it.

The kernel drops the lock when the process dies, however it dies (kill -9 included), so a stale lock
file never blocks a restart. While held, the file reads ``pid=…``, ``started=…`` and ``config=…``
lines: ``press-monitor reload`` signals that pid and ``press-monitor status`` reports it. A reader
only trusts the pid while the lock is held, so a reused pid of a dead daemon is never signalled.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from monitor.errors import MonitorError


@dataclass(frozen=True)
class DaemonInfo:
    """Whether a daemon holds the lock, and what it wrote there (``pid`` None while it is starting)."""

    running: bool
    pid: int | None = None
    started: str | None = None
    config: str | None = None


@contextlib.contextmanager
def single_instance(lock_path: Path, config_path: Path | None = None) -> Iterator[None]:
    """Hold the lock for the ``with`` body, or raise MonitorError naming the daemon that holds it."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _parse(lock_path.read_text(encoding="utf-8", errors="replace"))
            who = f" (pid {holder.pid})" if holder.pid else ""
            raise MonitorError(
                f"another press-monitor daemon{who} is already running on this database (lock: {lock_path})"
            ) from None
        handle.seek(0)
        handle.truncate()
        config = f"config={config_path.resolve()}\n" if config_path else ""
        handle.write(f"pid={os.getpid()}\nstarted={datetime.now(UTC).isoformat(timespec='seconds')}\n{config}")
        handle.flush()
        try:
            yield
        finally:
            # Cleared before the lock is released, so nobody reads our pid once we are gone.
            handle.seek(0)
            handle.truncate()
            handle.flush()


def daemon_info(lock_path: Path) -> DaemonInfo:
    """Is a daemon running on this database? Probes the lock with a shared, non-blocking flock.

    The probe holds the lock for microseconds; a daemon starting in exactly that window would refuse
    to start with "already running" (and may simply be started again).
    """
    try:
        handle = lock_path.open("r", encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return DaemonInfo(running=False)
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _parse(handle.read())
        fcntl.flock(handle, fcntl.LOCK_UN)
        return DaemonInfo(running=False)


def _parse(text: str) -> DaemonInfo:
    fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    pid = fields.get("pid", "")
    return DaemonInfo(
        running=True,
        pid=int(pid) if pid.isdigit() else None,
        started=fields.get("started"),
        config=fields.get("config"),
    )
