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

Site template: a candidate block repeated on the outlet's other pages is the outlet's furniture, not
one article's prose; it is accepted where the single-page judge rejected it only for its placement
(:meth:`Detector.detect_site`, :mod:`monitor.detection.template`).

A statutory label set as several paragraphs is joined into one finding. The finding's text is the
block, or with ``expand: container`` the whole banner element around it (heading, text and button
of an appeal box). Findings of ``supporting`` rules (login prompts) are kept only next to another
finding of their category. ``score`` is 1.0, or for rules with a ``statutory`` text the similarity
of the printed label to it: a departure from the statutory wording shows.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from lxml import etree

from monitor.detection.anchors import AnchorIndex
from monitor.detection.blocks import Block, extract_blocks, location
from monitor.detection.judge import judge_run, make_finding
from monitor.detection.normalize import normalize
from monitor.detection.selfname import site_names
from monitor.detection.signals import (
    PageNames,
    SelectorSet,
    compile_selector,
    jsonld_match,
    jsonld_objects,
    same_value,
    selected,
)
from monitor.detection.template import Detection, SiteEvidence
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
            (r, SelectorSet(r.selectors), _literals(r.selectors)) for r in enabled if r.selectors and not r.jsonld
        ]
        self._jsonld_rules = [(r, SelectorSet(r.selectors)) for r in enabled if r.jsonld]
        # A block far longer than any rule accepts is article text: not worth normalising.
        self._longest = 2 * max((r.max_chars for r in self._text_rules), default=0)
        self._anchors = AnchorIndex(a for r in self._text_rules for a in r.anchors)

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

    def detect_site(
        self,
        page: ParsedPage,
        template: Mapping[str, int],
        *,
        url: str | None = None,
        outlet_rules: Sequence[SelectorRule] = (),
    ) -> Detection:
        """:meth:`detect_parsed` with site-template evidence, and the keys of the page's candidate blocks.

        ``template`` maps a block's key (:func:`~monitor.detection.template.block_key`) to how many of the
        outlet's *other* pages carry that block. A page that cannot be walked gets no template evidence.
        """
        if page.broken or len(page.html) > MAX_CHARS or page.root is None:
            return Detection(self.detect_parsed(page, url=url, outlet_rules=outlet_rules))
        site = SiteEvidence(template)
        try:
            findings = self._detect(page.root, page.html, outlet_rules, page.blocks, site)
        except Exception:  # a hostile page must not take the run down
            log.warning("detector failed on %s", url or "a page", exc_info=True)
            return Detection([])
        lifted = {f: site.lifted[f] for f in findings if f in site.lifted}
        return Detection(findings, frozenset(site.keys), lifted, frozenset(site.repeated), frozenset(site.rejected))

    def _detect(
        self,
        root: etree._Element,
        html: str,
        outlet_rules: Sequence[SelectorRule],
        blocks: list[Block] | None = None,
        site: SiteEvidence | None = None,
    ) -> list[Finding]:
        blocks = extract_blocks(root) if blocks is None else blocks
        norms = [normalize(b.text) if len(b.text) <= self._longest else "" for b in blocks]
        found: list[tuple[int, Finding]] = []
        own: tuple[re.Pattern[str], ...] | None = None  # the outlet's own name, looked up when first needed
        anchors = self._anchors.hits(norms)
        for rule in self._text_rules:
            covered = -1  # blocks already joined into a previous finding of this rule
            for i in anchors.blocks_with(rule.anchors):
                if i <= covered:
                    continue
                if own is None and rule.require_or_banner:
                    own = site_names(root)
                finding, covered = judge_run(rule, blocks, norms, i, own or ())
                if site is not None:
                    finding, covered = site.judge(rule, blocks, norms, i, own or (), (finding, covered))
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
        names = PageNames(root)
        for rule, selectors, literals in self._selector_rules:
            if literals and not any(lit in html for lit in literals):
                continue  # none of the class/id names occurs in the markup: skip the tree walk
            for selector in selectors.on(names):
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
            for rule, selectors in self._jsonld_rules:
                evidence = jsonld_match(objects, rule.jsonld) if objects else None
                if evidence and (not selectors.compiled or any(_gate(root, s, objects) for s in selectors.on(names))):
                    out.append((10**9, make_finding(rule.category, evidence, rule, "script[type=ld+json]")))
        return out


def _gate(root: etree._Element, selector: etree.XPath, objects: list[dict[str, Any]]) -> bool:
    """Whether a visible element matching ``selector`` looks like a gate: text, but not a run of paragraphs.

    The JSON-LD ``hasPart.cssSelector`` names the gated *content*; on a free (metered, not yet
    gated) page that element is the visible article body, which proves nothing: it, what holds it
    and what it holds count only without two paragraphs, as does every candidate when the page
    names no content. An element apart from the named content is a gate when it is an offer box:
    short lines ("Keep reading", "Subscribe from $1", "Already a subscriber? Sign in"), not two
    paragraphs of article length, and not much text.
    """
    content: frozenset[etree._Element] | None = None
    for el, text in selected(root, selector, limit=5):
        if content is None:
            content = _gated_content(root, objects)  # only once a candidate is found: it costs tree scans
        paragraphs = list(el.iter("p"))
        if not content or _overlaps(el, content):
            if len(paragraphs) < 2:
                return True
        elif len(text) <= _OFFER_CHARS and sum(1 for p in paragraphs if _long(p)) < 2:
            return True
    return False


_BODY_PARAGRAPH = 120  # characters: an article's paragraph, not a line of an offer box
_OFFER_CHARS = 800  # an offer box is a few short lines; more is the article or its preview


def _long(paragraph: etree._Element) -> bool:
    """A paragraph of article length (its text only read where the count alone cannot decide)."""
    return len(" ".join("".join(paragraph.itertext()).split())) >= _BODY_PARAGRAPH


def _overlaps(el: etree._Element, content: frozenset[etree._Element]) -> bool:
    """``el`` is named content, inside it, or holds it."""
    return (
        el in content
        or any(a in content for a in el.iterancestors())
        or any(a is el for c in content for a in c.iterancestors())
    )


# Only plain class/id selectors (".article-body", "div#story, .paywall"), at most five: a page's
# selector is run on its own tree, and a hostile one can raise (an undefined namespace prefix) or
# take minutes ("b ~ b ~ b" over thousands of siblings). Stricter than signals' _PLAIN_SELECTOR,
# which admits combinators for the packs' own selectors.
_PLAIN_CSS = re.compile(r"\s*[\w-]*(?:[.#][\w-]+)+\s*(?:,\s*[\w-]*(?:[.#][\w-]+)+\s*){0,4}")
_MAX_SELECTOR = 200  # characters
_MAX_SELECTORS = 5


@lru_cache(maxsize=64)
def _content_selector(css: str) -> etree.XPath | None:
    return compile_selector(css)


def _gated_content(root: etree._Element, objects: list[dict[str, Any]]) -> frozenset[etree._Element]:
    """The elements the JSON-LD ``hasPart.cssSelector`` values of non-free parts name (the gated
    content itself); ``speakable`` and free parts use ``cssSelector`` too and are not read."""
    names: list[str] = []
    for obj in objects:
        if not same_value(obj.get("isAccessibleForFree"), False):
            continue
        css = obj.get("cssSelector")
        for value in css if isinstance(css, list) else [css]:
            plain = isinstance(value, str) and len(value) < _MAX_SELECTOR and _PLAIN_CSS.fullmatch(value)
            if plain and value not in names and len(names) < _MAX_SELECTORS:
                names.append(value)
    out: set[etree._Element] = set()
    for css in names:
        selector = _content_selector(css)
        if selector is not None:
            try:
                out.update(selector(root)[:20])
            except (etree.XPathError, AssertionError, ValueError):  # what lxml raises on odd selectors
                continue
    return frozenset(out)


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
