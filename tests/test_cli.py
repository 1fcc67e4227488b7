"""The CLI contract other tools rely on, through the real entry point (a subprocess per call)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import REPO, SHARED, cli, watchlist

from monitor.models import CATEGORIES

MOSCOW_TIMES = REPO / "seeds" / "moscowtimes-idlib.html"


def test_detect_json_on_the_moscow_times_seed() -> None:
    ran = cli("detect", str(MOSCOW_TIMES), "--json")
    assert ran.code == 0, ran.err
    findings = ran.json()
    assert {f["category"] for f in findings} == {"donation_appeal", "foreign_agent_statement"}
    for finding in findings:
        assert {"category", "text", "lang", "rule", "location"} <= finding.keys()
        assert finding["category"] in CATEGORIES
    statement = next(f for f in findings if f["category"] == "foreign_agent_statement")
    assert "unjustly branded" in statement["text"]


def test_detect_on_an_empty_page_prints_an_empty_array(tmp_path: Path) -> None:
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    ran = cli("detect", str(empty), "--json")
    assert ran.code == 0, ran.err
    assert ran.json() == []


def test_detect_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    ran = cli("detect", str(tmp_path / "nope.html"), "--json")
    assert ran.code == 1
    assert "nope.html" in ran.err


@pytest.mark.skipif(not (SHARED / "corpus").exists(), reason="../shared is not beside this checkout")
def test_diff_json_noise_only_versions_give_nothing() -> None:
    seq = SHARED / "corpus" / "sequences" / "pseq1-meridian-noise"
    ran = cli("diff", str(seq / "v1.html"), str(seq / "v2.html"), "--json")
    assert ran.code == 0, ran.err
    assert ran.json() == []


@pytest.mark.skipif(not (SHARED / "corpus").exists(), reason="../shared is not beside this checkout")
def test_diff_json_reports_a_change_with_before_and_after() -> None:
    seq = SHARED / "corpus" / "sequences" / "pseq8-quill-label-removed"
    events = cli("diff", str(seq / "v2.html"), str(seq / "v3.html"), "--json").json()
    events += cli("diff", str(seq / "v1.html"), str(seq / "v2.html"), "--json").json()
    assert events, "a label removal must be reported"
    for event in events:
        assert {"category", "change", "before", "after"} <= event.keys()
        assert event["change"] in ("added", "removed", "changed")


def test_diff_against_a_challenge_page_reports_nothing_and_says_why() -> None:
    """A bot challenge in place of the page is a failed fetch, as in a check: not every finding "removed"."""
    challenge = REPO / "tests" / "fixtures" / "outcomes" / "cloudflare.html"
    for old, new in ((MOSCOW_TIMES, challenge), (challenge, MOSCOW_TIMES)):
        ran = cli("diff", str(old), str(new), "--json")
        assert ran.code == 0, ran.err
        assert ran.json() == []
        assert f"{challenge}: not content (bot challenge" in ran.err


def test_validate_ok_and_invalid(tmp_path: Path) -> None:
    assert cli("validate", "--config", str(REPO / "config.yaml")).code == 0
    bad = watchlist(tmp_path, "  - name: A\n    homepage: https://a.example/\n    colour: red\n")
    ran = cli("validate", "--config", str(bad))
    assert ran.code == 2
    assert f"{bad}:" in ran.err
    assert "outlets[0].colour: unknown key" in ran.err


def test_help_lists_every_command() -> None:
    ran = cli("--help")
    for command in ("validate", "detect", "diff", "check", "run", "history", "show", "status", "digest", "rules"):
        assert command in ran.out


def test_rules_list_shows_every_category() -> None:
    ran = cli("rules", "list", "--json")
    assert ran.code == 0, ran.err
    assert {rule["category"] for rule in ran.json()} == set(CATEGORIES)


def test_validate_catches_what_a_check_would_trip_over(tmp_path: Path) -> None:
    bad = watchlist(
        tmp_path,
        "  - name: A\n    homepage: https://a.example/\n"
        "    rules: [{id: a.banner, category: paywall, selector: 'div[[['}]\n",
        extra="mail:\n  templates_dir: no-such-dir\n  smtp: {host: smtp.example.org, password_env: UNSET_VARIABLE_X}\n",
    )
    ran = cli("validate", "--config", str(bad))
    assert ran.code == 2
    assert "templates_dir" in ran.err
    assert "UNSET_VARIABLE_X" in ran.err
    assert "outlets[0].rules[0].selector" in ran.err


def test_reading_history_needs_no_smtp_password(tmp_path: Path) -> None:
    config = watchlist(
        tmp_path,
        "  - name: A\n    homepage: https://a.example/\n",
        extra="mail:\n  smtp: {host: smtp.example.org, password_env: UNSET_VARIABLE_Y}\n",
    )
    ran = cli("history", "--json", "--config", str(config))
    assert ran.code == 0, ran.err
    assert ran.json() == []
