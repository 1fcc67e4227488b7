"""The daemon as a real process: scheduled checks, signals, one daemon per database, reload."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from cli_helpers import REPO, cli, put, watchlist
from daemon_helpers import FAST, DaemonProcess
from mockserver import MockServer

pytestmark = pytest.mark.slow

PAGE = (REPO / "seeds" / "site" / "index.html").read_text(encoding="utf-8")


@pytest.fixture
def config(tmp_path: Path, mockserver: MockServer) -> Path:
    url = mockserver.url(f"/mutable/{uuid.uuid4().hex}")
    put(url, PAGE)
    return watchlist(tmp_path, outlet(url))


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
        daemon.wait_for("event=check outlet=Renamed fetched=1")  # a new outlet's job runs at once
        assert daemon.stop() == 0
    finally:
        daemon.kill()


def outlet(url: str, name: str = "Outlet", extra: str = "") -> str:
    return f"  - name: {name}\n    homepage: '{url}'\n    pages: ['{url}']\n{extra}"


def test_short_interval_checks_repeat_and_never_overlap(tmp_path: Path, mockserver: MockServer) -> None:
    """Each check takes ~2 s, its interval is 1 s: runs are skipped or coalesced, never run side by side."""
    slow = mockserver.url("/delay/2")
    config = watchlist(tmp_path, outlet(slow, "Slow", "    schedule: {interval: 1s}\n"))
    daemon = DaemonProcess(config, env=FAST)
    try:
        for _ in range(3):
            daemon.wait_for("event=check outlet=Slow")
        assert daemon.stop() == 0
        daemon.wait_for("event=daemon_stopped")
    finally:
        daemon.kill()
    sequence = [line for line in daemon.lines if "event=check_started" in line or "event=check " in line]
    starts = ["event=check_started" in line for line in sequence]
    assert starts[:6] == [True, False] * 3, "\n".join(sequence)


def test_status_shows_the_running_daemon_and_next_run_and_reload_signals_it(config: Path) -> None:
    daemon = DaemonProcess(config)
    try:
        daemon.wait_for("event=check outlet=Outlet fetched=1")
        status = cli("status", "--json", "--config", str(config)).json()
        assert status["daemon"]["running"] is True
        assert status["daemon"]["pid"] == daemon.proc.pid
        (outlet_status,) = status["outlets"]
        assert outlet_status["result"] == "ok"
        assert outlet_status["due"] is False
        assert outlet_status["next_run"] > outlet_status["last_checked_at"]  # an hour later (ISO strings sort)
        assert outlet_status["consecutive_failures"] == 0

        config.write_text(config.read_text(encoding="utf-8") + "unknown_section: 1\n", encoding="utf-8")
        refused = cli("reload", "--config", str(config))
        assert refused.code == 2  # validated before the daemon is disturbed
        assert "unknown_section" in refused.err

        config.write_text(config.read_text(encoding="utf-8").replace("unknown_section: 1\n", ""), encoding="utf-8")
        ran = cli("reload", "--config", str(config))
        assert ran.code == 0, ran.err
        assert f"pid {daemon.proc.pid}" in ran.out
        daemon.wait_for("event=reloaded")
        assert daemon.stop() == 0
    finally:
        daemon.kill()
    stopped = cli("status", "--json", "--config", str(config)).json()
    assert stopped["daemon"] == {"running": False, "pid": None, "started": None, "config": None}
    assert stopped["outlets"][0]["next_run"] == outlet_status["next_run"]  # the same, daemon or not
    text = cli("status", "--config", str(config)).out
    assert "daemon: not running" in text
    assert "every 1h" in text
    again = cli("reload", "--config", str(config))
    assert again.code == 1
    assert "no press-monitor daemon is running" in again.err


def test_sigterm_lets_a_running_check_finish(tmp_path: Path, mockserver: MockServer) -> None:
    slow = mockserver.url("/delay/2")
    config = watchlist(tmp_path, outlet(slow, "Slow"), extra="daemon: {shutdown_timeout: 30s}\n")
    daemon = DaemonProcess(config)
    try:
        daemon.wait_for("event=check_started outlet=Slow")
        daemon.signal(signal.SIGTERM)
        daemon.wait_for("event=daemon_stopping")
        daemon.wait_for("event=check outlet=Slow fetched=1")
        daemon.wait_for("event=daemon_stopped")
        assert daemon.proc.wait(timeout=30) == 0
    finally:
        daemon.kill()
    (page,) = cli("status", "--json", "--config", str(config)).json()["pages"]
    assert page["checks"] == 1


@pytest.mark.parametrize(
    ("timeout", "signals"),
    [("1s", [signal.SIGINT]), ("10m", [signal.SIGTERM, signal.SIGTERM])],
    ids=["shutdown-timeout", "second-signal"],
)
def test_a_check_still_running_at_the_timeout_or_a_second_signal_is_abandoned_unrecorded(
    tmp_path: Path, mockserver: MockServer, timeout: str, signals: list[signal.Signals]
) -> None:
    hung = mockserver.url("/delay/60")
    config = watchlist(tmp_path, outlet(hung, "Hung"), extra=f"daemon: {{shutdown_timeout: {timeout}}}\n")
    daemon = DaemonProcess(config)
    try:
        daemon.wait_for("event=check_started outlet=Hung")
        for sig in signals:
            daemon.signal(sig)
            daemon.wait_for(f"signal={sig.name}")
        daemon.wait_for("event=check_abandoned outlet=Hung")
        daemon.wait_for("event=daemon_stopped abandoned=1")
        assert daemon.proc.wait(timeout=30) == 0
    finally:
        daemon.kill()
    status = cli("status", "--json", "--config", str(config)).json()
    assert status["pages"] == [] or status["pages"][0]["checks"] == 0  # nothing recorded, no false failure
    assert status["outlets"][0]["due"] is True  # the next start checks it at once


def test_log_level_comes_from_the_config_unless_the_cli_sets_it(tmp_path: Path, mockserver: MockServer) -> None:
    failing = mockserver.url("/status/503")
    down = outlet(failing, "Down", "    schedule: {interval: 1s}\n")  # checked soon after any start
    config = watchlist(tmp_path, down, extra="daemon: {log_level: debug}\n")
    env = {k: v for k, v in os.environ.items() if k != "PRESS_MONITOR_LOG_LEVEL"} | FAST
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--config", str(config)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        debug = next(line for line in proc.stdout if "event=job_added" in line)  # logged at DEBUG only
        assert "level=DEBUG" in debug
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    quiet = DaemonProcess(config, level="WARNING", env=FAST)  # the CLI wins over daemon.log_level
    try:
        quiet.wait_for("event=unreachable outlet=Down")
        assert quiet.stop() == 0
    finally:
        quiet.kill()
    assert not [line for line in quiet.lines + quiet.rest() if "level=DEBUG" in line or "level=INFO" in line]
