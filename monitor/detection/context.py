"""How a page element is classified: excluded zones, banner-like hints, hidden-ness.

Decided from the element itself - tag, ``role``, class and id words, and for containers the text
of their own heading - so the walker in :mod:`monitor.detection.blocks` can inherit it downwards.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from lxml import etree

from monitor.detection.normalize import collapse_ws, normalize

_ZONE_TAGS = {"blockquote": "quotation", "q": "quotation", "nav": "navigation", "cite": "quotation"}
_ZONE_ROLES = {"navigation": "navigation", "search": "search", "menu": "navigation", "menubar": "navigation"}
_ZONE_WORDS = {
    "comment": "comments", "comments": "comments", "comm": "comments", "reply": "comments", "discussion": "comments",
    "replies": "comments", "disqus": "comments", "related": "related", "teaser": "related",
    "teasers": "related", "recommend": "related", "recommended": "related", "recommendations": "related",
    "recirculation": "related", "outbrain": "related", "taboola": "related", "sponsored": "related",
    "sponsor": "related", "partner": "related", "partners": "related", "readmore": "related",
    "reflist": "related",  # a wiki's list of cited sources: their titles
    # a forum thread (phpBB's forumline/postbody, vBulletin's postbit): every post is a reader's
    "forum": "comments", "forums": "comments", "forumline": "comments", "postbody": "comments",
    "postbit": "comments", "bbpress": "comments", "phpbb": "comments",
    # a sample of a label in an explainer, a mock-up: shown, not printed for the page
    "example": "illustration", "examples": "illustration", "sample": "illustration",
    "specimen": "illustration", "mockup": "illustration",
    "nav": "navigation", "navbar": "navigation", "menu": "navigation", "breadcrumb": "navigation",
    "breadcrumbs": "navigation", "search": "search", "serp": "search", "snippet": "search",
    "newsletter": "newsletter", "signup": "newsletter", "quote": "quotation", "pullquote": "quotation",
    "cookie": "consent", "cookies": "consent", "consent": "consent", "gdpr": "consent", "cmp": "consent",
}  # fmt: skip
_HINT_PREFIXES = (
    "banner", "notice", "disclaim", "plashka", "inoagent", "foreignagent", "warning", "donat",
    "paywall", "premium", "subscri", "regwall", "appeal", "contribut", "spende", "tamogat", "mecenat",
    "disclosure", "fundrais", "kulfoldi", "undesirable", "extremist", "infobox", "callout",
    "locked", "gated", "restricted", "metered", "abonn", "apoy", "apoio", "destek", "wspier", "wsparc",
    "sosteg", "soutien", "soutenir", "podderzh", "pidtrym", "patreon", "boosty", "crowdfund", "bezahl", "purchase",
)  # fmt: skip
_HINT_WORDS = frozenset(
    "fa agent alert status label note notes gate pw cta help epic meter paid state membership "
    "members member friends donate give spenden support supporter supporters supportus lock abo apel "
    "upgrade offer".split()
)
_HIDDEN_CLASSES = frozenset({"hidden", "d-none", "is-hidden", "hide", "invisible"})
# A container titled like this holds other content's teasers, or readers' comments.
_ZONE_HEADINGS = (
    ("related", re.compile(
        r"(?:read (?:more|also|next|this next)|what to read next|from (?:the|our) network|(?:from )?around the web|"
        r"see also|don't miss|you (?:may|might) have missed|"
        r"related(?: \w+)?|more (?:from|on|stories|news)\b.*|recommended(?: for you)?|"
        r"you (?:may|might) also like|most (?:read|popular)|popular|sponsored(?: content)?|partner content|"
        r"(?:from|by) our partners|promoted|also read|читайте (?:также|еще|ещё)|(?:также |еще )?по теме|"
        r"популярное|рекомендуем(?: (?:прочитать|почитать|посмотреть))?|(?:вам )?(?:может быть|будет) интересно|"
        r"самое (?:читаемое|популярное|обсуждаемое)(?: \w+){0,3}|самые (?:читаемые|популярные)(?: \w+){0,3}|"
        r"most viewed|"
        # a social platform's recommended accounts: each card carries its own account's label
        r"who to follow|relevant people|suggested (?:for you|accounts|channels|profiles)|similar (?:channels|accounts)|"
        r"кого (?:читать|почитать)|рекомендуемые (?:каналы|аккаунты)|похожие (?:каналы|аккаунты)|"
        r"смотрите также|не пропустите|что (?:еще |ещё )?почитать|(?:от|от наших) партнеров|партнерские материалы|"
        r"новости партнеров|"
        r"читайте також|також читайте|від (?:наших )?партнерів|популярне|lesen sie auch|mehr zum thema|"
        r"auch interessant|(?:à )?lire aussi|sur le même sujet|leer más|te puede interesar|leggi anche|"
        r"czytaj (?:także|też)|ayrıca (?:okuyun|bakınız)|"
        r"(?:other|more|latest|top|trending) (?:news|stories|articles|headlines)(?: \w+){0,3}|in other news|"
        r"elsewhere(?: on| in)?(?: \w+){0,3}|"
        r"(?:другие|еще|ещё|последние|главные) (?:новости|материалы|статьи|публикации)(?: \w+){0,3}|"
        r"(?:інші|останні) (?:новини|матеріали)(?: \w+){0,3}|"
        r"weitere (?:artikel|nachrichten|beiträge)(?: \w+){0,3}|autres articles|plus d'articles|más noticias|"
        r"altre notizie|trending|in case you missed it|editors'? picks?|выбор редакции)\W*"
    )),
    ("comments", re.compile(
        r"(?:\d+ )?(?:comments?|reader comments|responses|discussion|join the (?:discussion|conversation)|conversation|"
        r"комментари\w*|обсуждени\w*|мнения читателей|отзывы|коментар\w*|обговорення|каментары\w*|"
        r"kommentare|diskussion|commentaires|réactions|comentarios|commenti|komentarze|yorumlar)(?: \(?\d+\)?)?\W*"
    )),
    ("search", re.compile(
        r"(?:search results|результаты поиска|результати пошуку|suchergebnisse|résultats de recherche|"
        r"resultados de búsqueda|\d+ (?:results?|matches) for\b.*|(?:найден\w*|знайдено) \d+\b.*|"
        r"(?:search|поиск|пошук)\b.*[:\"«“„].*)\W*"
    )),
)  # fmt: skip
_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "caption", "legend", "header"})
_SUBHEADINGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
_HEADING_WORDS = frozenset({"header", "title", "heading", "head", "caption", "hd"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_TOKEN_SPLIT = re.compile(r"[\s_\-]+|(?<=[a-z])(?=[A-Z])")
_TAXONOMY = ("category-", "tag-", "cat-", "format-", "type-", "status-", "postid-", "page-template")
CHROME_ROLES = frozenset({"banner", "contentinfo", "complementary"})
BOUNDARY_TAGS = frozenset({"article", "main", "body", "html"})
_ATTRS = ("alt", "aria-label", "title")


def tokens_of(cls: str | None, ident: str | None) -> tuple[str, ...]:
    """Lower-case words of an element's ``class`` and ``id`` values (split on spaces, ``-``, ``_`` and
    camelCase). CMS taxonomy classes (WordPress ``category-newsletter``, ``tag-donations``) describe the
    post, not the element, and are left out."""
    if not cls and not ident:
        return ()
    return _tokens(cls or "", ident or "")


@lru_cache(maxsize=4096)
def _tokens(cls: str, ident: str) -> tuple[str, ...]:
    """Tokens of one class/id pair; pages repeat the same few hundred pairs thousands of times."""
    names = cls.split()
    raw = " ".join(n for n in names if not n.lower().startswith(_TAXONOMY)) + " " + ident
    return tuple(t.lower() for t in _TOKEN_SPLIT.split(raw) if t)


@lru_cache(maxsize=4096)
def _hint_tokens(tokens: tuple[str, ...]) -> bool:
    return any(t in _HINT_WORDS or t.startswith(_HINT_PREFIXES) for t in tokens)


@lru_cache(maxsize=4096)
def _token_zone(tokens: tuple[str, ...]) -> str | None:
    for token in tokens:
        zone = _ZONE_WORDS.get(token)
        if zone:
            if token in _SPONSOR_WORDS and any(t.startswith(_DISCLOSED) for t in tokens):
                continue  # "partner-disclosure": the page's own sponsor statement (FARA's), not a sponsored rail
            if zone == "search" and _RESULTS.isdisjoint(tokens):
                continue  # a search box ("header-search", a CMS's module slot) holds no results
            return zone
    return None


_SPONSOR_WORDS = frozenset({"sponsored", "sponsor", "partner", "partners"})
_RESULTS = frozenset({"results", "result", "hits", "found", "listing", "snippet", "snippets", "serp"})
_DISCLOSED = ("disclos", "disclaim")


def is_hidden(el: etree._Element) -> bool:
    """Whether the element itself is hidden from a first-time visitor."""
    return hidden_by(el.attrib)


def hidden_by(attrs: Mapping[str, str]) -> bool:
    """:func:`is_hidden` from the element's attributes (one lxml call for all of them, not one per name)."""
    if attrs.get("hidden") is not None or (attrs.get("aria-hidden") or "").strip().lower() == "true":
        return True
    style = attrs.get("style")
    if style and _HIDDEN_STYLE.search(style):
        return True
    cls = attrs.get("class")
    return bool(cls) and _hidden_class(cls)


@lru_cache(maxsize=4096)
def _hidden_class(cls: str) -> bool:
    return not _HIDDEN_CLASSES.isdisjoint(cls.lower().split())


def zone_of(el: etree._Element, tag: str) -> str | None:
    token_zone = _token_zone(_zone_tokens(el.get("class") or "", el.get("id") or ""))
    return zone_by(tag, (el.get("role") or "").lower(), token_zone, [c.tag for c in el])


def class_facts(cls: str | None, ident: str | None) -> tuple[bool, str | None]:
    """What an element's class and id say: whether they name a banner-like thing, and the zone they name."""
    if not cls and not ident:
        return False, None
    return _class_facts(cls or "", ident or "")


@lru_cache(maxsize=4096)
def _class_facts(cls: str, ident: str) -> tuple[bool, str | None]:
    return _hint_tokens(_tokens(cls, ident)) or _hint_joined(cls, ident), _token_zone(_zone_tokens(cls, ident))


def _hint_joined(cls: str, ident: str) -> bool:
    """A hint spelled across a separator: ``reg-wall``, ``pay_wall``, ``foreign-agent-note``, and an
    information panel anywhere in a compound (YouTube's ``ytd-info-panel-content-renderer``)."""
    names = [n.replace("-", "").replace("_", "") for n in f"{cls} {ident}".lower().split() if "-" in n or "_" in n]
    return any(n.startswith(_HINT_PREFIXES) or "infopanel" in n for n in names)


@lru_cache(maxsize=4096)
def _zone_tokens(cls: str, ident: str) -> tuple[str, ...]:
    """The tokens that may name a zone: those of class names (and the id) that do not describe a state
    of the element. VK marks a post whose comments are off ``closed_comments``; "no-comments",
    "has-related" or "comments-disabled" say what an element lacks or carries, not that it is one."""
    tokens: list[str] = []
    for name in [n for n in cls.split() if not n.lower().startswith(_TAXONOMY)] + ident.split():
        parts = [t.lower() for t in _TOKEN_SPLIT.split(name) if t]
        if _STATE_WORDS.isdisjoint(parts):
            tokens += parts
    return tuple(tokens)


_STATE_WORDS = frozenset("closed open no has with without allow allowed disable disabled enable enabled off".split())


def zone_by(tag: str, role: str, token_zone: str | None, child_tags: list[object]) -> str | None:
    """:func:`zone_of` from what a walker already read: lower-case ``role``, the class/id zone, child tags."""
    if tag in _ZONE_TAGS:
        return _ZONE_TAGS[tag]
    if tag == "figure" and any(isinstance(t, str) and t.lower() == "figcaption" for t in child_tags):
        return "illustration"  # a captioned picture shows something (a screenshot of a label), it is no label
    if "comment" in tag:  # custom elements such as <ytd-comments>
        return "comments"
    if role in _ZONE_ROLES:
        return _ZONE_ROLES[role]
    return token_zone


def teaser_item(el: etree._Element) -> bool:
    """A list item or nested ``<article>`` headed by a link: another piece's teaser (headline and excerpt)."""
    children = el[:]
    return teaser_of(children, [c.tag for c in children])


def teaser_of(children: list[etree._Element], tags: list[object]) -> bool:
    """:func:`teaser_item` from the element's children and their tags."""
    for child, tag in zip(children, tags, strict=True):
        if isinstance(tag, str) and tag.lower() in _SUBHEADINGS:
            return any(a.get("href") for a in child.iter("a"))
    # An item whose first child is a headline link and which goes on with an excerpt
    # (WordPress widgets: <li><a class="…__title">Headline</a><p class="…__excerpt">…</p></li>)
    elems = [(c, t.lower()) for c, t in zip(children, tags, strict=True) if isinstance(t, str)]
    if len(elems) >= 2 and elems[0][1] == "a" and elems[0][0].get("href"):
        head = "".join(elems[0][0].itertext()).split()
        rest = "".join("".join(c.itertext()) for c, _ in elems[1:]).strip()
        return len(head) >= 3 and len(rest) >= 20
    return False


def heading_zone(el: etree._Element) -> str | None:
    """A zone named by the container's own heading ("Читайте также", "Comments", "From our partners")."""
    children = el[:]
    return heading_zone_of(children, [c.tag for c in children])


def heading_zone_of(children: list[etree._Element], tags: list[object]) -> str | None:
    """:func:`heading_zone` from the element's children and their tags."""
    if len(children) < 2:
        return None
    for i, tag in enumerate(tags):  # the first element child (a plain loop: no generator per container)
        if isinstance(tag, str):
            head = children[i]
            break
    else:
        return None
    if tag.lower() not in _HEADING_TAGS:
        cls = head.get("class")
        if cls is None or _HEADING_WORDS.isdisjoint(tokens_of(cls, head.get("id"))):
            return None
    text = normalize(collapse_ws("".join(head.itertext()))[:80])
    for zone, pattern in _ZONE_HEADINGS:
        if pattern.fullmatch(text):
            return zone
    return None


HINT_ROLES = frozenset({"banner", "note", "alert", "status", "dialog", "alertdialog"})
