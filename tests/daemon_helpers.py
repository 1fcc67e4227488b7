"""A real daemon in a subprocess, whose log lines the test awaits (no sleeps)."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from cli_helpers import REPO

#: Lets tests schedule checks seconds apart (config validation refuses intervals under 60 s otherwise).
FAST = {"PRESS_MONITOR_MIN_INTERVAL": "1"}


class DaemonProcess:
    def __init__(self, config: Path, *extra: str, env: dict[str, str] | None = None, level: str = "INFO") -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--log-level", level, "run", "--config", str(config), *extra],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, needle: str, timeout: float = 60) -> str:
        """The first log line containing ``needle``; fails if the process ends or time runs out first."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no line with {needle!r} within {timeout}s:\n" + "\n".join(self.lines[-30:]))
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"daemon exited before {needle!r}:\n" + "\n".join(self.lines[-30:]))
            self.lines.append(line)
            if needle in line:
                return line

    def rest(self) -> list[str]:
        """Every line not read yet, once the process has exited."""
        self.proc.wait(timeout=60)
        lines = []
        while (line := self._queue.get(timeout=10)) is not None:
            lines.append(line)
        self.lines.extend(lines)
        return lines

    def count(self, needle: str) -> int:
        """How many lines read so far contain ``needle``."""
        return sum(needle in line for line in self.lines)

    def signal(self, sig: signal.Signals) -> None:
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
