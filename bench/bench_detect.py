"""Detector throughput on ~100 KB pages against the bare cost of parsing them with lxml.

    python bench/bench_detect.py [--rounds N]

Pages: the real pages in ../shared/realworld between 50 and 250 KB (decoded once). Rows: bare lxml
parse, decode+parse, block extraction, the full detector, and a check's path for a changed page
(decode, ``ParsedPage.parse``, fingerprint, ``detect_parsed``); the last column is each row's cost as
a multiple of the bare parse (the aim for the detector is <= 2x). Each row is its fastest round.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from monitor.detect import Detector
from monitor.detection.blocks import extract_blocks
from monitor.extract import ParsedPage, decode_html, parse_html

PAGES = Path(__file__).resolve().parents[1].parent / "shared" / "realworld" / "pages"


def _time(fn: Callable[[bytes], object], pages: list[bytes], rounds: int) -> float:
    """Seconds per page in the fastest round: on a shared machine the others measure its load, not the code."""
    fn(pages[0])  # warm caches (compiled rules, parser)
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for body in pages:
            fn(body)
        best = min(best, (time.perf_counter() - start) / len(pages))
    return best


def _check_path(detector: Detector, body: bytes) -> object:
    """What a check does with a changed page (monitor/check.py read_page): parse once, fingerprint, detect."""
    page = ParsedPage.parse(decode_html(body))
    return page.fingerprint(), detector.detect_parsed(page)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    pages = [p.read_bytes() for p in sorted(PAGES.glob("*.html")) if 50_000 <= p.stat().st_size <= 250_000]
    if not pages:
        sys.exit(f"no pages under {PAGES}")
    detector = Detector()
    html_parser = etree.HTMLParser(remove_comments=True)
    steps: list[tuple[str, Callable[[bytes], object]]] = [
        ("lxml parse (bare)", lambda b: etree.fromstring(b, html_parser)),
        ("decode + parse", lambda b: parse_html(decode_html(b))),
        ("decode + parse + blocks", lambda b: extract_blocks(parse_html(decode_html(b)))),  # type: ignore[arg-type]
        ("detector (full)", detector.detect),
        ("check path", lambda b: _check_path(detector, b)),
    ]
    avg_kb = sum(map(len, pages)) / len(pages) / 1024
    print(f"{len(pages)} pages, average {avg_kb:.0f} KB, {args.rounds} rounds")
    print(f"{'step':<26}{'ms/page':>10}{'pages/s':>10}{'x parse':>10}")
    base = None
    for name, fn in steps:
        secs = _time(fn, pages, args.rounds)
        base = base or secs
        print(f"{name:<26}{secs * 1000:>10.2f}{1 / secs:>10.1f}{secs / base:>10.1f}")


if __name__ == "__main__":
    main()
