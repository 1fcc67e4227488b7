"""Previous vs current findings of one page -> per-category changes (pure functions).

Two versions of a page are compared *per category*, never per element: a label that moves from the
header to the footer, into an image ``alt``, or is repeated on a new Telegram post is the same label.
Wording is compared after :func:`normalize`, which erases what typography and page furniture change
without anyone changing what the page *says*: case, whitespace, quote styles, NBSP, zero-width
characters, soft hyphens and digits (view counters and meters such as "You've read 4 of 5" tick on
their own; a new campaign or a new statutory text changes words, not only numbers).

The detector returns the whole visible text of an element, so the same banner can pick up a
neighbouring sentence when it moves (a footer cell that also holds the copyright line). A text that
contains, or is contained in, a text of the other version is therefore treated as the same wording
when the shorter one is long enough to be distinctive (:data:`MIN_CONTAINED`).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence

from monitor.models import CATEGORIES, Change, Finding, FindingChange, WordOp

#: Shortest normalised text (in characters) that may match by containment: "donate" must not
#: match every appeal that happens to contain the word.
MIN_CONTAINED = 24

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2033": '"',
        "\u2039": "'",
        "\u203a": "'",
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "ё": "е",
        "Ё": "Е",
    }
)
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_DIGITS = re.compile(r"\d+(?:[.,\s]\d+)*")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\S+")


def normalize(text: str) -> str:
    """The comparable form of a finding's wording (see the module docstring for what is erased)."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text).translate(_QUOTES).casefold()
    text = _DIGITS.sub("#", text)
    # Space around punctuation varies with markup (<br>, inline tags): drop it before punctuation.
    text = re.sub(r"\s+([,.;:!?)\]»\"'])", r"\1", text)
    return _SPACE.sub(" ", text).strip()


def word_diff(before: str, after: str) -> tuple[WordOp, ...]:
    """A word-level diff of two wordings: runs of ``equal``/``delete``/``insert`` words.

    Words are whitespace-separated tokens compared in their comparable form, so typography alone
    never shows as an edit; the text shown is the original (``before`` for equal runs).
    """
    old, new = _WORD.findall(before), _WORD.findall(after)
    matcher = difflib.SequenceMatcher(a=[normalize(w) for w in old], b=[normalize(w) for w in new], autojunk=False)
    ops: list[WordOp] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append(WordOp("equal", " ".join(old[i1:i2])))
            continue
        if i2 > i1:
            ops.append(WordOp("delete", " ".join(old[i1:i2])))
        if j2 > j1:
            ops.append(WordOp("insert", " ".join(new[j1:j2])))
    return tuple(ops)


def _distinct(findings: Iterable[Finding]) -> dict[str, str]:
    """Normalised text -> first original text, in page order, without empty texts."""
    texts: dict[str, str] = {}
    for finding in findings:
        key = normalize(finding.text)
        if key and key not in texts:
            texts[key] = finding.text.strip()
    return texts


def _unmatched(mine: dict[str, str], theirs: dict[str, str]) -> list[str]:
    """Keys of ``mine`` with no equal (or, when long enough, containing/contained) key in ``theirs``."""
    left = []
    for key in mine:
        if key in theirs:
            continue
        if any(_contains(key, other) for other in theirs):
            continue
        left.append(key)
    return left


def _contains(a: str, b: str) -> bool:
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= MIN_CONTAINED and short in long


def _category_change(category: str, old: dict[str, str], new: dict[str, str]) -> FindingChange | None:
    if not old and not new:
        return None
    if not old:
        return FindingChange(category, Change.ADDED, None, "\n".join(new.values()))
    if not new:
        return FindingChange(category, Change.REMOVED, "\n".join(old.values()), None)
    if not _unmatched(old, new) and not _unmatched(new, old):
        return None
    before, after = "\n".join(old.values()), "\n".join(new.values())
    return FindingChange(category, Change.CHANGED, before, after, word_diff(before, after))


def diff_findings(old: Sequence[Finding], new: Sequence[Finding]) -> list[FindingChange]:
    """Per-category changes from ``old`` to ``new`` findings of one page.

    ``added``: the category is absent before and present after; ``removed``: the reverse;
    ``changed``: present in both with a different set of wordings (with a word diff). The same
    wording anywhere on the page, found by any rule, is no change. Output follows
    :data:`monitor.models.CATEGORIES`, then any unknown category in name order.
    """
    extra = sorted({f.category for f in (*old, *new)} - set(CATEGORIES))
    changes = []
    for category in [*CATEGORIES, *extra]:
        change = _category_change(
            category,
            _distinct(f for f in old if f.category == category),
            _distinct(f for f in new if f.category == category),
        )
        if change is not None:
            changes.append(change)
    return changes
