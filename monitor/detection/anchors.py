"""Which blocks of a page hold which rule anchors: the blocks a rule is tried on.

Anchors are normalised literals; a rule's patterns run only over blocks holding one of its anchors.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from functools import lru_cache
from itertools import accumulate


class AnchorHits:
    """Which blocks (normalised texts ``norms``) hold which anchors, for one page.

    Rules share anchors, so each is looked up once per page. An anchor with a character the page
    lacks is not looked up at all (most anchors are in scripts a page is not written in), and one
    holding a shorter anchor (``иностранн``, ``иностр``) only in the blocks that hold the shorter one.
    """

    def __init__(self, norms: list[str], within: dict[str, str]) -> None:
        self.norms, self.within = norms, within
        self.page = "\n".join(norms)
        self.starts = list(accumulate((len(n) + 1 for n in norms[:-1]), initial=0))
        self.chars = frozenset(self.page)
        self.found: dict[str, list[int]] = {}

    def blocks_with(self, anchors: Sequence[str]) -> list[int]:
        """Indexes of the blocks holding any of ``anchors``, in order."""
        hits: set[int] = set()
        for anchor in anchors:
            hits.update(self._hits(anchor))
        return sorted(hits)

    def _hits(self, anchor: str) -> list[int]:
        found = self.found.get(anchor)
        if found is None:
            inner = self.within.get(anchor)
            if not _chars(anchor) <= self.chars:
                found = []
            elif inner is not None:
                found = [i for i in self._hits(inner) if anchor in self.norms[i]]
            else:
                found = self._find(anchor)
            self.found[anchor] = found
        return found

    def _find(self, anchor: str) -> list[int]:
        page, starts = self.page, self.starts
        hits: list[int] = []
        pos = page.find(anchor)
        while pos != -1:
            index = bisect_right(starts, pos) - 1
            hits.append(index)
            # Jump to the next block: one hit per block is enough.
            next_start = starts[index + 1] if index + 1 < len(starts) else len(page)
            pos = page.find(anchor, next_start)
        return hits


def inner_anchors(anchors: set[str]) -> dict[str, str]:
    """For each anchor holding shorter ones, the longest of them: its blocks are the only candidates.

    ``within`` for :class:`AnchorHits`; computed once per rule set.
    """
    out: dict[str, str] = {}
    for anchor in anchors:
        inner = [a for a in anchors if a and a != anchor and a in anchor]
        if inner and "\n" not in anchor:  # (normalised anchors never span two blocks)
            out[anchor] = max(inner, key=lambda a: (len(a), a))
    return out


@lru_cache(maxsize=4096)
def _chars(anchor: str) -> frozenset[str]:
    return frozenset(anchor)
