"""kill -9 in the middle of a check or of sending, then a restart: no event is lost and no message is
delivered more than once (at least once with a stable Message-ID; the .eml outbox de-duplicates by it)."""

from __future__ import annotations

import collections
import email
import email.policy
import os
import re
import sqlite3
import uuid
from pathlib import Path

import pytest
from cli_helpers import REPO, Ran, cli, put, watchlist
from daemon_helpers import FAST, DaemonProcess
from mockserver import MockServer

pytestmark = pytest.mark.slow

BEFORE = (REPO / "seeds" / "site" / "index.html").read_text(encoding="utf-8")
AFTER = (REPO / "seeds" / "changes" / "index.html").read_text(encoding="utf-8")
SUBSCRIBERS = (
    "subscribers:\n"
    "  - {email: desk@example.org, modes: [immediate]}\n"
    "  - {email: ngo@example.org, modes: [immediate]}\n"
)


def outlet(name: str, urls: list[str], schedule: str = "") -> str:
    pages = "".join(f"      - '{url}'\n" for url in urls)
    return f"  - name: {name}\n    homepage: '{urls[0]}'\n    pages:\n{pages}{schedule}"


def fast_cli(*args: str) -> Ran:
    """The CLI with the same short-interval allowance the daemon under test gets."""
    return cli(*args, env={**os.environ, **FAST})


def database(config: Path) -> sqlite3.Connection:
    return sqlite3.connect(config.parent / "state" / "monitor.db")


def outbox_ids(config: Path) -> collections.Counter[str]:
    """Message-IDs of the .eml files in the outbox, with how many files carry each."""
    ids: collections.Counter[str] = collections.Counter()
    for path in (config.parent / "outbox").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        ids[str(message["Message-ID"])] += 1
    return ids


def test_kill_9_while_alerts_go_out_loses_nothing_and_sends_each_once(tmp_path: Path, mockserver: MockServer) -> None:
    urls = [mockserver.url(f"/mutable/{uuid.uuid4().hex}") for _ in range(30)]
    for url in urls:
        put(url, BEFORE)
    schedule = "    schedule: {interval: 1s}\n"
    config = watchlist(tmp_path, outlet("Many", urls, schedule), SUBSCRIBERS + "detection: {confirmations: 1}\n")
    assert fast_cli("check", "--once", "--config", str(config)).code == 0  # the baseline: no events
    for url in urls:
        put(url, AFTER)  # every page gains a label: 30 events, 60 alerts

    first = DaemonProcess(config, env=FAST)
    try:
        first.wait_for("outbox: wrote")  # the first alert is on disk: the daemon is mid-way through sending
    finally:
        first.kill()  # SIGKILL: no handler runs

    second = DaemonProcess(config, env=FAST)
    try:
        started = second.wait_for("event=daemon_started")
        backlog, sent = int(re.search(r"pending_deliveries=(\d+)", started)[1]), 0
        while sent < backlog:  # what the crash left queued goes out at start
            sent += int(re.search(r" sent=(\d+)", second.wait_for("event=send "))[1])
        assert second.stop() == 0
    finally:
        second.kill()

    history = fast_cli("history", "--json", "--config", str(config)).json()
    added = [e for e in history if e["change"] == "added"]
    assert sorted(e["url"] for e in added) == sorted(urls)  # one event per page: none lost, none doubled
    with database(config) as db:
        deliveries = db.execute("select status, message_id from deliveries").fetchall()
        routed = db.execute("select count(distinct event_id) from delivery_events").fetchone()[0]
        assert db.execute("pragma integrity_check").fetchone() == ("ok",)
    assert routed == len(history)  # every event has its alerts
    assert len(deliveries) == 2 * len(history)  # one per event and subscriber
    assert {status for status, _ in deliveries} == {"sent"}
    sent = outbox_ids(config)
    assert set(sent) == {message_id for _, message_id in deliveries}
    assert set(sent.values()) == {1}, "a message was delivered twice"


def test_kill_9_while_pages_are_in_flight_then_the_restart_checks_them(tmp_path: Path, mockserver: MockServer) -> None:
    slow = [mockserver.url(f"/delay/2?page={n}") for n in range(5)]
    config = watchlist(tmp_path, outlet("Slow", slow))
    first = DaemonProcess(config)
    try:
        first.wait_for("event=check_started outlet=Slow pages=5")
    finally:
        first.kill()
    status = cli("status", "--json", "--config", str(config)).json()
    assert status["daemon"]["running"] is False  # the kernel released the lock with the process
    assert status["outlets"][0]["due"] is True

    second = DaemonProcess(config)
    try:
        second.wait_for("event=check outlet=Slow fetched=5 unchanged=0 failed=0")
        assert second.stop() == 0
    finally:
        second.kill()
    pages = cli("status", "--json", "--config", str(config)).json()["pages"]
    assert sorted(p["url"] for p in pages) == sorted(slow)
    assert {(p["checks"], p["consecutive_failures"]) for p in pages} == {(1, 0)}  # nothing half-recorded


def test_a_crash_between_sending_and_recording_it_resends_with_the_same_message_id(
    tmp_path: Path, mockserver: MockServer
) -> None:
    url = mockserver.url(f"/mutable/{uuid.uuid4().hex}")
    config = watchlist(tmp_path, outlet("One", [url]), SUBSCRIBERS + "detection: {confirmations: 1}\n")
    put(url, BEFORE)
    assert cli("check", "--once", "--config", str(config)).code == 0
    put(url, AFTER)
    assert cli("check", "--once", "--config", str(config)).code == 0
    before = outbox_ids(config)
    assert sum(before.values()) == 2
    with database(config) as db:  # the state a crash right after the send, before mark_sent, leaves
        db.execute("update deliveries set status = 'pending', sent_at = null")

    daemon = DaemonProcess(config)
    try:
        daemon.wait_for("event=daemon_started outlets=1 pending_deliveries=2")
        daemon.wait_for("event=send sent=2")
        assert daemon.count("already delivered") == 2
        assert daemon.stop() == 0
    finally:
        daemon.kill()
    assert outbox_ids(config) == before  # re-sent with the same Message-ID: still one file each
