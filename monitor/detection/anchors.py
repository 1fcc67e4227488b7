"""Which blocks of a page hold which rule anchors: the blocks a rule is tried on.

Anchors are normalised literals; a rule's patterns run only over blocks holding one of its anchors.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from itertools import accumulate

import ahocorasick


class AnchorIndex:
    """Every anchor of a rule set in one Aho-Corasick automaton (pyahocorasick, built once per rule set).

    A page's text is scanned once for all of them: looking each anchor up with ``str.find`` scanned it
    ~150 times (the anchors in the page's scripts), 1.2 ms a page against 0.3 ms.
    """

    def __init__(self, anchors: Iterable[str]) -> None:
        self.automaton = ahocorasick.Automaton()
        for anchor in set(anchors):
            if anchor:  # the empty anchor is in every block: answered without the automaton
                self.automaton.add_word(anchor, anchor)
        self.automaton.make_automaton()

    def hits(self, norms: list[str]) -> AnchorHits:
        """The anchors' blocks in one page's normalised block texts ``norms``."""
        return AnchorHits(norms, self)


class AnchorHits:
    """Which blocks (normalised texts ``norms``) of one page hold which anchors of ``index``."""

    def __init__(self, norms: list[str], index: AnchorIndex) -> None:
        self.norms = norms
        self.found = _blocks_per_anchor(norms, index.automaton)

    def blocks_with(self, anchors: Sequence[str]) -> list[int]:
        """Indexes of the blocks holding any of ``anchors``, in order."""
        if "" in anchors:
            return list(range(len(self.norms)))
        hits: set[int] = set()
        for anchor in anchors:
            hits.update(self.found.get(anchor, ()))
        return sorted(hits)


def _blocks_per_anchor(norms: list[str], automaton: ahocorasick.Automaton) -> dict[str, list[int]]:
    """Each anchor found in ``norms`` -> the blocks holding it, in order, each once."""
    if not norms or len(automaton) == 0:
        return {}
    page = "\n".join(norms)
    starts = list(accumulate((len(n) + 1 for n in norms[:-1]), initial=0))
    found: dict[str, list[int]] = {}
    for end, anchor in automaton.iter(page):
        start = end - len(anchor) + 1
        index = bisect_right(starts, start) - 1
        if end >= starts[index] + len(norms[index]):
            continue  # runs into the next block: not in this one (only an anchor with a line break can)
        blocks = found.setdefault(anchor, [])
        if not blocks or blocks[-1] != index:
            blocks.append(index)
    return found
