"""Structured paywall and banner signals: CSS selectors (vendor containers, outlet rules) and JSON-LD.

Real pages mark free articles ``isAccessibleForFree: false`` (metered and registration walls;
4 of the 23 real pages in ``../shared/realworld`` do, none of them gated for a first visit), and
ship empty vendor placeholders (``<div class="poool-widget"></div>``). So an element counts only
when it is visible, outside comments/related lists, and carries text (or is the vendor's iframe),
and a JSON-LD flag counts only together with such an element when the rule names selectors.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

from lxml import etree
from lxml.cssselect import CSSSelector, SelectorError

from monitor.detection.blocks import element_text
from monitor.detection.context import is_hidden, zone_of

log = logging.getLogger(__name__)
MAX_JSONLD_NODES = 5_000


def compile_selector(selector: str) -> CSSSelector | None:
    """Compile a CSS selector (HTML semantics), or None (logged) when it is invalid."""
    try:
        return CSSSelector(selector, translator="html")
    except (SelectorError, SyntaxError, ValueError) as exc:
        log.warning("invalid CSS selector %r: %s", selector, exc)
        return None


_NAME_TEST = r"""(?:[.#][\w-]+|\[\s*(?:class|id)\s*[*^$~|]?=\s*(?:"[\w-]+"|'[\w-]+'|[\w-]+)\s*\])"""
_COMPOUND = rf"(?:(?:[A-Za-z][\w-]*|\*){_NAME_TEST}*|{_NAME_TEST}+)"
_PLAIN_SELECTOR = re.compile(rf"\s*{_COMPOUND}(?:\s*[>+~]\s*{_COMPOUND}|\s+{_COMPOUND})*\s*")
_NAME = re.compile(r"""[.#]([\w-]+)|=\s*["']?([\w-]+)""")


def needed_names(selectors: Sequence[str]) -> tuple[str, ...]:
    """Words one of which some class or id value of the page holds wherever any of ``selectors`` matches.

    Empty (nothing known) unless every selector is plain: tags, ``.class``, ``#id`` and ``[class*=…]``-
    style tests of class and id, with combinators; a pseudo-class such as ``:not(.x)`` needs no name.
    """
    out: list[str] = []
    for selector in selectors:
        names = [a or b for a, b in _NAME.findall(selector)] if _PLAIN_SELECTOR.fullmatch(selector) else []
        if not names:
            return ()
        out.extend(names)
    return tuple(dict.fromkeys(out))


def class_id_text(root: etree._Element) -> str:
    """Every class and id value of the page, space-joined: what :func:`needed_names` are looked for in."""
    return " ".join(v for el in root.iter(etree.Element) for v in (el.get("class"), el.get("id")) if v)


class PageNames:
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


class SelectorSet:
    """A rule's CSS selectors: one compiled selector for the whole list (one tree walk), or each alone
    if one is invalid; and per page only those whose class or id names occur on it."""

    def __init__(self, selectors: Sequence[str]) -> None:
        self.selectors = tuple(selectors)
        joined = compile_selector(", ".join(selectors)) if selectors else None
        self._alone = [] if joined is not None else [(s, compile_selector(s)) for s in selectors]
        self.compiled: list[CSSSelector] = [joined] if joined is not None else [c for _, c in self._alone if c]
        self._needed = [needed_names([s]) for s in selectors]

    def on(self, names: PageNames) -> list[CSSSelector]:
        """The compiled selectors to run on a page: those that cannot match it left out (same matches)."""
        active = [not names.lack(needed) for needed in self._needed]
        if all(active):
            return self.compiled
        if self._alone:
            return [c for (_, c), on in zip(self._alone, active, strict=True) if c is not None and on]
        kept = tuple(s for s, on in zip(self.selectors, active, strict=True) if on)
        joined = _joined(kept) if kept else None
        return [] if not kept else [joined] if joined is not None else self.compiled


@lru_cache(maxsize=256)
def _joined(selectors: tuple[str, ...]) -> CSSSelector | None:
    return compile_selector(", ".join(selectors))


def _shown(el: etree._Element) -> bool:
    """Visible and outside excluded zones: no hidden ancestor, no comment/related/nav ancestor."""
    node: etree._Element | None = el
    while node is not None:
        if not isinstance(node.tag, str):
            return False
        if is_hidden(node) or zone_of(node, node.tag.lower()):
            return False
        node = node.getparent()
    return True


def selected(root: etree._Element, selector: CSSSelector, limit: int = 20) -> Iterator[tuple[etree._Element, str]]:
    """Visible elements matching ``selector`` that carry text (or are iframes), with that text."""
    count = 0
    for el in selector(root):
        if count >= limit:
            return
        if not _shown(el):
            continue
        text = element_text(el)
        if len(text.split()) >= 2 or (isinstance(el.tag, str) and el.tag.lower() == "iframe"):
            count += 1
            yield el, text


def _walk_json(node: Any, budget: list[int]) -> Iterator[dict[str, Any]]:
    if budget[0] <= 0:
        return
    budget[0] -= 1
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk_json(value, budget)
    elif isinstance(node, list):
        for value in node:
            yield from _walk_json(value, budget)


def jsonld_objects(root: etree._Element) -> list[dict[str, Any]]:
    """Every JSON object (nested ones, ``@graph`` members and ``hasPart`` included) in ld+json scripts."""
    out: list[dict[str, Any]] = []
    budget = [MAX_JSONLD_NODES]
    for script in root.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text, strict=False)
        except (ValueError, RecursionError):
            continue
        out.extend(_walk_json(data, budget))
    return out


def same_value(actual: Any, wanted: Any) -> bool:
    """JSON-LD values as publishers write them: ``false``, ``"False"`` and ``"false"`` are one value."""
    if isinstance(wanted, bool):
        if isinstance(actual, str):
            return actual.strip().lower() == str(wanted).lower()
        return actual is wanted
    return bool(actual == wanted)


def jsonld_match(objects: list[dict[str, Any]], pairs: tuple[tuple[str, Any], ...]) -> str | None:
    """Evidence text for the first object holding all ``pairs``, e.g. ``isAccessibleForFree=false``."""
    for obj in objects:
        if all(key in obj and same_value(obj[key], value) for key, value in pairs):
            evidence = "; ".join(f"{key}={json.dumps(value)}" for key, value in pairs)
            part = obj.get("hasPart")
            parts = part if isinstance(part, list) else [part]
            css = [p.get("cssSelector") for p in parts if isinstance(p, dict) and p.get("cssSelector")]
            if css:
                evidence += f"; cssSelector={css[0]}"
            return f"JSON-LD {evidence}"
    return None
