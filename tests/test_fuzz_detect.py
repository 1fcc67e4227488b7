"""Hostile input: random and mutated HTML and bytes never make the detector raise or hang."""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.detect import Detector
from monitor.extract import content_fingerprint, decode_html

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEEDS = [p.read_bytes() for p in sorted((SHARED / "corpus" / "pages").glob("*.html"))[:8]]
DETECTOR = Detector()
TAGS = ["div", "p", "span", "br", "a", "script", "blockquote", "template", "noscript", "article", "table", "td"]
FRAGMENTS = [
    "ДАННОЕ СООБЩЕНИЕ (МАТЕРИАЛ) СОЗДАНО",
    "ИНОСТРАННЫМ АГЕНТОМ",
    "Support us",
    "«",
    '"',
    "&nbsp;",
    "\u00ad",
    "\u200b",
    "<!--",
    "]]>",
    "<![CDATA[",
    '<script type="application/ld+json">{"isAccessibleForFree": false',
]

html_pieces = st.one_of(
    st.sampled_from(FRAGMENTS),
    st.text(max_size=40),
    st.builds(lambda t, c: f'<{t} class="{c}" aria-label="{c}">', st.sampled_from(TAGS), st.text(max_size=12)),
    st.builds(lambda t: f"</{t}>", st.sampled_from(TAGS)),
)


def _check(page: str | bytes) -> None:
    start = time.perf_counter()
    findings = DETECTOR.detect(page)
    assert isinstance(findings, list)
    assert time.perf_counter() - start < 5.0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(html_pieces, max_size=60).map("".join))
def test_random_html(html):
    _check(html)
    assert isinstance(content_fingerprint(html), str)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=3000), st.sampled_from([None, "text/html", "text/html; charset=koi8-r", "charset=x"]))
def test_random_bytes(body, content_type):
    assert isinstance(decode_html(body, content_type), str)
    _check(body)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(SEEDS), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=30))
def test_mutated_corpus_pages(seed, flips):
    data = bytearray(seed)
    for pos, value in flips:
        data[pos % len(data)] = value
    _check(bytes(data))


def test_deep_nesting_and_huge_page():
    _check("<div>" * 50_000 + "ИНОСТРАННЫМ АГЕНТОМ" + "</div>" * 50_000)
    _check("<p>" + "а " * 3_000_000 + "</p>")
    _check(("<span>" + "x" * 100 + "</span>") * 60_000)
