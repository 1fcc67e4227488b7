"""Literals a regular expression cannot match without, so that a cheap ``in`` test can skip it.

Rule patterns run over every candidate block, and most of them cannot match most blocks; the
regex engine only learns that by trying every position (a pattern opening with ``\\b`` has no
literal prefix for it to scan for). Each pattern's *needed* literals are read once from its parse
tree: every match contains one of them, so a text holding none of them cannot match. Whatever the
reader is unsure of (case-insensitive parts, look-arounds, classes, optional parts) needs nothing,
which only costs speed, never a match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

try:  # the parser behind re (private, stable across 3.11-3.13); without it nothing is ever skipped
    from re import _constants as _sre
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover
    _sre = _sre_parse = None  # type: ignore[assignment]

Needed = tuple[str, ...]  # every match contains one of these; () when nothing is known


def could_match(pattern: re.Pattern[str], text: str) -> bool:
    """False only when ``pattern`` certainly has no match in ``text`` (it lacks every needed literal)."""
    # Called for every pattern of every candidate block: looked up by identity, as hashing a compiled
    # pattern hashes its whole program. The entry keeps the pattern alive, so its id stays its own.
    entry = _BY_ID.get(id(pattern))
    if entry is None or entry[0] is not pattern:
        if len(_BY_ID) >= 8192:
            _BY_ID.clear()
        entry = _BY_ID[id(pattern)] = (pattern, needed(pattern))
    lits = entry[1]
    if not lits:
        return True
    for lit in lits:  # a plain loop: no generator per call
        if lit in text:
            return True
    return False


_BY_ID: dict[int, tuple[re.Pattern[str], Needed]] = {}


@lru_cache(maxsize=4096)
def needed(pattern: re.Pattern[str]) -> Needed:
    """The literals one of which every match of ``pattern`` contains, or () when none is known."""
    if _sre_parse is None or pattern.flags & re.IGNORECASE or not isinstance(pattern.pattern, str):
        return ()
    try:
        return _sequence(_sre_parse.parse(pattern.pattern, pattern.flags)) or ()
    except Exception:  # an unfamiliar parse tree: skip nothing
        return ()


def _sequence(items: Iterable[tuple[Any, Any]]) -> Needed | None:
    """Needed literals of a sequence: the most selective of its literal runs and required parts."""
    best: Needed | None = None
    run: list[str] = []
    for op, av in items:
        if op is _sre.LITERAL:
            run.append(chr(av))
            continue
        best = _better(best, ("".join(run),) if run else None)
        run = []
        best = _better(best, _part(op, av))
    return _better(best, ("".join(run),) if run else None)


def _part(op: Any, av: Any) -> Needed | None:
    """Needed literals of one non-literal item, when it must match for the sequence to match."""
    if op is _sre.SUBPATTERN:
        _group, add_flags, _del_flags, sub = av
        return None if add_flags & re.IGNORECASE else _sequence(sub)
    if op is _sre.BRANCH:
        branches = [_sequence(b) for b in av[1]]
        if any(b is None for b in branches):
            return None
        return tuple(lit for b in branches for lit in b)  # type: ignore[union-attr]
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
        low, _high, sub = av
        return _sequence(sub) if low >= 1 else None
    return None  # classes, anchors, look-arounds, back-references: nothing certain


def _better(a: Needed | None, b: Needed | None) -> Needed | None:
    """The more selective alternative: the longer shortest literal, then the fewer literals."""
    if a is None or b is None:
        return a if b is None else b
    key_a, key_b = (min(map(len, a)), -len(a)), (min(map(len, b)), -len(b))
    return b if key_b > key_a else a
