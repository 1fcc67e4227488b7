"""Running the real console entry point in a subprocess, and writing throwaway watchlists."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@dataclass
class Ran:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120) -> Ran:
    """``python -m monitor ARGS`` — the same entry point as the ``press-monitor`` script."""
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        env=env,
        timeout=timeout,
    )
    return Ran(proc.returncode, proc.stdout, proc.stderr)


def put(url: str, body: str | bytes, content_type: str = "text/html; charset=utf-8") -> None:
    """Replace what a mockserver ``/mutable/`` URL serves (the outlet edits its page)."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    request = urllib.request.Request(url, data=data, method="PUT", headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 201, 204)


def watchlist(tmp_path: Path, outlets: str, extra: str = "") -> Path:
    """A config.yaml in ``tmp_path`` with fast, deterministic fetch settings and a local outbox."""
    text = (
        "storage: {url: 'sqlite:///state/monitor.db', archive_dir: state/warc, outbox_dir: outbox}\n"
        "fetch: {autothrottle: false, retries: 0, timeout: 5s, obey_robots: true, delay: 0s}\n"
        "schedule: {interval: 1h}\n" + extra + "outlets:\n" + outlets
    )
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path
