"""Article links from RSS 2.0 / RSS 1.0 / Atom feeds and XML sitemaps, newest first.

Feeds are hostile input like any page: the parser never expands entities, loads DTDs or touches the
network (the defusedxml precautions, done with lxml's own switches), and a broken document gives no
links rather than an exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal
from urllib.parse import urljoin, urlsplit

from lxml import etree

FeedKind = Literal["rss", "atom", "urlset", "sitemapindex", "unknown"]


@dataclass(frozen=True, slots=True)
class FeedLinks:
    """Links a feed or sitemap lists, newest first; ``kind`` says what the document was."""

    kind: FeedKind
    links: tuple[str, ...]


def _parser() -> etree.XMLParser:
    # recover=True: real feeds often carry a stray "&" or an unclosed tag; take what parses.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        recover=True,
        remove_comments=True,
        remove_pis=True,
    )


def _local(tag: object) -> str:
    """Tag name without its namespace (feeds mix RSS, Atom, Dublin Core and news-sitemap names)."""
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if _local(child.tag) == name]


def _text(element: etree._Element, *names: str) -> str:
    """Text of the first direct child (or news:news grandchild) called one of ``names``."""
    for child in element.iter():
        if child is not element and _local(child.tag) in names and (child.text or "").strip():
            return (child.text or "").strip()
    return ""


def parse_date(value: str) -> datetime | None:
    """RFC 822 (RSS) or ISO 8601 (Atom, sitemaps, Dublin Core) date, as aware UTC; None if unreadable."""
    value = value.strip()
    if not value:
        return None
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _atom_link(entry: etree._Element) -> str:
    links = _children(entry, "link")
    for link in links:
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link.get("href", "")
    return next((link.get("href", "") for link in links if link.get("href")), "")


def _entries(root: etree._Element, kind: FeedKind) -> list[tuple[str, str]]:
    """(link, date text) per entry, in document order."""
    if kind == "atom":
        return [(_atom_link(e), _text(e, "updated", "published")) for e in root.iter() if _local(e.tag) == "entry"]
    if kind == "rss":
        return [
            (_text(item, "link") or _guid_link(item), _text(item, "pubdate", "date", "updated"))
            for item in root.iter()
            if _local(item.tag) == "item"
        ]
    child = "url" if kind == "urlset" else "sitemap"
    return [(_text(e, "loc"), _text(e, "publication_date", "lastmod")) for e in _children(root, child)]


def _guid_link(item: etree._Element) -> str:
    guid = next(iter(_children(item, "guid")), None)
    if guid is None or guid.get("isPermaLink", "true").lower() == "false":
        return ""
    return (guid.text or "").strip()


def _kind(root: etree._Element) -> FeedKind:
    name = _local(root.tag)
    if name in ("rss", "rdf"):
        return "rss"
    if name == "feed":
        return "atom"
    if name in ("urlset", "sitemapindex"):
        return name  # type: ignore[return-value]
    return "unknown"


def _newest_first(entries: list[tuple[str, str]]) -> list[str]:
    """Dated entries newest first, then undated ones in document order (sorting is stable)."""
    keyed = []
    for index, (link, date) in enumerate(entries):
        when = parse_date(date)
        keyed.append(((0, -when.timestamp(), index) if when else (1, 0.0, index), link))
    keyed.sort(key=lambda pair: pair[0])
    return [link for _, link in keyed]


def parse_feed(body: bytes, base_url: str) -> FeedLinks:
    """The http(s) links listed by a feed or sitemap in ``body``, absolute, de-duplicated, newest first."""
    try:
        root = etree.fromstring(body, parser=_parser())
    except etree.XMLSyntaxError:
        root = None
    if root is None:  # lxml in recover mode returns None for hopeless input
        return FeedLinks("unknown", ())
    kind = _kind(root)
    if kind == "unknown":
        return FeedLinks(kind, ())
    links: list[str] = []
    for link in _newest_first(_entries(root, kind)):
        absolute = urljoin(base_url, link)
        if link and urlsplit(absolute).scheme in ("http", "https") and absolute not in links:
            links.append(absolute)
    return FeedLinks(kind, tuple(links))
