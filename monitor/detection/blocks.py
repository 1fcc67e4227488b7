"""Cut a parsed page into text blocks, each with the structural context the detector judges by.

A *block* is a run of text inside one block-level element, joined across inline tags (``<span>``,
``<b>``, a single ``<br>``); a double ``<br>`` also ends a block, so each Telegram post paragraph
stands alone. ``alt``, ``aria-label`` and ``title`` attributes become blocks of their own.

Context recorded per block:

* ``zone`` - why the block does not speak for the page (a reader comment, a related/teaser/
  sponsored list, a quotation, navigation, a newsletter box, search results), or ``None``; block-
  level zones are skipped whole, so in practice only inline ones (``<q>``) show up here;
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

from monitor.detection.context import (
    BOUNDARY_TAGS,
    CHROME_ROLES,
    HINT_ROLES,
    class_facts,
    heading_zone_of,
    hidden_by,
    is_hidden,
    teaser_of,
    zone_by,
)
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
    inline_hint: etree._Element | None = None  # a banner-like inline element in the run (<a class="state-label">)


class _Ctx(NamedTuple):
    zone: str | None
    hint: etree._Element | None
    link: bool
    p_run: bool  # this element has two or more <p> children with text of their own (not a row of links)
    chrome: bool = False
    in_article: bool = False


_Kids = tuple[list[etree._Element], list[object]]  # an element's children and their tags, read once
_NO_ATTRS: dict[str, str] = {}


class _Walker:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.owners: list[tuple[etree._Element, _Ctx, bool]] = []
        self.parts: list[str] = []
        self.chars = 0
        self.link_chars = 0
        self.after_br = False
        self.last_text: Block | None = None
        self.before_last: Block | None = None
        self.run_hint: etree._Element | None = None  # a banner-like inline element in this run
        self.open_quote = 0  # prose blocks left inside a quotation an earlier paragraph opened (0: none)

    def add(self, text: str, ctx: _Ctx) -> None:
        # Separators between links ("О проекте · Поддержать · Контакты") are not text of their own.
        stripped = len(text.strip(_SEPARATORS))
        if stripped:
            self.after_br = False
            self.chars += stripped
            if ctx.link:
                self.link_chars += stripped
            if self.run_hint is None:
                self.run_hint = ctx.hint
            # React renders adjacent inline elements with no space between them, so a label glues to
            # the next word ("…state-affiliated media" + "Moscow" reads "mediaMoscow"). A lower-case
            # letter meeting an upper-case one at an element boundary is two words; a word split over
            # <span>s to defeat matching ("иностран"+"ным") keeps its case across the joint.
            parts = self.parts
            if parts and text[0].isupper() and parts[-1] and parts[-1][-1].islower():
                parts.append(" ")
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
                quoted = last is not None and (
                    (last.prose and last.text.endswith((":", "："))) or _sample_heading(last) or _prefaced(last, el)
                )
                quoted = quoted or (prose and self.open_quote > 0)
                self.open_quote = _quote_run(text, self.open_quote) if prose else 0
                # A run that is one banner-styled link (<a class="support-banner">) is that banner.
                hint = ctx.hint if ctx.hint is not None or not link_only else self.run_hint
                inline = self.run_hint if hint is None else None
                block = Block(
                    text, el, "text", ctx.zone, hint, prose, link_only, len(self.blocks), ctx.chrome, quoted, inline
                )
                if last is not None and _sentence_runs_through(self.before_last, last, block):
                    last.quoted = True
                self.before_last, self.last_text = last, block
                self.blocks.append(block)
        self.parts.clear()
        self.chars = self.link_chars = 0
        self.after_br = False
        self.run_hint = None

    def attrs(self, el: etree._Element, attrs: dict[str, str], ctx: _Ctx) -> None:
        for name in _ATTRS:
            value = attrs.get(name)
            if value and len(self.blocks) < MAX_BLOCKS:
                text = collapse_ws(value)
                if text:
                    self.blocks.append(
                        Block(text, el, name, ctx.zone, ctx.hint, False, False, len(self.blocks), ctx.chrome)
                    )

    def context(self, el: etree._Element, tag: str, attrs: dict[str, str], kids: _Kids, parent: _Ctx) -> _Ctx:
        """The element's context; elements without attributes inherit their parent's (the common case)."""
        children, tags = kids
        p_run = tags.count("p") >= 2 and _text_paragraphs(children, tags) >= 2
        role = (attrs.get("role") or "").lower() if attrs else ""
        link = parent.link or tag in ("a", "button") or role in _LINK_ROLES  # AMP's <span role="button">
        in_article = parent.in_article or tag in ("article", "main") or role in ("main", "article")
        chrome = parent.chrome or tag in ("footer", "aside") or role in CHROME_ROLES
        chrome = chrome or (tag == "header" and not parent.in_article)
        if tag in BOUNDARY_TAGS:  # page-wide classes ("main--with-contextual-nav") say nothing of blocks,
            # but a <main> headed "Найдено 3 материала по запросу…" holds search results all the same,
            # and an <article> inside the page's article or template, headed by a link, is a teaser
            zone = parent.zone or (heading_zone_of(children, tags) if tag == "main" else None)
            if zone is None and tag == "article" and (parent.in_article or parent.chrome) and teaser_of(*kids):
                zone = "related"
            return _Ctx(zone, None, link, p_run, chrome, in_article)
        token_hint, token_zone = class_facts(attrs.get("class"), attrs.get("id")) if attrs else (False, None)
        hint = el if token_hint or role in HINT_ROLES else parent.hint
        token_zone = _class_zone(el, attrs, token_zone) if attrs and parent.zone is None else token_zone
        zone = parent.zone or zone_by(tag, role, token_zone, tags) or heading_zone_of(children, tags)
        zone = zone or ("related" if tag in _ITEM_TAGS and teaser_of(children, tags) and _listed(el, tag) else None)
        zone = zone or ("table" if tag == "table" and _data_table(children, tags) else None)
        return _Ctx(zone, hint, link, p_run, chrome, in_article)

    def walk(self, el: etree._Element, tag: str, parent: _Ctx, depth: int) -> None:
        # All attributes in one lxml call: a dict lookup per name is far cheaper than el.get.
        items = el.items()
        attrs = dict(items) if items else _NO_ATTRS
        if depth > MAX_DEPTH or len(self.blocks) >= MAX_BLOCKS or (attrs and hidden_by(attrs)):
            return
        children = el[:]  # read once: context, heading and teaser checks and the walk below all need them
        tags = [child.tag for child in children]
        ctx = self.context(el, tag, attrs, (children, tags), parent)
        block = tag in BLOCK_TAGS or "-" in tag
        if block and ctx.zone is not None and parent.zone is None:
            # Comments, teaser lists, navigation: nothing in them speaks for the page, so their
            # (often long) text is not even collected. Inline zones (<q>) stay part of their block.
            self.flush()
            return
        if block:
            self.flush()
            prose = tag == "p" and parent.p_run and ctx.hint is None and not ctx.chrome
            self.owners.append((el, ctx, prose))
        if attrs:
            self.attrs(el, attrs, ctx)
        text = el.text
        if text:
            self.add(text, ctx)
        for child, ctag in zip(children, tags, strict=True):
            if isinstance(ctag, str):
                low = ctag.lower()
                if low == "br":
                    self.br()
                elif low not in SKIP_TAGS:
                    self.walk(child, low, ctx, depth + 1)
            tail = child.tail
            if tail:
                self.add(tail, ctx)
        if block:
            self.flush()
            self.owners.pop()


def _class_zone(el: etree._Element, attrs: dict[str, str], named: str | None) -> str | None:
    """The zone the element's class names, checked against what it holds."""
    if named == "navigation" and not _mostly_links(el):
        return None  # a theme's "top-menu" wrapper that holds a status line is no menu
    if named is None and _embedded_post(attrs):
        return "embed"  # someone else's post embedded in the page (a Telegram or X widget)
    if named is None and _forwarded(el):
        return "embed"  # a post forwarded from another channel ("Forwarded from …"): its author's words
    return named


def _forwarded(el: etree._Element) -> bool:
    """A message bubble that opens with a "forwarded from" line (t.me/s: ``tgme_widget_message_forwarded_from``)."""
    for child in el[:3]:
        cls = child.get("class") if isinstance(child.tag, str) else None
        if cls and ("forwarded_from" in cls or "forwarded-from" in cls):
            return True
    return False


def _mostly_links(el: etree._Element) -> bool:
    """Whether at least half of the element's text (scripts and styles aside) is link or button text,
    judged on its first :data:`_LINK_SAMPLE` nodes: nested wrappers that each hold mostly text would
    otherwise be read once per level."""
    total = linked = 0
    inside: set[etree._Element] = set()  # the links and buttons met so far, to attribute their text
    for count, node in enumerate(el.iter()):
        if count >= _LINK_SAMPLE:
            break
        tag = node.tag if isinstance(node.tag, str) else ""
        parent = node.getparent()
        in_link = tag in ("a", "button") or (parent is not None and parent in inside)
        if in_link:
            inside.add(node)
        if node.text and tag not in ("script", "style"):
            total += (n := len(node.text.strip()))
            linked += n if in_link else 0
        if node.tail and node is not el:
            total += (n := len(node.tail.strip()))
            linked += n if parent is not None and parent in inside else 0
    return total == 0 or linked * 2 >= total


_LINK_SAMPLE = 400


_EMBED_ATTRS = ("data-telegram-post", "data-instgrm-permalink", "data-tweet-id")


def _embedded_post(attrs: dict[str, str]) -> bool:
    """An embed of someone else's post (Telegram, Instagram or X widget markup): that post's label or
    appeal is its author's, not the page's. A t.me/s channel page marks its posts ``data-post``."""
    if any(a in attrs for a in _EMBED_ATTRS):
        return True
    cls = (attrs.get("class") or "").lower().split()
    return any(c in ("telegram-post", "twitter-tweet", "instagram-media") for c in cls)


_SAMPLE = re.compile(
    r"\b(?:model|sample|example|template|specimen|образец|пример|шаблон|зразок|приклад|muster|beispiel|"
    r"exemple|modèle|ejemplo|modelo)",
    re.IGNORECASE,
)


def _prefaced(last: Block, el: etree._Element) -> bool:
    """The element's text before a double ``<br>`` ends in a preface and a colon («Теперь у каждого его
    поста сверху простыня капсом. Выглядит так:»): what follows in the same element is being shown."""
    if last.element is not el or not last.text.endswith((":", "：")):
        return False
    sentence = re.split(r"[.!?]\s", last.text[:-1])[-1].strip()
    return len(sentence.split()) >= 3 or _PRESENTING.search(sentence) is not None


# "выглядит так:", "as follows:": the words that present what comes next; a bare "Внимание:" does not
_PRESENTING = re.compile(r"(?:\bтак|\bследующ\w*|\bfollows|\blike this|\bось так|\bнаступн\w*)$", re.I)


def _sample_heading(block: Block) -> bool:
    """A heading that announces a sample ("Model conspicuous statement", "Образец плашки"): the text
    under it is shown, as after "the label reads:"."""
    el = block.element
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    return tag in ("h1", "h2", "h3", "h4", "h5", "h6") and len(block.text) <= 80 and bool(_SAMPLE.search(block.text))


_ITEM_TAGS = frozenset({"li", "td"})
QUOTE_RUN = 6  # paragraphs a quotation left open may span before the opening mark is taken for a stray one


def _quote_run(text: str, open_before: int) -> int:
    """Paragraphs still to be read as quoted after this one: a court decision converted line by line
    (pdftohtml) or a long quotation opens «НАСТОЯЩИЙ МАТЕРИАЛ in one paragraph and closes it » several
    lines later; what lies between is the quotation's text. Russian typography opens every paragraph of
    a long quotation with « and closes only the last, so an opening mark never lowers the count."""
    opens, closes = text.count("«"), text.count("»")
    if open_before:
        return 0 if closes > opens else open_before - 1
    return QUOTE_RUN if opens > closes else 0


def _listed(el: etree._Element, tag: str) -> bool:
    """A list item, or a table cell in one of several rows: a headline-led cell of a hand-made
    table of feeds (an aggregator's rows) is a teaser as a list item is; a one-row layout table is not."""
    if tag == "li":
        return True
    row = el.getparent()
    table = row.getparent() if row is not None else None
    return table is not None and sum(1 for r in table if r.tag == "tr") >= 3


def _sentence_runs_through(before: Block | None, block: Block, after: Block) -> bool:
    """Whether ``block`` stands inside one sentence of article prose: the paragraph before it stops
    without its full stop and the one after goes on in lower case ("…должно было начинаться с текста" /
    the label / "и этот текст должен быть набран…"). A label set that way is the sentence's object."""
    if before is None or not (before.prose and after.prose) or block.quoted:
        return False
    return before.text[-1].isalpha() and after.text[0].islower()


def _data_table(children: list[etree._Element], tags: list[object]) -> bool:
    """A table of data (a header row of two or more ``<th>`` cells): its cells display content, such as
    the label texts a legal explainer compares, and are never the page's own banner."""
    for child, tag in zip(children, tags, strict=True):
        if tag in ("thead", "tbody"):
            row = next((r for r in child if r.tag == "tr"), None)
        elif tag == "tr":
            row = child
        else:
            continue
        return row is not None and sum(1 for cell in row if cell.tag == "th") >= 2
    return False


def _text_paragraphs(children: list[etree._Element], tags: list[object]) -> int:
    """How many of the <p> children say something beyond links (counted up to 2): a gate box's message
    paragraph over a paragraph of buttons («Оформить подписку · Я уже подписчик») is no run of prose."""
    count = 0
    for child, tag in zip(children, tags, strict=True):
        if tag == "p" and not _links_only(child):
            count += 1
            if count == 2:
                break
    return count


_SEPARATORS = " \t\n\r\xa0·|•/-–—"
_LINK_ROLES = frozenset({"button", "link"})


def _links_only(p: etree._Element) -> bool:
    """A paragraph whose text is all in links (buttons, a login link) and separators between them."""
    if (p.text or "").strip(_SEPARATORS):
        return False
    for child in p:
        if not isinstance(child.tag, str) or (child.tail or "").strip(_SEPARATORS):
            return False
        if child.tag in ("a", "br", "button") or (child.get("role") or "").lower() in _LINK_ROLES:
            continue
        if "".join(child.itertext()).strip(_SEPARATORS):
            return False
    return len(p) > 0


def extract_blocks(root: etree._Element) -> list[Block]:
    """All text blocks of the page in document order (hidden subtrees and ``<head>`` skipped)."""
    walker = _Walker()
    body = root.find("body")
    top = body if body is not None else root
    tag = top.tag.lower() if isinstance(top.tag, str) else ""
    walker.walk(top, tag, _Ctx(None, None, False, False), 0)
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
