"""Cut a parsed page into text blocks, each with the structural context the detector judges by.

A *block* is a run of text inside one block-level element, joined across inline tags (``<span>``,
``<b>``, a single ``<br>``); a double ``<br>`` also ends a block, so each Telegram post paragraph
stands alone. ``alt``, ``aria-label`` and ``title`` attributes become blocks of their own.

Context recorded per block:

* ``zone`` - why the block does not speak for the page (a reader comment, a related/teaser/
  sponsored list, a quotation, navigation, a newsletter box, search results), or ``None``;
* ``hint`` - the nearest element (up to the enclosing ``article``/``main``) whose class, id or
  role names a banner-like thing (banner, notice, disclaimer, donate, support, paywall...);
* ``prose`` - the block is a ``<p>`` in a run of paragraphs with no such hint, outside the site
  template: article body text;
* ``link_only`` - all of its text is link or button text (a bare "Donate" nav item);
* ``quoted`` - the article paragraph just before it ends with a colon ("the label reads:");
* ``chrome`` - it sits in the site template (a footer, an aside, a header outside the article),
  where an outlet speaks about itself rather than reports.

Hidden subtrees (``hidden``, ``aria-hidden="true"``, ``display:none``, class ``hidden``) are
skipped altogether: a paywall template nobody sees is not a paywall.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from lxml import etree

from monitor.detection.normalize import collapse_ws

BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption center dd details dialog dir div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html iframe legend li main menu "
    "nav noscript ol p pre section summary table tbody td template tfoot th thead tr ul".split()
)
SKIP_TAGS = frozenset(
    "script style head title meta link svg math object embed canvas video audio source track "
    "map area select option input textarea param base".split()
)
_ZONE_TAGS = {"blockquote": "quotation", "q": "quotation", "nav": "navigation", "cite": "quotation"}
_ZONE_ROLES = {"navigation": "navigation", "search": "search", "menu": "navigation", "menubar": "navigation"}
_ZONE_WORDS = {
    "comment": "comments", "comments": "comments", "comm": "comments", "reply": "comments", "discussion": "comments",
    "replies": "comments", "disqus": "comments", "related": "related", "teaser": "related",
    "teasers": "related", "recommend": "related", "recommended": "related", "recommendations": "related",
    "recirculation": "related", "outbrain": "related", "taboola": "related", "sponsored": "related",
    "sponsor": "related", "partner": "related", "partners": "related", "readmore": "related",
    "nav": "navigation", "navbar": "navigation", "menu": "navigation", "breadcrumb": "navigation",
    "breadcrumbs": "navigation", "search": "search", "serp": "search", "snippet": "search",
    "newsletter": "newsletter", "signup": "newsletter", "quote": "quotation", "pullquote": "quotation",
}  # fmt: skip
_HINT_PREFIXES = (
    "banner", "notice", "disclaim", "plashka", "inoagent", "foreignagent", "warning", "donat",
    "paywall", "premium", "subscri", "regwall", "appeal", "contribut", "spende", "tamogat", "mecenat",
    "disclosure", "fundrais", "kulfoldi", "undesirable", "extremist", "infobox", "callout",
)  # fmt: skip
_HINT_WORDS = frozenset(
    "fa agent alert status label note notes gate pw cta help epic meter paid state membership "
    "members member friends donate give spenden support supporter supporters supportus".split()
)
_HIDDEN_CLASSES = frozenset({"hidden", "d-none", "is-hidden", "hide", "invisible"})
# A container titled like this holds other content's teasers, or readers' comments.
_ZONE_HEADINGS = (
    ("related", re.compile(
        r"(?:read (?:more|also|next)|related(?: \w+)?|more (?:from|on|stories|news)\b.*|recommended(?: for you)?|"
        r"you (?:may|might) also like|most (?:read|popular)|popular|sponsored(?: content)?|partner content|"
        r"(?:from|by) our partners|promoted|also read|читайте (?:также|еще|ещё)|(?:также |еще )?по теме|"
        r"популярное|рекомендуем|(?:от|от наших) партнеров|партнерские материалы|новости партнеров|"
        r"читайте також|також читайте|від (?:наших )?партнерів|популярне|lesen sie auch|mehr zum thema|"
        r"auch interessant|(?:à )?lire aussi|sur le même sujet|leer más|te puede interesar|leggi anche|"
        r"czytaj (?:także|też)|ayrıca (?:okuyun|bakınız))\W*"
    )),
    ("comments", re.compile(
        r"(?:\d+ )?(?:comments?|reader comments|discussion|комментари\w*|мнения читателей|отзывы|коментар\w*|"
        r"kommentare|commentaires|comentarios|commenti|komentarze|yorumlar)(?: \(?\d+\)?)?\W*"
    )),
    ("search", re.compile(r"(?:search results|результаты поиска|suchergebnisse|résultats de recherche)\W*")),
)  # fmt: skip
_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "caption", "legend", "header"})
_HEADING_WORDS = frozenset({"header", "title", "heading", "head", "caption", "hd"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_TOKEN_SPLIT = re.compile(r"[\s_\-]+|(?<=[a-z])(?=[A-Z])")
_TAXONOMY = ("category-", "tag-", "cat-", "format-", "type-", "status-", "postid-", "page-template")
_CHROME_ROLES = frozenset({"banner", "contentinfo", "complementary"})
_BOUNDARY_TAGS = frozenset({"article", "main", "body", "html"})
_ATTRS = ("alt", "aria-label", "title")
MAX_BLOCKS = 20_000
MAX_DEPTH = 200


@dataclass(slots=True)
class Block:
    """One run of visible text (or one attribute's text) and where it stands on the page."""

    text: str
    element: etree._Element
    source: str  # "text", or the attribute the text came from
    zone: str | None
    hint: etree._Element | None
    prose: bool
    link_only: bool
    order: int
    chrome: bool = False  # in the site template: a footer, an aside, or a header outside the article
    quoted: bool = False  # article prose right before it ends with a colon: it is being shown, not used


class _Ctx(NamedTuple):
    zone: str | None
    hint: etree._Element | None
    link: bool
    p_run: bool  # this element has two or more <p> children
    chrome: bool = False
    in_article: bool = False


def class_tokens(el: etree._Element) -> list[str]:
    """Lower-case words of an element's class and id (split on spaces, ``-``, ``_`` and camelCase).

    CMS taxonomy classes (WordPress ``category-newsletter``, ``tag-donations``) describe the post,
    not the element, and are left out.
    """
    cls, ident = el.get("class"), el.get("id")
    if not cls and not ident:
        return []
    names = (cls or "").split()
    raw = " ".join(n for n in names if not n.lower().startswith(_TAXONOMY)) + " " + (el.get("id") or "")
    return [t.lower() for t in _TOKEN_SPLIT.split(raw) if t]


def is_hidden(el: etree._Element) -> bool:
    """Whether the element itself is hidden from a first-time visitor."""
    if el.get("hidden") is not None or (el.get("aria-hidden") or "").strip().lower() == "true":
        return True
    style = el.get("style")
    if style and _HIDDEN_STYLE.search(style):
        return True
    cls = el.get("class")
    return bool(cls) and not _HIDDEN_CLASSES.isdisjoint(cls.lower().split())


def zone_of(el: etree._Element, tag: str, tokens: list[str]) -> str | None:
    if tag in _ZONE_TAGS:
        return _ZONE_TAGS[tag]
    if "comment" in tag:  # custom elements such as <ytd-comments>
        return "comments"
    role = el.get("role")
    if role and role.lower() in _ZONE_ROLES:
        return _ZONE_ROLES[role.lower()]
    for token in tokens:
        zone = _ZONE_WORDS.get(token)
        if zone:
            return zone
    return None


def _heading_zone(el: etree._Element) -> str | None:
    """A zone named by the container's own heading ("Читайте также", "Comments", "From our partners")."""
    if len(el) < 2:
        return None
    first = next((c for c in el if isinstance(c.tag, str)), None)
    if first is None:
        return None
    tag = first.tag.lower()
    if tag not in _HEADING_TAGS and (first.get("class") is None or _HEADING_WORDS.isdisjoint(class_tokens(first))):
        return None
    text = collapse_ws("".join(first.itertext()))[:80].lower()
    for zone, pattern in _ZONE_HEADINGS:
        if pattern.fullmatch(text):
            return zone
    return None


def _is_hint(tokens: list[str], el: etree._Element) -> bool:
    if (el.get("role") or "").lower() in ("banner", "note", "alert", "status", "dialog", "alertdialog"):
        return True
    return any(t in _HINT_WORDS or t.startswith(_HINT_PREFIXES) for t in tokens)


class _Walker:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.owners: list[tuple[etree._Element, _Ctx, bool]] = []
        self.parts: list[str] = []
        self.chars = 0
        self.link_chars = 0
        self.after_br = False
        self.last_text: Block | None = None

    def add(self, text: str, link: bool) -> None:
        stripped = len(text.strip())
        if stripped:
            self.after_br = False
            self.chars += stripped
            if link:
                self.link_chars += stripped
        self.parts.append(text)

    def br(self) -> None:
        if self.after_br:
            self.flush()
        else:
            self.parts.append("\n")
            self.after_br = True

    def flush(self) -> None:
        if self.chars and self.owners and len(self.blocks) < MAX_BLOCKS:
            el, ctx, prose = self.owners[-1]
            text = collapse_ws("".join(self.parts))
            if text:
                link_only = self.link_chars == self.chars
                last = self.last_text
                quoted = last is not None and last.prose and last.text.endswith((":", "："))
                self.last_text = Block(
                    text, el, "text", ctx.zone, ctx.hint, prose, link_only, len(self.blocks), ctx.chrome, quoted
                )
                self.blocks.append(self.last_text)
        self.parts.clear()
        self.chars = self.link_chars = 0
        self.after_br = False

    def attrs(self, el: etree._Element, ctx: _Ctx) -> None:
        for name in _ATTRS:
            value = el.get(name)
            if value and len(self.blocks) < MAX_BLOCKS:
                text = collapse_ws(value)
                if text:
                    self.blocks.append(
                        Block(text, el, name, ctx.zone, ctx.hint, False, False, len(self.blocks), ctx.chrome)
                    )

    def context(self, el: etree._Element, tag: str, parent: _Ctx) -> _Ctx:
        """The element's context; elements without attributes inherit their parent's (the common case)."""
        p_run = len(el) >= 2 and sum(1 for c in el if c.tag == "p") >= 2
        link = parent.link or tag in ("a", "button")
        role = (el.get("role") or "").lower()
        in_article = parent.in_article or tag in ("article", "main") or role in ("main", "article")
        chrome = parent.chrome or tag in ("footer", "aside") or role in _CHROME_ROLES
        chrome = chrome or (tag == "header" and not parent.in_article)
        if tag in _BOUNDARY_TAGS:  # page-wide classes ("main--with-contextual-nav") say nothing of blocks
            return _Ctx(parent.zone, None, link, p_run, chrome, in_article)
        tokens = class_tokens(el) if el.attrib else []
        hint = el if (tokens or role) and _is_hint(tokens, el) else parent.hint
        zone = parent.zone or zone_of(el, tag, tokens) or _heading_zone(el)
        return _Ctx(zone, hint, link, p_run, chrome, in_article)

    def walk(self, el: etree._Element, parent: _Ctx, parent_p_run: bool, depth: int) -> None:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if depth > MAX_DEPTH or (el.attrib and is_hidden(el)):
            return
        ctx = self.context(el, tag, parent)
        block = tag in BLOCK_TAGS or "-" in tag
        if block:
            self.flush()
            prose = tag == "p" and parent_p_run and ctx.hint is None and not ctx.chrome
            self.owners.append((el, ctx, prose))
        if el.attrib:
            self.attrs(el, ctx)
        if el.text:
            self.add(el.text, ctx.link)
        for child in el:
            ctag = child.tag
            if isinstance(ctag, str):
                low = ctag.lower()
                if low == "br":
                    self.br()
                elif low not in SKIP_TAGS:
                    self.walk(child, ctx, ctx.p_run, depth + 1)
            if child.tail:
                self.add(child.tail, ctx.link)
        if block:
            self.flush()
            self.owners.pop()


def extract_blocks(root: etree._Element) -> list[Block]:
    """All text blocks of the page in document order (hidden subtrees and ``<head>`` skipped)."""
    walker = _Walker()
    body = root.find("body")
    top = body if body is not None else root
    walker.walk(top, _Ctx(None, None, False, False), False, 0)
    walker.flush()
    return walker.blocks


def element_text(el: etree._Element, limit: int = 4000) -> str:
    """The visible text of ``el`` joined across all its descendants (hidden ones and scripts excluded)."""
    parts: list[str] = []
    size = 0

    def visit(node: etree._Element) -> None:
        nonlocal size
        if size > limit or is_hidden(node):
            return
        if node.text:
            parts.append(node.text)
            size += len(node.text)
        for child in node:
            if isinstance(child.tag, str) and child.tag.lower() not in SKIP_TAGS:
                if child.tag.lower() == "br":
                    parts.append(" ")
                else:
                    parts.append(" " if child.tag.lower() in BLOCK_TAGS else "")
                    visit(child)
                    parts.append(" " if child.tag.lower() in BLOCK_TAGS else "")
            if child.tail:
                parts.append(child.tail)
                size += len(child.tail)

    visit(el)
    return collapse_ws("".join(parts))


def _step(el: etree._Element) -> str:
    tag = el.tag.lower() if isinstance(el.tag, str) else "?"
    ident = (el.get("id") or "").split()
    if ident:
        return f"{tag}#{ident[0]}"
    classes = (el.get("class") or "").split()
    return f"{tag}.{classes[0]}" if classes else tag


def location(el: etree._Element) -> str:
    """A short CSS-like path to ``el``: up to three steps, e.g. ``article>div.fa-note>p``."""
    steps: list[str] = []
    node: etree._Element | None = el
    while node is not None and len(steps) < 3:
        steps.append(_step(node))
        if steps[-1].startswith(("body", "html")):
            break
        node = node.getparent()
    return ">".join(reversed(steps))
