"""Blocks x rules -> findings, judged by where each match stands on the page.

For every text rule whose anchors occur in the page, each block holding an anchor is tried (the
policy lives in :mod:`monitor.detection.judge`). A match becomes a
:class:`~monitor.models.Finding` only when it speaks for the page:

* not inside an excluded zone (comments, related/teaser/sponsored lists and cards, quotations,
  captioned screenshots, navigation, newsletter boxes, search results) and not hidden;
* not someone else's text: quoted (``"..."``/``«...»``, or after an article paragraph ending in a
  colon, or a statutory text after "the label reads:"), an interview turn, reported speech
  ("…, schreibt ein Verlag"), a footnote mention mark (``*признан иноагентом``), an ellipsis snippet;
* not all link text (a "Donate" menu item, a teaser card) unless styled as a banner («Support X!»)
  or the rule allows ``links``; not longer than the rule's ``max_chars``;
* respecting the rule's ``prose`` policy: ``deny`` rejects paragraphs of article body text (unless
  the outlet names itself there), ``standalone`` accepts them only when the match is (nearly) the
  whole paragraph and otherwise needs the match to open its block, fill it, stand in a banner-like
  element, or start a sentence of its own (a label printed on the content does).

A statutory label set as several paragraphs is joined into one finding. The finding's text is the
block, or with ``expand: container`` the whole banner element around it (heading, text and button
of an appeal box). Findings of ``supporting`` rules (login prompts) are kept only next to another
finding of their category. ``score`` is 1.0, or for rules with a ``statutory`` text the similarity
of the printed label to it: a departure from the statutory wording shows.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_right
from collections.abc import Sequence
from functools import lru_cache
from itertools import accumulate

from lxml import etree

from monitor.detection.blocks import Block, extract_blocks, location
from monitor.detection.judge import judge_run, make_finding
from monitor.detection.normalize import normalize
from monitor.detection.selfname import site_names
from monitor.detection.signals import (
    class_id_text,
    compile_selector,
    jsonld_match,
    jsonld_objects,
    needed_names,
    selected,
)
from monitor.extract import ParsedPage, decode_html, parse_html
from monitor.models import Finding
from monitor.rules import RuleSet, SelectorRule, load_rule_set

log = logging.getLogger(__name__)
MAX_CHARS = 5 * 1024 * 1024


class Detector:
    """Finds the six categories on a page. Compile once, reuse for many pages."""

    def __init__(self, rule_set: RuleSet | None = None, *, corroborate: bool = True) -> None:
        self.rule_set = rule_set if rule_set is not None else _default_rule_set()
        enabled = self.rule_set.enabled()
        # Findings of supporting rules need a finding of the same category by another rule.
        self._supporting = {r.id for r in enabled if r.supporting} if corroborate else set()
        self._text_rules = [r for r in enabled if r.compiled and not r.jsonld]
        self._selector_rules = [
            (r, _selectors(r.selectors), _literals(r.selectors), needed_names(r.selectors))
            for r in enabled
            if r.selectors and not r.jsonld
        ]
        self._jsonld_rules = [(r, _selectors(r.selectors), needed_names(r.selectors)) for r in enabled if r.jsonld]
        # A block far longer than any rule accepts is article text: not worth normalising.
        self._longest = 2 * max((r.max_chars for r in self._text_rules), default=0)
        self._within = _inner_anchors({a for r in self._text_rules for a in r.anchors})

    def detect(
        self,
        page: str | bytes,
        *,
        url: str | None = None,
        content_type: str | None = None,
        outlet_rules: Sequence[SelectorRule] = (),
    ) -> list[Finding]:
        """Findings on one page, deduplicated on (category, text), in document order. Never raises."""
        try:
            html = decode_html(page, content_type) if isinstance(page, bytes | bytearray) else page[:MAX_CHARS]
            root = parse_html(html)
            if root is None:
                return []
            return self._detect(root, html, outlet_rules)
        except Exception:  # a hostile page must not take the run down
            log.warning("detector failed on %s", url or "a page", exc_info=True)
            return []

    def detect_parsed(
        self, page: ParsedPage, *, url: str | None = None, outlet_rules: Sequence[SelectorRule] = ()
    ) -> list[Finding]:
        """:meth:`detect` on a page its caller already parsed (a check parses each body once)."""
        if page.broken or len(page.html) > MAX_CHARS:
            return self.detect(page.html, url=url, outlet_rules=outlet_rules)
        try:
            return [] if page.root is None else self._detect(page.root, page.html, outlet_rules, page.blocks)
        except Exception:  # a hostile page must not take the run down
            log.warning("detector failed on %s", url or "a page", exc_info=True)
            return []

    def _detect(
        self,
        root: etree._Element,
        html: str,
        outlet_rules: Sequence[SelectorRule],
        blocks: list[Block] | None = None,
    ) -> list[Finding]:
        blocks = extract_blocks(root) if blocks is None else blocks
        norms = [normalize(b.text) if len(b.text) <= self._longest else "" for b in blocks]
        starts = list(accumulate((len(n) + 1 for n in norms[:-1]), initial=0))
        found: list[tuple[int, Finding]] = []
        own: tuple[re.Pattern[str], ...] | None = None  # the outlet's own name, looked up when first needed
        anchors = _AnchorHits(norms, starts, self._within)
        for rule in self._text_rules:
            covered = -1  # blocks already joined into a previous finding of this rule
            for i in anchors.blocks_with(rule.anchors):
                if i <= covered:
                    continue
                if own is None and rule.require_or_banner:
                    own = site_names(root)
                finding, covered = judge_run(rule, blocks, norms, i, own or ())
                if finding is not None:
                    found.append((blocks[i].order, finding))
        found.extend(self._structured(root, html, outlet_rules))
        if self._supporting:
            backed = {f.category for _, f in found if f.rule not in self._supporting}
            found = [(o, f) for o, f in found if f.rule not in self._supporting or f.category in backed]
        return _dedupe(found)

    def _structured(
        self, root: etree._Element, html: str, outlet_rules: Sequence[SelectorRule]
    ) -> list[tuple[int, Finding]]:
        out: list[tuple[int, Finding]] = []
        names = _PageNames(root)
        for rule, selectors, literals, needed in self._selector_rules:
            if literals and not any(lit in html for lit in literals):
                continue  # none of the class/id names occurs in the markup: skip the tree walk
            if names.lack(needed):
                continue  # the names occur, but in scripts or text rather than in a class or id
            for selector in selectors:
                for el, text in selected(root, selector, limit=5):
                    out.append((10**9, make_finding(rule.category, text or rule.description, rule, location(el))))
        for outlet_rule in outlet_rules:
            selector = compile_selector(outlet_rule.selector)
            for el, text in selected(root, selector, limit=5) if selector is not None else ():
                finding = Finding(
                    outlet_rule.category, text, outlet_rule.lang, outlet_rule.id, location(el), text[:200]
                )
                out.append((10**9, finding))
        if self._jsonld_rules:
            objects = jsonld_objects(root)
            for rule, selectors, needed in self._jsonld_rules:
                evidence = jsonld_match(objects, rule.jsonld) if objects else None
                if evidence and (not selectors or (not names.lack(needed) and any(_gate(root, s) for s in selectors))):
                    out.append((10**9, make_finding(rule.category, evidence, rule, "script[type=ld+json]")))
        return out


class _PageNames:
    """The page's class and id values, read once, and only when a selector rule gets that far.

    A CSS selector's tree walk costs as much as parsing the page; looking up the names it needs in
    the page's class and id values first costs a fraction of that.
    """

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.text: str | None = None

    def lack(self, needed: tuple[str, ...]) -> bool:
        """True when ``needed`` names are known and the page has none of them: the selectors cannot match."""
        if not needed:
            return False
        if self.text is None:
            self.text = class_id_text(self.root)
        return not any(name in self.text for name in needed)


def _gate(root: etree._Element, selector: etree.XPath) -> bool:
    """Whether a visible element matching ``selector`` looks like a gate: text, but not a run of paragraphs.

    The JSON-LD ``hasPart.cssSelector`` names the gated *content*; on a free (metered, not yet
    gated) page that element is the visible article body, which proves nothing.
    """
    for el, _text in selected(root, selector, limit=5):
        if sum(1 for p in el.iter("p")) < 2:
            return True
    return False


class _AnchorHits:
    """Which blocks (``norms``, joined with newlines at offsets ``starts``) hold which anchors, for one page.

    Rules share anchors, so each is looked up once per page. An anchor with a character the page
    lacks is not looked up at all (most anchors are in scripts a page is not written in), and one
    holding a shorter anchor (``иностранн``, ``иностр``) only in the blocks that hold the shorter one.
    """

    def __init__(self, norms: list[str], starts: list[int], within: dict[str, str]) -> None:
        self.norms, self.starts, self.within = norms, starts, within
        self.page = "\n".join(norms)
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


def _inner_anchors(anchors: set[str]) -> dict[str, str]:
    """For each anchor holding shorter ones, the longest of them: its blocks are the only candidates."""
    out: dict[str, str] = {}
    for anchor in anchors:
        inner = [a for a in anchors if a and a != anchor and a in anchor]
        if inner and "\n" not in anchor:  # (normalised anchors never span two blocks)
            out[anchor] = max(inner, key=lambda a: (len(a), a))
    return out


@lru_cache(maxsize=4096)
def _chars(anchor: str) -> frozenset[str]:
    return frozenset(anchor)


_SELECTOR_NAME = re.compile(r"[.#]([\w-]+)|[*^$~|]?=\s*[\"']?([\w-]+)")


def _literals(selectors: Sequence[str]) -> tuple[str, ...]:
    """Class/id/attribute-value names every selector needs; empty when some selector names none."""
    out: list[str] = []
    for selector in selectors:
        names = [a or b for a, b in _SELECTOR_NAME.findall(selector)]
        if not names:
            return ()
        out.extend(names)
    return tuple(dict.fromkeys(out))  # each scan of the markup costs: look for each name once


def _selectors(selectors: Sequence[str]) -> list[etree.XPath]:
    """One compiled selector for the whole list (one tree walk), or each alone if one is invalid."""
    if not selectors:
        return []
    joined = compile_selector(", ".join(selectors))
    if joined is not None:
        return [joined]
    return [s for s in (compile_selector(sel) for sel in selectors) if s is not None]


def _dedupe(found: list[tuple[int, Finding]]) -> list[Finding]:
    seen: set[tuple[str, str]] = set()
    out: list[Finding] = []
    for _, finding in sorted(found, key=lambda item: item[0]):
        key = (finding.category, finding.text)
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out


@lru_cache(maxsize=1)
def _default_rule_set() -> RuleSet:
    return load_rule_set()


@lru_cache(maxsize=1)
def _default_detector() -> Detector:
    return Detector()


def detect(page: str | bytes, **kw: object) -> list[Finding]:
    """Findings on ``page`` with the shipped packs (a cached :class:`Detector`)."""
    return _default_detector().detect(page, **kw)  # type: ignore[arg-type]


def test_rule(rule_set: RuleSet, rule_id: str, page: str | bytes) -> list[Finding]:
    """Findings of the one rule ``rule_id`` on ``page``, enabled or not (for ``rules test``)."""
    rule = rule_set.get(rule_id)
    from dataclasses import replace

    return Detector(RuleSet([replace(rule, enabled=True)]), corroborate=False).detect(page)


test_rule.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite the name
