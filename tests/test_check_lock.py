"""A one-off check never runs beside the daemon on the same database (both could alert on one change)."""

from __future__ import annotations

import uuid
from pathlib import Path

from cli_helpers import REPO, cli, put, watchlist
from daemon_helpers import DaemonProcess
from mockserver import MockServer

PAGE = (REPO / "seeds" / "site" / "index.html").read_text(encoding="utf-8")


def test_check_once_refuses_to_run_beside_the_daemon(tmp_path: Path, mockserver: MockServer) -> None:
    url = mockserver.url(f"/mutable/{uuid.uuid4().hex}")
    put(url, PAGE)
    config = watchlist(tmp_path, f"  - name: Outlet\n    homepage: {url}\n")
    daemon = DaemonProcess(config)
    try:
        daemon.wait_for("event=daemon_started")
        ran = cli("check", "--once", "--config", str(config))
        assert ran.code == 1
        assert "already running" in ran.err
    finally:
        daemon.stop()
        daemon.kill()
    assert cli("check", "--once", "--config", str(config)).code == 0  # and runs once the daemon is gone
