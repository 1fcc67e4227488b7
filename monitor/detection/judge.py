"""How one rule judges one block: where the match stands, what text the finding reports, its score.

A match becomes a :class:`~monitor.models.Finding` only when it speaks for the page (see the
module docstring of :mod:`monitor.detect` for the policy); this module holds that policy so the
engine in :mod:`monitor.detect` only finds candidate blocks and collects the verdicts.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

from lxml import etree

from monitor.detection.blocks import Block, element_text, location
from monitor.detection.normalize import normalize, quoted_at
from monitor.detection.prefilter import could_match
from monitor.models import Finding
from monitor.rules import Rule

CONTAINER_CHARS = 1500  # a banner element longer than this is a layout wrapper, not a banner
JOIN_CHARS = 25  # how far a statutory match must run into the next block for the two to be one label
_NAME = re.compile(r"\{name\d?\}")


def make_finding(category: str, text: str, rule: Rule, where: str, matched: str = "", score: float = 1.0) -> Finding:
    return Finding(category, text, rule.lang, rule.id, where, matched or text[:200], score)


def _spans(rule: Rule, norm: str) -> tuple[list[tuple[int, int]], dict[str, str]]:
    spans: list[tuple[int, int]] = []
    names: dict[str, str] = {}
    for pattern in rule.compiled:
        if not could_match(pattern, norm):
            continue
        for m in pattern.finditer(norm):
            if m.end() > m.start() and not quoted_at(norm, m.start()):
                spans.append(m.span())
                names.update({k: v for k, v in m.groupdict().items() if v and k not in names})
    return spans, names


def _introduced(norm: str, start: int) -> bool:
    """A statutory text shown after "the label reads:" / "Плашка выглядит так:" / "ОБРАЗЕЦ:" (a preface and a colon)."""
    before = norm[max(0, start - 120) : start].rstrip()
    if not before.endswith(":"):
        return False
    sentence = re.split(r"[.!?]\s", before[:-1])[-1]
    return len(sentence.split()) >= 3 or _SAMPLE.search(sentence) is not None


_SAMPLE = re.compile(r"\b(?:образ[еция]\w*|пример\w*|шаблон\w*|sample|example|e\.g\.|template|wording|minta|przykład)")
_CAPS_RUN = re.compile(r"(?:[A-ZА-ЯЁІЇЄҐ0-9«»\"'()+,.:;/\-–—]+\s+){6}")


def _sentence_start(norm: str, start: int) -> bool:
    """Whether ``start`` opens a sentence ("…now show that they are funded…" does not)."""
    before = norm[:start].rstrip()
    return not before or before.endswith((".", "!", "?", "»", '"', ")"))


def _placed(rule: Rule, block: Block, start: int, end: int, norm: str) -> bool:
    """Whether a match at [start, end) of a block (normalised text ``norm``) stands as the rule requires."""
    coverage = (end - start) / len(norm)
    if rule.prose == "deny":
        return not block.prose
    if rule.prose == "standalone":
        if block.prose:
            # A statutory label may be a sentence of the lead set in bold of its own: printed, not cited.
            return coverage >= 0.8 or (
                bool(rule.statutory) and _sentence_start(norm, start) and _emphasised(block.element, norm[start:end])
            )
        # In a banner-like element (a meter bar, a gate box) the match is the banner's wherever it stands;
        # elsewhere it opens the block, fills it, or fills most of it starting a sentence of its own.
        if start <= 12 or block.hint is not None or coverage >= 0.8:
            return True
        # A statutory label printed in capitals as a sentence of its own (a post's last line) is shown, not cited.
        caps = bool(rule.statutory) and _CAPS_RUN.search(block.text) is not None
        return (coverage >= 0.5 or caps) and _sentence_start(norm, start)
    return True


def judge(
    rule: Rule, block: Block, norm: str, own: Sequence[re.Pattern[str]] = (), *, template: bool = False
) -> Finding | None:
    """The finding ``rule`` makes of ``block`` (``norm`` is its normalised text), or None.

    ``own`` matches the outlet's own name (:func:`~monitor.detection.selfname.site_names`): for a
    rule that needs the outlet to speak of itself (``require`` … ``or_banner``), a block naming the
    outlet is that, even in the prose of its About page. ``template``: the block repeats on other
    pages of the outlet (its site template), which answers the placement and banner-like tests only:
    a paragraph every article opens with is the outlet's, not the article's.
    """
    if block.zone is not None or block.quoted or len(norm) > rule.max_chars:
        return None
    if block.link_only and not rule.links and (block.hint is None or _menu_button(block)):
        return None  # a menu item ("Donate"), or a teaser card's headline and excerpt linking elsewhere
    if block.prose and _SPEAKER.match(block.text):
        return None  # an interview's turn ("A: The ministry designated us…", "— Нас признали…"): someone else speaks
    if _excerpt(block.text) or block.text.startswith(_FOOTNOTE):
        return None  # a snippet of other content; a footnote mention mark («*признан иноагентом»)
    if any(could_match(x, norm) and x.search(norm) for x in rule.compiled_exclude):
        return None
    spans, names = _spans(rule, norm)
    if not spans:
        return None
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    if end - start < rule.min_span or (rule.statutory and _introduced(norm, start)):
        return None
    if block.prose and _REPORTED.match(norm, end):
        return None  # "Unterstützen Sie uns, schreibt ein Verlag": reported speech, not the page's own ask
    # The outlet names itself in the matched sentence ("declared The Tundra Times undesirable").
    named = rule.require_or_banner and any(p.search(norm, max(0, start - 60), end) for p in own)
    matched = norm[start:end]
    placed = template or _placed(rule, block, start, end, norm) or (named and rule.prose == "deny")
    inline = "" if placed else _inline_banner(rule, block)
    if not (placed or inline):
        return None
    matched = inline or matched
    if (rule.compiled_require or rule.require_or_banner) and (rule.require_scope == "all" or block.prose):
        banner = rule.require_or_banner and (named or template or inline or _banner_like(block))
        if not (banner or any(_required(r, norm, block.prose) for r in rule.compiled_require)):
            return None
    where = location(block.element) + ("" if block.source == "text" else f"[{block.source}]")
    # A label in its own banner-like inline element is reported as that element's text, without the
    # dates and counters of the profile line around it.
    text = element_text(block.inline_hint, limit=CONTAINER_CHARS) if inline else _banner_text(rule, block)
    return make_finding(rule.category, text, rule, where, matched, _score(rule, matched, names))


def _inline_banner(rule: Rule, block: Block) -> str:
    """What the rule matches in a banner-like inline element of a non-prose block on its own (a profile
    line's ``<a class="state-label">Russia state-controlled media</a>`` between the name and a Follow
    button), or ""."""
    el = block.inline_hint
    if el is None or block.prose:
        return ""
    norm = normalize(element_text(el, limit=CONTAINER_CHARS))
    spans = _spans(rule, norm)[0]
    return norm[min(s for s, _ in spans) : max(e for _, e in spans)] if spans else ""


def _emphasised(el: etree._Element, matched: str) -> bool:
    """``matched`` is (nearly) the whole text of a ``<b>``/``<strong>`` inside ``el``."""
    for bold in el.iter("b", "strong"):
        text = normalize(element_text(bold, limit=CONTAINER_CHARS))
        if matched in text and len(text) <= 1.25 * len(matched) + 20:
            return True
    return False


_ELLIPSIS = ("…", "...", "[…]", "(…)")
_FOOTNOTE = ("*", "†", "‡", "¹", "²", "³")
_REPORTED = re.compile(
    r"\W{0,3}[,-] ?(?:-\s*)?(?:(?:he|she|they|it|the \w+) )?(?:writes|wrote|says|said|adds|added|reads|"
    r"пишет|писал\w*|говорит|сказал\w*|сообщает|сообщил\w*|заявил\w*|отмечает|призвал\w*|"
    r"schreibt|schrieb|sagt|sagte|heißt es|écrit|dit|a déclaré|escribe|dice|dijo|scrive|dice|pisze|napisał\w*|"
    r"mówi|yazdı|diyor|пише|написав|каже|заявив)\b"
)
_SPEAKER = re.compile(r"(?:[QAВОPR]|вопрос|ответ|question|answer|pregunta|respuesta)\s*:|[—–](?:\s|(?=\w))", re.I)


def _excerpt(text: str) -> bool:
    """A snippet cut out of other content (a search result, a teaser): it opens or trails off with an ellipsis."""
    return len(text) > 80 and (text.startswith(_ELLIPSIS) or text.endswith(_ELLIPSIS))


def _required(pattern: re.Pattern[str], norm: str, prose: bool) -> bool:
    """Whether a ``require`` pattern holds in ``norm``; in article prose only outside quotations: the "we"
    of someone quoted in a news paragraph («Мы будем обжаловать», — сказал он) is not the page speaking."""
    if not could_match(pattern, norm):
        return False
    if not prose:
        return pattern.search(norm) is not None
    return any(not quoted_at(norm, m.start()) for m in pattern.finditer(norm))


def _menu_button(block: Block) -> bool:
    """A styled link of two or three words in the site template («Support us» in the header, class
    `Header_support`): the class names the button, not a banner; the appeal is on the page it opens."""
    return block.chrome and len(block.text.split()) <= 3


def _banner_like(block: Block) -> bool:
    """In a banner-like element, or in the site template (footer, aside) but not a teaser link there."""
    return block.hint is not None or (block.chrome and not block.link_only)


def _banner_text(rule: Rule, block: Block) -> str:
    """The block's text, or the whole banner element around it when the rule expands to containers."""
    if rule.expand != "container" or block.source != "text":
        return block.text
    box = block.hint if block.hint is not None else _titled_box(block)
    if box is block.element and _tag(box) in _HEADINGS:
        # The heading's own class names the component (`SupportBlock_title`, `donate-box__title`): the box
        # it heads is the banner, not the heading alone.
        titled = _titled_box(block)
        box = titled if titled is not None else box
    if box is None:
        return block.text
    text = element_text(box, limit=CONTAINER_CHARS + 1)
    return text if len(text) <= CONTAINER_CHARS and block.text in text else block.text


_HEADINGS = frozenset({"h2", "h3", "h4", "h5", "h6", "strong", "b"})


def _tag(el: etree._Element) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def _titled_box(block: Block) -> etree._Element | None:
    """A short heading's box («Поддержите нас» over the appeal's text and button), when it is small.

    An unnamed box (a Gutenberg group, a Tilda record) gives no class hint, but a title that
    matched alone says little: the box it heads is the appeal. Never the article or the page.
    """
    el = block.element
    if _tag(el) not in _HEADINGS and len(block.text.split()) > 8:
        return None
    parent = el.getparent()
    if parent is None or not isinstance(parent.tag, str) or parent.tag.lower() in ("article", "main", "body", "html"):
        return None
    return parent if len(parent) <= 6 and len(element_text(parent, limit=700)) <= 600 else None


def _score(rule: Rule, matched: str, names: dict[str, str]) -> float:
    """Similarity (0..1) of the printed text to the statutory one, name slots filled from the match."""
    if not rule.statutory:
        return 1.0
    reference = _NAME.sub(lambda m: names.get(m.group(0)[1:-1], ""), rule.statutory)
    return _similarity(normalize(reference), matched)


@lru_cache(maxsize=1024)
def _similarity(reference: str, printed: str) -> float:
    """Cached: an outlet prints the same label on every page, and each comparison is ~1 ms."""
    return round(difflib.SequenceMatcher(None, reference, printed, autojunk=False).ratio(), 3)


def _adjacent(a: Block, b: Block) -> bool:
    """Two text blocks of one box: the same element (split by a double ``<br>``) or sibling elements."""
    if a.source != "text" or b.source != "text" or a.zone is not None or b.zone is not None:
        return False
    return a.element is b.element or a.element.getparent() is b.element.getparent()


def judge_run(
    rule: Rule,
    blocks: Sequence[Block],
    norms: Sequence[str],
    i: int,
    own: Sequence[re.Pattern[str]] = (),
    *,
    template: bool = False,
) -> tuple[Finding | None, int]:
    """The finding for block ``i``, joining up to two following sibling blocks when a statutory text runs on.

    A label set as two or three paragraphs («…АГЕНТОМ X» / «ЛИБО КАСАЕТСЯ…») is one label: its
    finding must carry the whole text. Blocks are joined only while a match crosses the joint, so a
    Telegram post's own text after its label never joins it. Returns the finding and the last block
    index it covers. ``template``: block ``i`` is in the outlet's site template (see :func:`judge`).
    """
    best, last = judge(rule, blocks[i], norms[i], own, template=template), i
    if not rule.statutory:
        return best, last
    block, norm = blocks[i], norms[i]
    for k in (i + 1, i + 2):
        if k >= len(blocks) or not norms[k] or not _adjacent(blocks[k - 1], blocks[k]):
            break
        b = blocks[k]
        block = replace(
            block, text=f"{block.text} {b.text}", prose=block.prose and b.prose,
            hint=block.hint if block.hint is not None else b.hint,
            link_only=block.link_only and b.link_only,
        )  # fmt: skip
        joint = len(norm) + 1
        norm = f"{norm} {norms[k]}"
        joined = judge(rule, block, norm, own, template=template)
        at = norm.find(joined.matched) if joined is not None else -1
        # The match must run well into the new block (a clause of the statute, not a name slot's overreach).
        if joined is None or at == -1 or at >= joint or at + len(joined.matched) - joint < JOIN_CHARS:
            break
        best, last = joined, k
    return best, last
