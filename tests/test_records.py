"""After a recorded event: evidence export, the state matrix, CSV export, digests and retention — via the CLI."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from cli_helpers import REPO, cli, put, watchlist
from mockserver import MockServer

BEFORE = (REPO / "seeds" / "site" / "index.html").read_text(encoding="utf-8")
AFTER = (REPO / "seeds" / "changes" / "index.html").read_text(encoding="utf-8")
LABEL_WORDS = "ИНОСТРАННЫМ АГЕНТОМ"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory, mockserver: MockServer) -> Path:
    """A watchlist whose store holds one confirmed ``foreign_agent_label added`` event."""
    tmp = tmp_path_factory.mktemp("records")
    url = mockserver.url(f"/mutable/{uuid.uuid4().hex}")
    config = watchlist(
        tmp,
        f"  - name: Вестник\n    homepage: {url}\n    pages: [{url}]\n    tags: [ru]\n",
        extra="detection: {confirmations: 1}\nsubscribers:\n  - {email: weekly@example.org, modes: [weekly]}\n",
    )
    put(url, BEFORE)
    assert cli("check", "--once", "--config", str(config)).code == 0
    put(url, AFTER)
    assert cli("check", "--once", "--config", str(config)).code == 0
    return config


def only_event(config: Path) -> dict[str, object]:
    (event,) = cli("history", "--json", "--config", str(config)).json()
    return event


def test_evidence_export_is_a_valid_warc_with_before_and_after(recorded: Path, tmp_path: Path) -> None:
    event = only_event(recorded)
    out = tmp_path / "evidence"
    ran = cli("evidence", str(event["id"]), "--out", str(out), "--config", str(recorded))
    assert ran.code == 0, ran.err
    check = subprocess.run([Path(sys.executable).parent / "warcio", "check", str(out / "evidence.warc.gz")])
    assert check.returncode == 0
    assert LABEL_WORDS not in (out / "before.txt").read_text(encoding="utf-8")
    assert LABEL_WORDS in (out / "after.txt").read_text(encoding="utf-8")
    assert json.loads((out / "event.json").read_text(encoding="utf-8"))["id"] == event["id"]
    assert "foreign-agent label added" in (out / "SUMMARY.md").read_text(encoding="utf-8")


def test_state_matrix_shows_the_label_present_with_its_wording(recorded: Path) -> None:
    state = cli("state", "--json", "--config", str(recorded)).json()
    label = [p for p in state["pages"] if p["category"] == "foreign_agent_label"]
    assert label
    assert label[0]["present"] is True
    assert LABEL_WORDS in label[0]["wording"]
    coverage = {(c["outlet"], c["category"]): c["share"] for c in state["coverage"]}
    assert coverage[("Вестник", "foreign_agent_label")] == 1.0
    absent = [p for p in state["pages"] if p["category"] == "paywall"]
    assert absent
    assert absent[0]["present"] is False  # "still absent" is state too


def test_export_csv_has_one_row_per_event(recorded: Path) -> None:
    ran = cli("export", "--format", "csv", "--config", str(recorded))
    rows = list(csv.DictReader(io.StringIO(ran.out)))
    assert [(r["category"], r["change"]) for r in rows] == [("foreign_agent_label", "added")]


def test_digest_preview_then_send_once(recorded: Path) -> None:
    preview = cli("digest", "--preview", "--period", "weekly", "--config", str(recorded))
    assert preview.code == 0, preview.err
    assert "weekly@example.org" in preview.out
    sent = cli("digest", "--send", "--period", "weekly", "--config", str(recorded))
    assert "queued: 1" in sent.out
    assert "sent: 1" in sent.out
    again = cli("digest", "--send", "--period", "weekly", "--config", str(recorded))
    assert "queued: 0" in again.out  # a digest with nothing new is not sent
    digests = list((recorded.parent / "outbox").glob("*.eml"))
    assert len(digests) == 1


def test_prune_keeps_the_evidence_behind_events(recorded: Path, tmp_path: Path) -> None:
    ran = cli("prune", "--older-than", "0s", "--config", str(recorded))
    assert ran.code == 0, ran.err
    event = only_event(recorded)
    out = tmp_path / "after-prune"
    assert cli("evidence", str(event["id"]), "--out", str(out), "--config", str(recorded)).code == 0
    assert LABEL_WORDS in (out / "after.txt").read_text(encoding="utf-8")
