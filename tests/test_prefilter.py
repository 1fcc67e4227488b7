"""The regex prefilter never skips a text a rule pattern matches (it may only save time)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.detection.prefilter import could_match, needed
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
