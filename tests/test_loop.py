"""The whole loop end to end, through the CLI: a real HTTP server, real SQLite, the .eml outbox.

The outlet's page is a mockserver ``/mutable/`` URL: the test edits it between checks, as an outlet would.
"""

from __future__ import annotations

import email
import email.policy
import sqlite3
import uuid
from pathlib import Path

import pytest
from cli_helpers import REPO, cli, put, watchlist
from mockserver import MockServer
from warcio.archiveiterator import ArchiveIterator

from monitor.archive import WarcArchive
from monitor.warcrecords import EQUIVALENT_PROFILE

BEFORE = (REPO / "seeds" / "site" / "index.html").read_text(encoding="utf-8")
AFTER = (REPO / "seeds" / "changes" / "index.html").read_text(encoding="utf-8")
SUBSCRIBER = "subscribers:\n  - {email: desk@example.org, modes: [immediate, daily]}\n"


@pytest.fixture
def page(mockserver: MockServer) -> str:
    return mockserver.url(f"/mutable/{uuid.uuid4().hex}")


def outlet(url: str, name: str = "Северный вестник") -> str:
    return f"  - name: {name}\n    homepage: {url}\n    pages: [{url}]\n    tags: [test]\n"


def check(config: Path) -> str:
    ran = cli("check", "--once", "--config", str(config))
    assert ran.code == 0, ran.err
    return ran.out


def test_label_added_becomes_one_confirmed_event_and_one_alert(tmp_path: Path, page: str) -> None:
    config = watchlist(tmp_path, outlet(page), extra=SUBSCRIBER + "detection: {confirmations: 2}\n")
    put(page, BEFORE)
    assert "events: 0" in check(config)  # the baseline: nothing is "added" on day one
    put(page, AFTER)
    assert "events: 0" in check(config)  # seen once: awaiting confirmation
    out = check(config)
    assert "events: 1" in out
    assert "foreign-agent label added" in out

    history = cli("history", "--json", "--config", str(config)).json()
    assert [(e["category"], e["change"]) for e in history] == [("foreign_agent_label", "added")]
    assert "ИНОСТРАННЫМ АГЕНТОМ" in history[0]["after"]

    (alert,) = sorted((tmp_path / "outbox").glob("*.eml"))
    message = email.message_from_bytes(alert.read_bytes(), policy=email.policy.default)
    assert message["To"] == "desk@example.org"
    assert "foreign-agent label" in message["Subject"]
    for part in ("plain", "html"):
        assert "ИНОСТРАННЫМ АГЕНТОМ" in message.get_body((part,)).get_content()

    assert "events: 0" in check(config)  # unchanged page: no new event, no new mail
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1


def test_noise_only_changes_never_alert(tmp_path: Path, page: str) -> None:
    config = watchlist(tmp_path, outlet(page), extra=SUBSCRIBER + "detection: {confirmations: 1}\n")
    put(page, AFTER)
    check(config)
    for updated, views in (("25 ноября, 11:02", "4 001"), ("25 ноября, 12:30", "5 377")):
        noisy = AFTER.replace("25 ноября, 09:40", updated).replace("3 877", views)
        put(page, noisy)
        assert "events: 0" in check(config)
    assert cli("history", "--json", "--config", str(config)).json() == []


def warc_records(warc: Path) -> list[tuple[str, str | None]]:
    """(WARC-Type, WARC-Profile) of every main record, in the order written."""
    found = []
    for path in sorted(warc.glob("*.warc.gz")):
        with path.open("rb") as fh:
            found += [(r.rec_type, r.rec_headers.get_header("WARC-Profile")) for r in ArchiveIterator(fh)]
    return [(kind, profile) for kind, profile in found if kind in ("response", "revisit")]


@pytest.mark.parametrize("archive_noise", [False, True])
def test_a_noise_only_change_is_archived_as_a_revisit_unless_asked_for_full_bytes(
    tmp_path: Path, page: str, archive_noise: bool
) -> None:
    config = watchlist(tmp_path, outlet(page), extra="detection: {confirmations: 1}\n")
    storage = f"outbox_dir: outbox, archive_noise: {str(archive_noise).lower()}}}"
    config.write_text(config.read_text(encoding="utf-8").replace("outbox_dir: outbox}", storage), encoding="utf-8")
    put(page, AFTER)
    check(config)
    warc = tmp_path / "state" / "warc"
    size = sum(p.stat().st_size for p in warc.glob("*.warc.gz"))
    put(page, AFTER.replace("25 ноября, 09:40", "25 ноября, 11:02").replace("3 877", "4 001"))
    assert "events: 0" in check(config)
    grown = sum(p.stat().st_size for p in warc.glob("*.warc.gz")) - size
    kinds = warc_records(warc)
    if archive_noise:
        assert kinds == [("response", None), ("response", None)]
    else:
        assert kinds == [("response", None), ("revisit", EQUIVALENT_PROFILE)]
        assert grown < 2000  # a few hundred bytes of headers, not the page again
    put(page, BEFORE)  # the label gone: real content, archived in full whatever the setting
    check(config)
    assert warc_records(warc)[-1] == ("response", None)
    events = cli("history", "--json", "--config", str(config)).json()
    assert [(e["category"], e["change"]) for e in events] == [("foreign_agent_label", "removed")]
    # The removal's evidence exports, with the records it stands on, as a WARC that warcio accepts.
    exported = cli("evidence", str(events[0]["id"]), "--out", str(tmp_path / "ev"), "--config", str(config))
    assert exported.code == 0, exported.err


def test_after_a_challenge_page_the_evidence_is_the_page_fetched(tmp_path: Path, page: str) -> None:
    """A 200 "Just a moment…" between two fetches of the same content: the third fetch's record must not
    be a revisit of the challenge page (the last full response archived for the URL)."""
    config = watchlist(tmp_path, outlet(page), extra="detection: {confirmations: 1}\n")
    put(page, AFTER)
    check(config)
    put(page, "<html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>")
    check(config)
    put(page, AFTER.replace("3 877", "4 001"))  # the content again, with a counter ticked
    check(config)
    with sqlite3.connect(tmp_path / "state" / "monitor.db") as db:
        (last_ref,) = db.execute("SELECT archive_ref FROM snapshots ORDER BY id DESC LIMIT 1").fetchone()
    _, body = WarcArchive(tmp_path / "state" / "warc").read(last_ref)
    assert b"4 001" in body


def test_blocked_outlet_is_unreachable_and_the_check_still_succeeds(tmp_path: Path, mockserver: MockServer) -> None:
    blocked = mockserver.url("/status/451")
    config = watchlist(tmp_path, outlet(blocked, "Blocked"), extra="detection: {unreachable_after: 2}\n")
    first = check(config)
    assert "failed: 1" in first
    assert "451" in first
    check(config)
    events = cli("history", "--json", "--config", str(config)).json()
    assert [(e["category"], e["change"]) for e in events] == [("availability", "unreachable")]
    assert "451" in (events[0]["after"] or events[0]["detail"] or "")


def test_status_and_show(tmp_path: Path, page: str) -> None:
    config = watchlist(tmp_path, outlet(page), extra="detection: {confirmations: 1}\n")
    put(page, BEFORE)
    check(config)
    put(page, AFTER)
    check(config)
    status = cli("status", "--json", "--config", str(config))
    assert status.code == 0, status.err
    assert page in status.out
    (event,) = cli("history", "--json", "--config", str(config)).json()
    shown = cli("show", str(event["id"]), "--config", str(config))
    assert shown.code == 0, shown.err
    assert "foreign_agent_label" in shown.out
    assert cli("show", "999", "--config", str(config)).code == 1


def test_unknown_outlet_is_a_config_error(tmp_path: Path, page: str) -> None:
    config = watchlist(tmp_path, outlet(page))
    ran = cli("check", "--once", "--outlet", "Nobody", "--config", str(config))
    assert ran.code == 2
    assert "Nobody" in ran.err


def test_an_empty_response_never_removes_a_label(tmp_path: Path, page: str) -> None:
    config = watchlist(tmp_path, outlet(page), extra="detection: {confirmations: 2, unreachable_after: 5}\n")
    put(page, AFTER)
    check(config)
    put(page, "")
    for _ in range(2):
        out = check(config)
        assert "failed: 1" in out
        assert "empty page" in out
    assert cli("history", "--json", "--config", str(config)).json() == []


def test_changed_rules_rebaseline_unchanged_pages_silently(tmp_path: Path, page: str) -> None:
    config = watchlist(tmp_path, outlet(page), extra="detection: {confirmations: 1}\n")
    put(page, BEFORE)
    check(config)
    state = cli("state", "--json", "--config", str(config)).json()
    appeal = [p for p in state["pages"] if p["category"] == "donation_appeal"]
    assert appeal
    assert appeal[0]["present"] is True
    rule_ids = rules_finding_anything(BEFORE)
    text = config.read_text(encoding="utf-8").replace(
        "detection: {confirmations: 1}", f"detection: {{confirmations: 1, disable_rules: {sorted(rule_ids)}}}"
    )
    config.write_text(text, encoding="utf-8")
    assert "events: 0" in check(config)  # the page did not change: no "removed" event...
    state = cli("state", "--json", "--config", str(config)).json()
    assert not any(p["present"] for p in state["pages"])  # ...but the state follows the rules in force


def rules_finding_anything(html: str) -> set[str]:
    """Every rule that would report something on ``html`` once the ones before it are disabled."""
    from monitor.detect import Detector
    from monitor.rules import load_rule_set

    disabled: set[str] = set()
    while found := {f.rule for f in Detector(load_rule_set(disabled=disabled)).detect(html)}:
        disabled |= found
    return disabled
