"""observe(): baseline, confirmation, failures never remove, unreachable/recovered."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from monitor.models import Change, FetchResult, Finding
from monitor.observe import PageState, describe_failure, observe

LABEL = Finding("foreign_agent_label", "ДАННОЕ СООБЩЕНИЕ (МАТЕРИАЛ) СОЗДАНО ИНОАГЕНТОМ", "ru", "r", "h1+p")
APPEAL = Finding("donation_appeal", "Support our independent journalism today", "en", "d", "aside")


def ok(state, findings, confirmations=2):
    return observe(
        state,
        fetch_ok=True,
        findings=findings,
        failure=None,
        confirmations=confirmations,
        unreachable_after=3,
    )


def fail(state, cause="HTTP 451 Unavailable For Legal Reasons"):
    return observe(state, fetch_ok=False, findings=None, failure=cause, confirmations=2, unreachable_after=3)


def kinds(changes):
    return [(c.category, str(c.change)) for c in changes]


def test_first_observation_is_a_silent_baseline():
    state, changes = ok(None, [LABEL, APPEAL])
    assert changes == []
    assert state.baselined
    assert state.confirmed == (LABEL, APPEAL)


def test_change_needs_two_agreeing_observations():
    state, _ = ok(None, [LABEL, APPEAL])
    state, changes = ok(state, [LABEL])
    assert changes == []
    assert state.pending == (LABEL,)
    assert state.pending_count == 1
    state, changes = ok(state, [LABEL])
    assert kinds(changes) == [("donation_appeal", "removed")]
    assert state.confirmed == (LABEL,)
    assert state.pending is None


def test_flapping_never_alerts():
    state, _ = ok(None, [LABEL, APPEAL])
    for _ in range(5):
        state, changes = ok(state, [LABEL])
        assert changes == []
        state, changes = ok(state, [LABEL, APPEAL])
        assert changes == []


def test_a_different_candidate_restarts_confirmation():
    state, _ = ok(None, [LABEL])
    state, _ = ok(state, [])
    state, changes = ok(state, [LABEL, APPEAL])
    assert changes == []
    assert state.pending_count == 1
    state, changes = ok(state, [LABEL, APPEAL])
    assert kinds(changes) == [("donation_appeal", "added")]


def test_confirmations_one_reports_at_once():
    state, _ = ok(None, [])
    state, changes = ok(state, [LABEL], confirmations=1)
    assert kinds(changes) == [("foreign_agent_label", "added")]


def test_not_modified_counts_as_the_previous_content():
    state, _ = ok(None, [LABEL])
    state, _ = ok(state, [])
    state, changes = ok(state, None)  # 304: still the empty page
    assert kinds(changes) == [("foreign_agent_label", "removed")]
    state, changes = ok(state, None)
    assert changes == []


def test_failures_never_remove_and_unreachable_once():
    state, _ = ok(None, [LABEL])
    state, changes = fail(state)
    assert changes == []
    state, changes = fail(state)
    assert changes == []
    state, changes = fail(state)
    assert kinds(changes) == [("availability", "unreachable")]
    assert changes[0].after == "HTTP 451 Unavailable For Legal Reasons"
    assert state.unreachable
    state, changes = fail(state, "DNS lookup failed")
    assert changes == []
    assert state.consecutive_failures == 4
    # Recovery: one event, the content is unchanged, the label was never "removed".
    state, changes = ok(state, [LABEL])
    assert kinds(changes) == [("availability", "recovered")]
    assert changes[0].before == "DNS lookup failed"
    assert state.consecutive_failures == 0
    assert not state.unreachable
    assert state.confirmed == (LABEL,)


def test_failures_between_agreeing_observations_keep_the_pending_change():
    state, _ = ok(None, [LABEL])
    state, _ = ok(state, [LABEL, APPEAL])
    state, _ = fail(state, "timeout")
    state, changes = ok(state, [LABEL, APPEAL])
    assert kinds(changes) == [("donation_appeal", "added")]


def test_page_failing_from_the_start():
    state = None
    for _ in range(3):
        state, changes = fail(state)
    assert kinds(changes) == [("availability", "unreachable")]
    assert not state.baselined
    state, changes = ok(state, [LABEL])
    # Recovery is reported; the first content is still only a baseline.
    assert kinds(changes) == [("availability", "recovered")]
    assert state.confirmed == (LABEL,)


def test_state_round_trips_through_json_form():
    state, _ = ok(None, [LABEL])
    state, _ = ok(state, [APPEAL])
    state, _ = fail(state)
    assert PageState.from_dict(state.to_dict()) == state
    newer = state.to_dict()
    newer["confirmed"][0]["field_from_a_newer_version"] = 1
    assert PageState.from_dict(newer) == state


def test_describe_failure():
    now = datetime.now(UTC)
    assert describe_failure(FetchResult("u", "u", 451, {}, b"", now)) == "HTTP 451 Unavailable For Legal Reasons"
    assert describe_failure(FetchResult("u", "u", 599, {}, b"", now)) == "HTTP 599"
    assert describe_failure(FetchResult("u", "u", None, {}, b"", now, error="TLS handshake failed")) == (
        "TLS handshake failed"
    )


@given(st.lists(st.tuples(st.booleans(), st.sampled_from([(), (LABEL,), (LABEL, APPEAL)])), max_size=30))
def test_no_removed_from_a_failure_and_unreachable_alternates(steps):
    state = None
    availability = []
    for success, findings in steps:
        if success:
            state, changes = ok(state, list(findings))
        else:
            state, changes = fail(state)
            assert all(c.change is not Change.REMOVED for c in changes)
        availability += [c.change for c in changes if c.category == "availability"]
    # unreachable and recovered strictly alternate, starting with unreachable.
    assert availability == [Change.UNREACHABLE, Change.RECOVERED] * (len(availability) // 2) + (
        [Change.UNREACHABLE] if len(availability) % 2 else []
    )


def _corpus_sequences():
    path = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "sequences.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))["sequences"] if path.exists() else []


@pytest.mark.parametrize("sequence", _corpus_sequences(), ids=lambda s: s["id"])
def test_corpus_sequence_through_the_state_machine(sequence):
    """Each version is observed twice (confirmation), with a failed fetch in between: the events
    per transition are exactly the corpus's, the baseline is silent, failures remove nothing."""

    def findings(version):
        return [Finding(f["category"], f["text"], "", "r", "") for f in sequence["states"][version]["findings"]]

    state, changes = ok(None, findings(sequence["versions"][0]))
    assert changes == []
    for transition in sequence["transitions"]:
        state, failed = fail(state, "timeout")
        assert failed == []
        state, first = ok(state, findings(transition["to"]))
        assert first == []
        state, second = ok(state, findings(transition["to"]))
        assert sorted(kinds(second)) == sorted((e["category"], e["change"]) for e in transition["events"])
