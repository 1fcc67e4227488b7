"""Fetch outcomes that are not the outlet's content: bot challenges, consent/login walls, geo-blocks,
parked domains, error and seizure pages, redirects to another domain, truncated documents.

A response classified here is recorded as an availability outcome with its cause and is never
diffed as content, so a Cloudflare interstitial can never turn a label into ``removed``.
The signatures are data (``signatures.yaml``), extensible by users.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from monitor.errors import ConfigError
from monitor.models import FetchResult

_RAW_LIMIT = 65536
_TEXT_LIMIT = 3000
_MIN_TEXT = 20  # fewer visible characters than this is no page (even a wall says more)


@dataclass(frozen=True)
class Signature:
    id: str
    kind: str
    title: tuple[re.Pattern[str], ...]
    text: tuple[re.Pattern[str], ...]
    html: tuple[re.Pattern[str], ...]
    max_text: int | None

    def matches(self, title: str, text: str, raw: str, text_length: int) -> bool:
        if self.max_text is not None and text_length > self.max_text:
            return False
        return (
            any(p.search(title) for p in self.title)
            or any(p.search(text) for p in self.text)
            or any(p.search(raw) for p in self.html)
        )


@dataclass(frozen=True)
class Outcome:
    """Why a 2xx response is not content: ``kind`` (e.g. bot_challenge) and a human ``cause``."""

    kind: str
    signature: str
    cause: str


def load_signatures(extra: Sequence[Path] = ()) -> list[Signature]:
    """The shipped signatures, then the user's; a malformed file is a ConfigError naming it."""
    sources: list[tuple[str, str]] = [("signatures.yaml", files(__package__).joinpath("signatures.yaml").read_text())]
    for path in extra:
        try:
            sources.append((str(path), Path(path).read_text(encoding="utf-8")))
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return [sig for name, text in sources for sig in _parse(name, text)]


def _parse(name: str, text: str) -> list[Signature]:
    import yaml  # here: a reading worker, given parsed signatures, never needs PyYAML

    try:
        data = yaml.safe_load(text) or {}
        return [_signature(entry) for entry in data.get("signatures", [])]
    except (yaml.YAMLError, KeyError, TypeError, AttributeError, re.error) as exc:
        raise ConfigError(f"{name}: invalid fetch-outcome signatures: {exc}") from None


def _signature(entry: dict[str, Any]) -> Signature:
    def compile_all(key: str) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p, re.IGNORECASE | re.DOTALL) for p in entry.get(key, []))

    return Signature(
        id=entry["id"],
        kind=entry["kind"],
        title=compile_all("title"),
        text=compile_all("text"),
        html=compile_all("html"),
        max_text=entry.get("max_text"),
    )


def classify(
    result: FetchResult, html: str, signatures: Sequence[Signature], root: etree._Element | None = None
) -> Outcome | None:
    """An Outcome when this successful response is not the outlet's content, else None.

    ``root``: the page already parsed by ``monitor.extract.parse_html`` (the check parses once)."""
    moved = _foreign_redirect(result)
    if moved:
        return moved
    not_html = _not_html(result)
    if not_html:
        return not_html
    title, text, length = _title_and_text(html) if root is None else _tree_title_and_text(root)
    if length < _MIN_TEXT:
        # An empty 200, a bare error fragment, or a page drawn only by JavaScript: nothing to read, so
        # nothing may be concluded from it — above all not that a label was "removed".
        return Outcome("empty", "empty", "empty page: no visible text (an error, or a page drawn by JavaScript)")
    raw = html[:_RAW_LIMIT]
    for signature in signatures:
        if signature.matches(title, text, raw, length):
            what = signature.kind.replace("_", " ")
            return Outcome(signature.kind, signature.id, f"{what} ({signature.id})")
    if _truncated(html):
        return Outcome("incomplete", "truncated", "incomplete page: the document ends before </html>")
    return None


def _not_html(result: FetchResult) -> Outcome | None:
    ctype = (result.headers.get("content-type") or "").split(";")[0].strip().lower()
    if ctype and not any(kind in ctype for kind in ("html", "xml", "text/plain")):
        return Outcome("not_html", "content-type", f"not an HTML page ({ctype})")
    return None


def _foreign_redirect(result: FetchResult) -> Outcome | None:
    asked, landed = _site(result.url), _site(result.final_url)
    if asked and landed and asked != landed:
        return Outcome("redirect", "other-domain", f"redirected to another domain: {landed}")
    return None


def _site(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def _title_and_text(html: str) -> tuple[str, str, int]:
    from monitor.extract import parse_html  # the detector's parser: encoding declarations are already applied

    root = parse_html(html)
    return ("", "", 0) if root is None else _tree_title_and_text(root)


_VISIBLE_TEXT = etree.XPath(
    "//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript or ancestor::template)]"
)
_TITLE_TEXT = etree.XPath("//title//text()")


def _tree_title_and_text(root: etree._Element) -> tuple[str, str, int]:
    """``_title_and_text`` on a parsed tree, read without modifying it (the detector reads it next)."""
    title = " ".join(" ".join(_TITLE_TEXT(root)).split())  # type: ignore[arg-type]
    text = " ".join(" ".join(_VISIBLE_TEXT(root)).split())  # type: ignore[arg-type]
    return title, text[:_TEXT_LIMIT], len(text)


_CLOSING = re.compile(r"</(?:body|html)", re.IGNORECASE)
_TAIL = 4096  # characters at the end of a document where its closing tags stand


def _truncated(html: str) -> bool:
    """A document that opens <body> but never closes <body> nor <html> anywhere was cut off in transit.
    (Scrapy already fails responses shorter than their Content-Length; this catches chunked ones.)"""
    if _CLOSING.search(html, max(0, len(html) - _TAIL)):  # the common case, without lowering 100 KB
        return False
    lower = html.lower()
    return "<body" in lower and "</body" not in lower and "</html" not in lower
