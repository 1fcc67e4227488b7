"""The daemon as a real process: scheduled checks, signals, one daemon per database, reload."""

from __future__ import annotations

import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from cli_helpers import REPO, cli, put, watchlist
from daemon_helpers import DaemonProcess
from mockserver import MockServer

PAGE = (REPO / "seeds" / "site" / "index.html").read_text(encoding="utf-8")


@pytest.fixture
def config(tmp_path: Path, mockserver: MockServer) -> Path:
    url = mockserver.url(f"/mutable/{uuid.uuid4().hex}")
    put(url, PAGE)
    return watchlist(tmp_path, f"  - name: Outlet\n    homepage: {url}\n    pages: [{url}]\n")


def test_daemon_checks_at_start_and_stops_cleanly_on_sigterm(config: Path) -> None:
    daemon = DaemonProcess(config)
    try:
        daemon.wait_for("event=daemon_started")
        daemon.wait_for("event=check outlet=Outlet fetched=1")
        assert daemon.stop() == 0
        daemon.wait_for("event=daemon_stopped")  # read from what it wrote before exiting
    finally:
        daemon.kill()
    status = cli("status", "--json", "--config", str(config)).json()
    assert status["pages"], "the scheduled check was recorded"


def test_a_second_daemon_on_the_same_database_refuses_to_start(config: Path) -> None:
    first = DaemonProcess(config)
    try:
        first.wait_for("event=daemon_started")
        second = subprocess.run(
            [sys.executable, "-m", "monitor", "run", "--config", str(config)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1
        assert "already running" in second.stderr
    finally:
        first.stop()
        first.kill()


def test_sighup_with_an_invalid_config_keeps_the_old_one(config: Path) -> None:
    daemon = DaemonProcess(config)
    try:
        daemon.wait_for("event=daemon_started")
        good = config.read_text(encoding="utf-8")
        config.write_text(good + "bogus_section: 1\n", encoding="utf-8")
        daemon.signal(signal.SIGHUP)
        line = daemon.wait_for("event=reload_rejected")
        assert "bogus_section" in line
        config.write_text(good.replace("name: Outlet", "name: Renamed"), encoding="utf-8")
        daemon.signal(signal.SIGHUP)
        daemon.wait_for("event=reloaded")
        assert daemon.stop() == 0
    finally:
        daemon.kill()
