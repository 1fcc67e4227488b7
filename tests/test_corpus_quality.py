"""Measured detection quality on the shared corpora, scored the way ../shared/corpus/score.py does.

A regression in a rule pack or in the structural heuristics fails CI here, not in the acceptance run.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from monitor.commands.pages import compare_pages
from monitor.detect import Detector
from monitor.models import CATEGORIES

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
_ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_LOOKALIKE = str.maketrans("aeopcxykmthbё", "аеорсхукмтнве")


def _norm(text: str) -> str:  # the scorer's comparison form
    text = unicodedata.normalize("NFKC", text).translate(_ZW).casefold().translate(_LOOKALIKE)
    return re.sub(r"\s+", "", text)


def _score(corpus: Path) -> dict[str, object]:
    truth = yaml.safe_load((corpus / "truth.yaml").read_text(encoding="utf-8"))["pages"]
    detector = Detector()
    counts = {c: [0, 0, 0] for c in CATEGORIES}
    text_hits = text_total = trap_fp = 0
    for name, want in truth.items():
        found = detector.detect((corpus / "pages" / name).read_bytes())
        got = {f.category for f in found}
        expected = set(want.get("categories") or [])
        for c in CATEGORIES:
            counts[c][0] += c in got and c in expected
            counts[c][1] += c in got and c not in expected
            counts[c][2] += c in expected and c not in got
        trap_fp += bool(want.get("trap")) and bool(got - expected)
        for item in want.get("findings") or []:
            text_total += 1
            needle = _norm(item["text"])
            text_hits += any(needle in _norm(f.text) for f in found if f.category == item["category"])
    f1 = {}
    for c, (tp, fp, fn) in counts.items():
        f1[c] = 1.0 if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)
    tp, fp, fn = (sum(v[i] for v in counts.values()) for i in range(3))
    micro = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    return {"f1": f1, "micro": micro, "text": text_hits / max(text_total, 1), "trap_fp": trap_fp}


@pytest.fixture(scope="module")
def corpus_score():
    return _score(SHARED / "corpus")


@pytest.mark.parametrize("category", CATEGORIES)
def test_corpus_f1_per_category(corpus_score, category):
    assert corpus_score["f1"][category] >= 0.97


def test_corpus_overall(corpus_score):
    assert corpus_score["micro"] >= 0.97
    assert corpus_score["text"] == 1.0
    assert corpus_score["trap_fp"] == 0


def test_realworld_pages():
    score = _score(SHARED / "realworld")
    assert score["micro"] >= 0.90
    assert score["trap_fp"] == 0


FIXTURES = Path(__file__).resolve().parent / "fixtures"
HELDOUT = sorted(p.name for p in FIXTURES.glob("heldout*") if (p / "truth.yaml").exists())


@pytest.mark.parametrize("corpus", HELDOUT)
def test_heldout_pages(corpus):
    """Pages written apart from the dev corpus (other outlets, layouts, wording and traps): no overfitting."""
    score = _score(FIXTURES / corpus)
    assert score["micro"] >= 0.9
    assert score["trap_fp"] == 0


def _transitions() -> list[tuple[Path, dict, dict]]:
    roots = [SHARED / "corpus"] if (SHARED / "corpus").exists() else []
    roots += [FIXTURES / name for name in HELDOUT if (FIXTURES / name / "sequences.yaml").exists()]
    return [
        (root, seq, step)
        for root in roots
        for seq in yaml.safe_load((root / "sequences.yaml").read_text(encoding="utf-8"))["sequences"] or []
        for step in seq["transitions"]
    ]


TRANSITIONS = _transitions()


@pytest.mark.parametrize(
    ("root", "seq", "step"),
    TRANSITIONS,
    ids=[f"{root.name}:{seq['id']}:{step['from']}->{step['to']}" for root, seq, step in TRANSITIONS],
)
def test_change_events_of_every_sequence(root, seq, step):
    """What `press-monitor diff` reports (the scorer's view): the expected events, none on noise or on a
    version that is not content (a challenge, an error page)."""
    folder = root / "sequences" / seq["dir"]
    changes, _ = compare_pages(str(folder / step["from"]), str(folder / step["to"]))
    assert sorted((c.category, str(c.change)) for c in changes) == sorted(
        (e["category"], e["change"]) for e in step["events"]
    )
