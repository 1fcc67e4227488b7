"""Outlet-level coverage: an event when the share of an outlet's pages carrying a category crosses the threshold."""

from __future__ import annotations

import uuid
from pathlib import Path

from cli_helpers import REPO, cli, put, watchlist
from mockserver import MockServer

from monitor.coverage import Coverage, crossings
from monitor.models import Change

BEFORE = (REPO / "seeds" / "site" / "index.html").read_text(encoding="utf-8")
AFTER = (REPO / "seeds" / "changes" / "index.html").read_text(encoding="utf-8")
LABEL = "foreign_agent_label"


def cover(present: int, checked: int) -> dict[str, Coverage]:
    return {LABEL: Coverage("Вестник", LABEL, present, checked)}


def test_crossing_up_and_down_once_each() -> None:
    up = crossings(cover(3, 5), cover(4, 5), 0.8)
    assert [(c.category, c.change) for c in up] == [(LABEL, Change.COVERAGE_REACHED)]
    assert "on 4 of 5 checked pages (80%" in (up[0].after or "")
    assert crossings(cover(4, 5), cover(5, 5), 0.8) == []  # still above: nothing new
    down = crossings(cover(5, 5), cover(3, 5), 0.8)
    assert [c.change for c in down] == [Change.COVERAGE_DROPPED]


def test_baseline_and_single_pages_say_nothing_about_an_outlet() -> None:
    assert crossings({}, cover(5, 5), 0.8) == []  # the first check of an outlet
    assert crossings(cover(0, 1), cover(1, 1), 0.5) == []


def test_outlet_newly_carrying_the_label_on_most_pages_is_an_event(tmp_path: Path, mockserver: MockServer) -> None:
    pages = [mockserver.url(f"/mutable/{uuid.uuid4().hex}") for _ in range(2)]
    config = watchlist(
        tmp_path,
        f"  - name: Вестник\n    homepage: {pages[0]}\n    pages: [{', '.join(pages)}]\n",
        extra="detection: {confirmations: 1, coverage_threshold: 0.8}\n",
    )

    def check_with(*bodies: str) -> list[tuple[str, str, str]]:
        for url, body in zip(pages, bodies, strict=True):
            put(url, body)
        assert cli("check", "--once", "--config", str(config)).code == 0
        events = cli("history", "--json", "--config", str(config)).json()
        return [(e["category"], e["change"], e["url"]) for e in events]

    assert check_with(BEFORE, BEFORE) == []
    after_both = check_with(AFTER, AFTER)
    assert (LABEL, "coverage_reached", pages[0]) in after_both
    assert sum(change == "added" for _, change, _ in after_both) == 2
    after_one_dropped = check_with(BEFORE, AFTER)
    assert after_one_dropped[-1][:2] == (LABEL, "coverage_dropped")
