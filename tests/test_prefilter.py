"""Prefilters never skip what a rule would find: regex literals, anchors, the class/id names selectors need."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.detect import Detector
from monitor.detection.anchors import AnchorIndex
from monitor.detection.prefilter import could_match, needed
from monitor.detection.signals import PageNames, SelectorSet, class_id_text, needed_names, selected
from monitor.extract import parse_html
from monitor.rules import load_rule_set

PATTERNS = sorted({p.pattern for r in load_rule_set() for p in (*r.compiled, *r.compiled_exclude, *r.compiled_require)})


@pytest.mark.parametrize("source", PATTERNS)
def test_every_text_a_shipped_pattern_matches_passes_the_prefilter(source: str) -> None:
    pattern = re.compile(source)

    @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.from_regex(pattern), st.text(max_size=20), st.text(max_size=20))
    def check(match: str, before: str, after: str) -> None:
        text = before + match + after
        if pattern.search(text):
            assert could_match(pattern, text)

    check()


def test_shipped_patterns_are_prefiltered() -> None:
    # The speed-up only works when patterns need literals; most of ours open with \b or a class.
    assert sum(1 for s in PATTERNS if needed(re.compile(s))) >= 0.9 * len(PATTERNS)


@pytest.mark.parametrize(
    ("source", "text", "expected"),
    [
        (r"\bhelp us (?:keep|fund)\b", "please help us fund it", True),
        (r"\bhelp us (?:keep|fund)\b", "help them fund it", False),
        (r"\b(?:chip in|pitch in)\b", "pitch in today", True),
        (r"\b(?:chip in|pitch in)\b", "chip inside", True),  # the literal is there: the pattern decides
        (r"(?i:donate) now", "DONATE now", True),  # case-insensitive literals are never required
        (r"(?i)donate", "DONATE", True),
        (r"(?:abc)?xyz", "xyz", True),  # an optional group's literals are not needed
        (r"(?:abc)?xyz", "abc", False),
        (r"a(?=bcd)", "abcd", True),  # look-arounds need nothing
        (r"(?:ab|)c", "c", True),  # a branch that can be empty needs nothing
        (r"x(?:foo)+", "x", False),  # a repeated group is needed when it must occur once
    ],
)
def test_could_match(source: str, text: str, expected: bool) -> None:
    assert could_match(re.compile(source), text) is expected


@pytest.mark.parametrize(
    ("selectors", "expected"),
    [
        ([".tp-modal", "#piano-offer"], ("tp-modal", "piano-offer")),
        (["iframe#p3-paywall", "#poool-widget iframe"], ("p3-paywall", "poool-widget")),
        (["[class*=paywall]", "[id^='gate']"], ("paywall", "gate")),
        (["div.a > p.b"], ("a", "b")),
        ([".x", "div"], ()),  # a selector naming no class or id matches without one
        ([".x:not(.y)"], ()),
        (["[data-gate=on]"], ()),  # other attributes are not among the values looked in
        (["[class!=x]"], ()),
    ],
)
def test_needed_names(selectors: list[str], expected: tuple[str, ...]) -> None:
    assert needed_names(selectors) == expected


VENDOR_BOX = '<div class="tp-modal"><p>A special offer for you.</p></div>'


@pytest.mark.parametrize(
    ("body", "found"),
    [
        (VENDOR_BOX, True),
        # The vendor's script names the class; no element carries it.
        ('<script>tp.push(["init", ".tp-modal"])</script><p>A special offer for you.</p>', False),
        (VENDOR_BOX.replace("tp-modal", "tp&#45;modal"), False),  # as before: the markup never names it
    ],
)
def test_vendor_selector_needs_the_class_on_an_element(body: str, found: bool) -> None:
    findings = Detector().detect(f"<html><body><article>{body}</article></body></html>")
    assert any(f.rule == "paywall-vendor-piano" for f in findings) is found


def test_class_id_text_holds_every_class_and_id() -> None:
    root = parse_html('<html><body><div class="a b" id="c"><span class="d"></span></div></body></html>')
    assert root is not None
    assert class_id_text(root).split() == ["a", "b", "c", "d"]


PAGES_FOR_SELECTORS = [
    '<div class="a"><p>One two</p></div><div id="b">Three four</div>',
    '<div class="x-paywall premium-wall">Locked for now</div><section class="b c">Five six</section>',
    '<div class="tp-modal"><iframe id="p3-paywall"></iframe></div>',
    "<p>No classes at all here</p>",
]
SELECTOR_LISTS = [
    [".a", "#b"],
    ["[class*=paywall]", "[class*=premium-wall]", ".c"],
    [".tp-modal", "iframe#p3-paywall", "#nothing iframe"],
    [".a", "div:not(.a)"],  # a selector needing no name always runs
    [".a", "p::nonsense(", "#b"],  # an invalid selector: the valid ones run one by one
]


@pytest.mark.parametrize("selectors", SELECTOR_LISTS)
@pytest.mark.parametrize("body", PAGES_FOR_SELECTORS)
def test_selector_set_on_a_page_matches_what_all_its_selectors_match(body: str, selectors: list[str]) -> None:
    root = parse_html(f"<html><body>{body}</body></html>")
    assert root is not None
    selector_set = SelectorSet(selectors)
    every = [[el for el, _ in selected(root, s)] for s in selector_set.compiled]
    kept = [[el for el, _ in selected(root, s)] for s in selector_set.on(PageNames(root))]
    assert [el for els in kept for el in els] == [el for els in every for el in els]


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.lists(st.text(alphabet="abcиор \"'\n", max_size=12), max_size=8),
    st.lists(st.text(alphabet="abcиор \"'\n", max_size=4), min_size=1, max_size=6),
    st.lists(st.text(alphabet="abcиор", min_size=1, max_size=4), max_size=6),
)
def test_anchor_hits_are_the_blocks_holding_an_anchor(norms: list[str], anchors: list[str], others: list[str]) -> None:
    # One index holds every rule's anchors; each rule asks for its own (a line break in an anchor must
    # not find it across two blocks, the empty anchor is in every block).
    hits = AnchorIndex(anchors + others).hits(norms)
    assert hits.blocks_with(anchors) == [i for i, n in enumerate(norms) if any(a in n for a in anchors)]
