"""Previous vs current findings of one page -> per-category changes (pure functions).

Two versions of a page are compared *per category*, never per element: a label that moves from the
header to the footer, into an image ``alt``, or is repeated on a new Telegram post is the same label.
Wording is compared after :func:`normalize`, which erases what typography and page furniture change
without anyone changing what the page *says*: case, whitespace, quote styles, NBSP, zero-width
characters, soft hyphens and digits (view counters, meters such as "You've read 4 of 5" and
fundraising tallies tick on their own), except the amount an appeal or a gate asks for ("от 300
рублей", "as little as $5": see :mod:`monitor.amounts`).

The detector returns the whole visible text of an element, so the same banner can pick up a
neighbouring sentence when it moves (a footer cell that also holds the copyright line). A text that
contains, or is contained in, a text of the other version is therefore treated as the same wording
when the shorter one is long enough to be distinctive (:data:`MIN_CONTAINED`). For the same
reason a Telegram channel page, where every post starts with the label, shows the label once per
post: a post that appears or scrolls away while other posts keep the same matched label span
(:data:`MIN_SPAN`) is the same wording, not a change.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from monitor.amounts import fold_numbers
from monitor.models import CATEGORIES, Change, Finding, FindingChange, WordOp

#: Shortest normalised text (in characters) that may match by containment: "donate" must not
#: match every appeal that happens to contain the word.
MIN_CONTAINED = 24
#: Shortest matched span that identifies a wording repeated in another element (a statutory label
#: in every Telegram post); short triggers such as "donate" identify nothing.
MIN_SPAN = 16

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


@functools.lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """The comparable form of a finding's wording (see the module docstring for what is erased)."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text).translate(_QUOTES).casefold()
    text = fold_numbers(text, _DIGITS, "#")
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


class _Wording(NamedTuple):
    """One distinct wording of a category on a page: its original text and the (normalised)
    spans the rules matched inside it."""

    text: str
    spans: frozenset[str]


def _distinct(findings: Iterable[Finding]) -> dict[str, _Wording]:
    """Normalised text -> wording, in page order, without empty texts."""
    texts: dict[str, _Wording] = {}
    for finding in findings:
        key = normalize(finding.text)
        if not key:
            continue
        span = normalize(finding.matched)
        spans = frozenset([span]) if len(span) >= MIN_SPAN else frozenset()
        previous = texts.get(key)
        texts[key] = _Wording(previous.text if previous else finding.text.strip(), spans | (previous or _NONE).spans)
    return texts


_NONE = _Wording("", frozenset())


def _unmatched(mine: Mapping[str, _Wording], theirs: Mapping[str, _Wording]) -> list[str]:
    """Keys of ``mine`` with no equal key in ``theirs``, nor one containing/contained in it (when long
    enough) whose rule matched the same span: a label whose box gained or lost surrounding text is the
    same label, but a label that gained or lost a clause matched a different span — a changed wording."""
    return [
        key
        for key in mine
        if key not in theirs
        and not any(_contains(key, other) and _same_match(mine[key], wording) for other, wording in theirs.items())
    ]


def _same_match(a: _Wording, b: _Wording) -> bool:
    """The rules matched the same thing in both: equal spans, or spans that differ by less than a clause
    (a name slot may swallow a neighbouring word when the box around the label changes)."""
    if not a.spans or not b.spans or a.spans & b.spans:
        return True
    return any(_contains(x, y) and abs(len(x) - len(y)) < MIN_CONTAINED for x in a.spans for y in b.spans)


def _contains(a: str, b: str) -> bool:
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= MIN_CONTAINED and short in long


def _repeats(wording: _Wording, shared: Sequence[str]) -> bool:
    """True if the wording's matched span also appears in a text present in both versions."""
    return any(span in text for span in wording.spans for text in shared)


def _category_change(category: str, old: dict[str, _Wording], new: dict[str, _Wording]) -> FindingChange | None:
    if not old and not new:
        return None
    before, after = "\n".join(w.text for w in old.values()), "\n".join(w.text for w in new.values())
    if not old:
        return FindingChange(category, Change.ADDED, None, after)
    if not new:
        return FindingChange(category, Change.REMOVED, before, None)
    lost, gained = _unmatched(old, new), _unmatched(new, old)
    # A new Telegram post (or one scrolled away) repeating a label that stays on the page is the
    # same wording in another element, not a change: the rule matched the same span.
    shared = [k for k in old if k not in lost] + [k for k in new if k not in gained]
    lost = [k for k in lost if not _repeats(old[k], shared)]
    gained = [k for k in gained if not _repeats(new[k], shared)]
    if not lost and not gained:
        return None
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
