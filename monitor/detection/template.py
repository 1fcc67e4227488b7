"""Site-template evidence: a block that repeats across an outlet's pages is the outlet's, not an article's.

The single-page judge (:mod:`monitor.detection.judge`) must reject a label printed as the first
paragraph of an article body: on one page it cannot be told from a paragraph that discusses the
law. Where the watchlist has several pages of one outlet, what repeats across them is the site
template. Each candidate block (a block holding a rule anchor) is identified by :func:`block_key`;
given how many of the outlet's other pages carry each key, a repeated candidate rejected only for
its placement (article prose, not banner-like) is accepted. Nothing else is lifted: an excluded
zone (related lists repeat too), hidden, quoted, reported speech, excerpts, link-only text and the
rule's own limits stand as judged, and a match inside a link's text (a "Read also: <headline>" line
repeated site-wide) is another piece's headline, never lifted.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from monitor.detection.blocks import Block
from monitor.detection.judge import judge_run
from monitor.detection.normalize import collapse_ws, normalize
from monitor.models import Finding
from monitor.rules import Rule


@dataclass(frozen=True, slots=True)
class Detection:
    """A page's findings with site-template evidence, and what the outlet's other pages need of it.

    ``keys``: the keys of its candidate blocks (blocks holding a rule anchor); ``repeated``: those
    that were in the site template; ``rejected``: those the single-page judge rejected only for their
    placement (only their place in the template can change what the page shows); ``lifted``: each finding that
    only the template made (the single-page judge rejected it for its placement), with its block's key.
    """

    findings: list[Finding]
    keys: frozenset[str] = frozenset()
    lifted: dict[Finding, str] = field(default_factory=dict)
    repeated: frozenset[str] = frozenset()
    rejected: frozenset[str] = frozenset()


def block_key(norm: str) -> str:
    """A short stable identity of a block: the hash of its normalised text."""
    return hashlib.blake2b(norm.encode(), digest_size=8).hexdigest()


@dataclass
class SiteEvidence:
    """Template evidence for one page: judges candidates again when their block repeats elsewhere."""

    template: Mapping[str, int]
    keys: set[str] = field(default_factory=set)
    repeated: set[str] = field(default_factory=set)
    rejected: set[str] = field(default_factory=set)
    lifted: dict[Finding, str] = field(default_factory=dict)

    def judge(
        self,
        rule: Rule,
        blocks: Sequence[Block],
        norms: Sequence[str],
        i: int,
        own: Sequence[re.Pattern[str]],
        verdict: tuple[Finding | None, int],
    ) -> tuple[Finding | None, int]:
        """The single-page ``verdict`` on block ``i``, lifted or annotated when the block repeats.

        A block rejected only for its placement is *liftable* (recorded whether or not it repeats now):
        only such a block joining or leaving the template can change what the page shows."""
        key = block_key(norms[i])
        self.keys.add(key)
        others = self.template.get(key, 0)
        if others >= 1:
            self.repeated.add(key)
        finding, last = verdict
        if finding is not None:
            return (replace(finding, template_pages=others + 1), last) if others >= 1 else verdict
        finding, last = judge_run(rule, blocks, norms, i, own, template=True)
        if finding is None or _linked(blocks[i], finding.matched):
            return verdict
        self.rejected.add(key)
        if others < 1:
            return verdict
        finding = replace(finding, template_pages=others + 1)
        self.lifted[finding] = key
        return finding, last


def _linked(block: Block, matched: str) -> bool:
    """Whether the matched span is (inside) the text of a link: a headline of another piece."""
    for link in block.element.iter("a"):
        if link.get("href") and matched in normalize(collapse_ws("".join(link.itertext()))):
            return True
    return False
