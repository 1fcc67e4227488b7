"""Findings are stable across page versions that differ only in noise, and move when wording moves.

Compares (category, text) sets between consecutive versions of each corpus sequence the way a
naive diff would: a noise-only transition must give identical sets, an event must show up.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from monitor.detect import detect

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
HELDOUT = Path(__file__).resolve().parent / "fixtures" / "heldout"  # written apart from the dev corpus
CASES = [
    (root, s, t)
    for root in (CORPUS, HELDOUT)
    for s in yaml.safe_load((root / "sequences.yaml").read_text(encoding="utf-8"))["sequences"]
    for t in s["transitions"]
]


def _changes(before: set[tuple[str, str]], after: set[tuple[str, str]]) -> list[tuple[str, str]]:
    out = []
    for category in {c for c, _ in before | after}:
        old = {t for c, t in before if c == category}
        new = {t for c, t in after if c == category}
        if old and not new:
            out.append((category, "removed"))
        elif new and not old:
            out.append((category, "added"))
        elif old != new:
            out.append((category, "changed"))
    return sorted(out)


@pytest.mark.parametrize(("root", "seq", "step"), CASES, ids=[f"{s['id']}:{t['from']}->{t['to']}" for _, s, t in CASES])
def test_transition(root, seq, step):
    folder = root / "sequences" / seq["dir"]
    before = {(f.category, f.text) for f in detect((folder / step["from"]).read_bytes())}
    after = {(f.category, f.text) for f in detect((folder / step["to"]).read_bytes())}
    expected = sorted((e["category"], e["change"]) for e in step["events"])
    assert _changes(before, after) == expected
