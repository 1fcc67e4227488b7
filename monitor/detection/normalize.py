"""Text normalisation that typography and evasion cannot defeat.

Rule patterns are written against normalised text: NFKC, lower case, one space for any run of
whitespace (NBSP and friends included), no zero-width characters or soft hyphens, every double
quote form as ``"``, every apostrophe form as ``'``, every dash form as ``-``, ``ё`` as ``е``, Belarusian
``ў`` as ``у`` (a word's initial у is written ў after a vowel: «унесла», «Беларусі ўнесла»), and
Latin/Cyrillic look-alike letters mixed inside one word folded to the word's majority script.
"""

from __future__ import annotations

import re
import unicodedata

_ZERO_WIDTH = "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u034f\u180e"
_DQUOTES = "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\u2036\u301d\u301e\u301f\uff02\u275d\u275e"
_SQUOTES = "\u2018\u2019\u201a\u201b\u2032\u2035\u00b4\u0060\u02bc\u02b9\u2039\u203a"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u2e3a\u2e3b"

_TABLE: dict[int, str | None] = {}
_TABLE.update(dict.fromkeys(map(ord, _ZERO_WIDTH), None))
_TABLE.update(dict.fromkeys(map(ord, _DQUOTES), '"'))
_TABLE.update(dict.fromkeys(map(ord, _SQUOTES), "'"))
_TABLE.update(dict.fromkeys(map(ord, _DASHES), "-"))
_TABLE.update({ord("ё"): "е", ord("Ё"): "Е", ord("ў"): "у", ord("Ў"): "У"})

# Lower-case look-alikes, both directions; applied only inside words that mix the two scripts.
_LAT = "aceopxykmthbi"
_CYR = "асеорхукмтнві"
_TO_CYR = str.maketrans(_LAT, _CYR)
_TO_LAT = str.maketrans(_CYR + "ѕјԁ", _LAT + "sjd")
_CYR_RANGE = "а-яіїєўґѕј"
_MIXED = re.compile(rf"[a-z][{_CYR_RANGE}]|[{_CYR_RANGE}][a-z]")
_WORD = re.compile(rf"[a-z{_CYR_RANGE}]+")
_CYR_LETTER = re.compile(rf"[{_CYR_RANGE}]")
_LAT_LETTER = re.compile("[a-z]")


def _fold_word(match: re.Match[str]) -> str:
    word = match.group(0)
    cyrillic = len(_CYR_LETTER.findall(word))
    if cyrillic == 0 or cyrillic == len(word):
        return word
    return word.translate(_TO_CYR) if cyrillic * 2 >= len(word) else word.translate(_TO_LAT)


def normalize(text: str) -> str:
    """Return ``text`` in the canonical form rule patterns and anchors are written in."""
    if text.isascii():  # no look-alikes, quotes or dashes to fold: the common case, kept cheap
        return " ".join(text.lower().split())
    text = unicodedata.normalize("NFKC", text)
    if _FOLDED.search(text):  # str.translate looks up every character; only the few folded ones need it
        text = _FOLDED.sub(_fold_chars, text)
    text = text.lower()
    # Scanning for a mixed pair tries two branches at every letter; a text lacking either script
    # (most are) is told by two cheap scans that stop at the first letter of each.
    if _CYR_LETTER.search(text) and _LAT_LETTER.search(text) and _MIXED.search(text):
        text = _WORD.sub(_fold_word, text)
    return " ".join(text.split())


def collapse_ws(text: str) -> str:
    """Whitespace runs (NBSP included) to one space; zero-width characters dropped; stripped."""
    if not text.isascii() and _ZERO_WIDTH_RUN.search(text):
        text = _ZERO_WIDTH_RUN.sub("", text)
    # str.split() splits on the same whitespace as ``\s`` (NBSP and the other spaces included).
    return " ".join(text.split())


# No entry for NBSP and the other spaces: str.split() above already treats them as whitespace.
_FOLDED_CHARS = frozenset(_ZERO_WIDTH + _DQUOTES + _SQUOTES + _DASHES + "ёЁўЎ")
_FOLDED = re.compile("[" + re.escape("".join(sorted(_FOLDED_CHARS))) + "]+")
_ZERO_WIDTH_RUN = re.compile("[" + re.escape(_ZERO_WIDTH) + "]+")


def _fold_chars(match: re.Match[str]) -> str:
    return match.group(0).translate(_TABLE)


def folded_away(pattern: str) -> list[str]:
    """The characters of a rule ``pattern`` that normalised text never holds (``ё``, ``ў``, typographic
    quotes and dashes, zero-width ones): a pattern spelling one of them literally can never match."""
    return sorted(set(pattern) & _FOLDED_CHARS)


def quoted_at(norm_text: str, pos: int) -> bool:
    """True when ``pos`` lies inside a quoted stretch of ``norm_text``: a label or appeal that is quoted
    is being discussed or reported, not displayed.

    Applied to normalised text, where every double-quote form is ``"`` (inside when an odd count lies
    before ``pos``) and every single one ``'``. Single quotes are also apostrophes ("don't", "readers'"),
    so a single-quoted stretch counts only from an opening quote (after a space or bracket, before a
    letter) to a closing one (after a letter or punctuation, before a space, punctuation or the end), and
    only when both exist around ``pos``: British-style speech, 'we need people to support us now', said
    the doctor.
    """
    if norm_text.count('"', 0, pos) % 2 == 1:
        return True
    return "'" in norm_text and _single_quoted_at(norm_text, pos)


_SQ_OPEN = re.compile(r"(?:^|(?<=[\s(\[-]))'(?=\w)")
_SQ_CLOSE = re.compile(r"(?<=[\w.,!?])'(?=[\s.,;:!?)\]-]|$)")


def _single_quoted_at(text: str, pos: int) -> bool:
    opening = None
    for match in _SQ_OPEN.finditer(text):  # not endpos=pos: the lookahead must see the letter at pos
        if match.start() >= pos:
            break
        opening = match.start()
    if opening is None:
        return False
    closing = _SQ_CLOSE.search(text, opening + 1)
    return closing is not None and closing.start() >= pos
