"""The page's own name, so a notice naming the outlet itself reads as the outlet speaking about itself.

"In 2024 the Prosecutor General declared The Tundra Times an undesirable organization" is the
outlet's own status notice on tundratimes' About page, and a news report on any other site. The
site's name is taken from ``og:site_name`` and from the ``<title>`` segments that the page's own
chrome (header, footer, logo) repeats; it is matched by word stems, so Russian declension
(«Вольная Кама» → «Вольную Каму») still matches.
"""

from __future__ import annotations

import re

from lxml import etree

from monitor.detection.normalize import normalize

_SEPARATORS = re.compile(r"\s+[|—–\-·:/]\s+|\s*[|·]\s*")
_CHROME = etree.XPath(
    "//header[not(ancestor::article)] | //footer[not(ancestor::article)]"
    " | //*[contains(@class, 'logo') or contains(@class, 'brand') or contains(@class, 'site-title')]"
)
_GENERIC = frozenset("home news about главная новости главное telegram youtube".split())
_ARTICLES = frozenset("the les der die das del los las".split())
MAX_NAMES = 4
MAX_WORDS = 5  # a longer title segment is the headline, not the site's name


def _stem_pattern(name: str) -> re.Pattern[str] | None:
    """Words of ``name`` as stems in sequence (declension-tolerant); None when too short to be telling."""
    words = [w for w in re.findall(r"\w+", name) if len(w) >= 3 and w not in _ARTICLES]
    if len(words) == 1 and len(words[0]) >= 4 and words[0] not in _GENERIC:
        # A one-word name counts only set in quotes («Сноску», "Meduza"'s «Медузу»): the
        # quotation marks make the common noun a title (normalised text writes every quote as ")
        w = words[0]
        return re.compile(r'"' + re.escape(w[: max(3, len(w) - 2)]) + r'\w*"')
    if len(words) < 2 or " ".join(words) in _GENERIC:
        return None  # one word ("Екатеринбург", "Окно") names too many things besides the outlet
    stems = [re.escape(w[: max(3, len(w) - 2)]) for w in words]
    return re.compile(r"\b" + r"\w*\W+(?:\w+\W+)?".join(stems) + r"\w*")


def site_names(root: etree._Element) -> tuple[re.Pattern[str], ...]:
    """Patterns for the outlet's own name on this page (empty when the page does not say it)."""
    try:
        candidates: list[str] = [m for m in root.xpath("//meta[@property='og:site_name']/@content") if m.strip()]
        title = root.find(".//title")
        segments = _SEPARATORS.split(title.text) if title is not None and title.text else []
        chrome = normalize(" ".join(" ".join(el.itertext()) for el in _CHROME(root)[:20]))
        candidates.extend(s for s in segments if 0 < len(s.split()) <= MAX_WORDS and normalize(s) in chrome)
    except (ValueError, etree.XPathError):
        return ()
    out = []
    for name in dict.fromkeys(normalize(c) for c in candidates[:MAX_NAMES]):
        pattern = _stem_pattern(name)
        if pattern is not None:
            out.append(pattern)
    return tuple(out)
