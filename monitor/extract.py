"""Bytes and headers in, decoded HTML and its meaningful text out.

``decode_html`` picks the charset in the order browsers and the WHATWG spec do (HTTP header, BOM,
``<meta>``), but checks each declaration against the bytes, because pages lie: a page that is
valid UTF-8 is UTF-8 whatever its meta says, and a windows-1251/KOI8-R mix-up is caught by the
case pattern of the Cyrillic it produces. ``content_fingerprint`` hashes what the detector reads,
minus the noise that changes on every fetch.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from dataclasses import dataclass

from lxml import etree

from monitor.amounts import fold_numbers
from monitor.detection.blocks import Block, extract_blocks

MAX_BYTES = 5 * 1024 * 1024
_CHARSET_PARAM = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.I)
_META = re.compile(rb"<meta[^>]{0,600}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:\-]+)", re.I | re.S)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# WHATWG label overrides: browsers decode these declarations as their supersets.
_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "iso-8859-1": "cp1252", "latin-1": "cp1252",
    "ascii": "cp1252", "us-ascii": "cp1252", "iso8859-1": "cp1252", "tis-620": "cp874", "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949", "shift_jis": "cp932", "x-sjis": "cp932", "win-1251": "cp1251", "x-cp1251": "cp1251",
}  # fmt: skip
_CYRILLIC_SWAP = {"cp1251": "koi8-r", "koi8-r": "cp1251", "koi8_r": "cp1251"}
_CYR_UPPER = re.compile("[А-ЯЁ]")
_CYR_LOWER = re.compile("[а-яё]")
_DIGITS = re.compile(r"\d+")


def _codec(label: bytes | str | None) -> str | None:
    """A Python codec name for a charset label, or None when unknown."""
    if not label:
        return None
    name = label.decode("ascii", "ignore") if isinstance(label, bytes) else label
    name = name.strip().lower()
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _declared(body: bytes, content_type: str | None) -> list[str]:
    found: list[str] = []
    if content_type:
        m = _CHARSET_PARAM.search(content_type.encode("latin-1", "ignore"))
        codec = _codec(m.group(1)) if m else None
        if codec:
            found.append(codec)
    m = _META.search(body[:4096])
    codec = _codec(m.group(1)) if m else None
    if codec and codec not in found:
        found.append(codec)
    return found


def _upper_share(text: str) -> float:
    upper = len(_CYR_UPPER.findall(text))
    lower = len(_CYR_LOWER.findall(text))
    return upper / (upper + lower) if upper + lower >= 20 else 0.0


_FREQUENT = "оеаинтсрвлкмдпу"  # ~80% of Russian letters; a wrong code page permutes them away
_LETTERS = "абвгдежзийклмнопрстуфхцчшщъыьэюяё"
# In windows-1251 each of the letters is one byte no other character encodes to, so counting them is
# deleting every other byte (bytes.translate, in C) rather than a Python loop over 200 KB of text.
_NOT_LETTER = bytes(sorted(set(range(256)) - set(_LETTERS.encode("cp1251"))))
_NOT_FREQUENT = bytes(sorted(set(range(256)) - set(_FREQUENT.encode("cp1251"))))


def _russian_fit(text: str) -> float:
    """The share of the most frequent Russian letters among the lower-cased text's letters а-я and ё."""
    encoded = text.lower().encode("cp1251", "ignore")
    letters = len(encoded.translate(None, _NOT_LETTER))
    frequent = len(encoded.translate(None, _NOT_FREQUENT))
    return frequent / letters if letters >= 20 else 0.0


def _fix_cyrillic(body: bytes, codec: str, text: str) -> str:
    """Catch a windows-1251 page declared KOI8-R (or the reverse).

    The two code pages swap the cases and permute the letters, so the wrong one reads as mostly
    capitals of rare letters. Letter frequency decides, not case: a page whose label is in capitals
    (the law's own typography) is still right when it is mostly capitals.
    """
    other = _CYRILLIC_SWAP.get(codec)
    if other is None:
        return text
    sample = body[:200_000]
    fit = _russian_fit(sample.decode(codec, "replace"))
    alt_fit = _russian_fit(sample.decode(other, "replace"))
    if alt_fit > fit + 0.15 or (fit == alt_fit == 0.0 and _upper_share(text) >= 0.5):
        alt = body.decode(other, "replace")
        return alt if alt_fit > fit + 0.15 or _upper_share(alt) < _upper_share(text) - 0.3 else text
    return text


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Decode a page body to text. Never raises; undecodable bytes become U+FFFD."""
    try:
        body = bytes(body[:MAX_BYTES])
        for bom, codec in _BOMS:
            if body.startswith(bom):
                return body[len(bom) :].decode(codec, "replace")
        if not body.isascii():
            try:
                return body.decode("utf-8")  # valid UTF-8 with non-ASCII bytes is UTF-8, whatever is declared
            except UnicodeDecodeError:
                pass
        for codec in _declared(body, content_type):
            if codec in ("utf_8", "utf-8"):
                continue  # already tried strictly above
            try:
                text = body.decode(codec)
            except (UnicodeDecodeError, LookupError):
                continue
            return _fix_cyrillic(body, codec, text)
        return _guess(body)
    except ImportError:  # a broken install (charset-normalizer, imported late) must fail, not decode as UTF-8
        raise
    except Exception:  # hostile input must never take the run down
        return bytes(body[:MAX_BYTES]).decode("utf-8", "replace")


def _guess(body: bytes) -> str:
    if body.isascii():
        return body.decode("ascii")
    # Imported here: only a body that is neither UTF-8 nor declared gets this far, and the import costs
    # every reading process ~4 MB of memory.
    import charset_normalizer

    best = charset_normalizer.from_bytes(body[:200_000]).best()
    codec = _codec(best.encoding) if best is not None else None
    if codec:
        text = body.decode(codec, "replace")
        return _fix_cyrillic(body, codec, text)
    return body.decode("utf-8", "replace")


# collect_ids=False: nothing looks elements up by id() (CSS "#x" compiles to @id = 'x'), and hashing
# every id costs ~4% of the parse.
_PARSER = etree.HTMLParser(
    encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True, recover=True, collect_ids=False
)


def parse_html(html: str) -> etree._Element | None:
    """Parse HTML text with lxml (recovering from any breakage); None for an empty document."""
    data = html.encode("utf-8", "replace")
    if not data.strip():
        return None
    try:
        root = etree.fromstring(data, _PARSER, base_url=None)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    return root


def _paywall_flags(root: etree._Element) -> list[str]:
    flags = []
    for script in root.iter("script"):
        if (script.get("type") or "").lower() == "application/ld+json" and script.text:
            flags.extend(re.findall(r'"isAccessibleForFree"\s*:\s*"?(\w+)', script.text))
    return flags


def content_fingerprint(html: str) -> str:
    """Hash of the page's meaningful content: what the detector reads, minus per-fetch noise.

    Included: visible text blocks and ``alt``/``aria-label``/``title`` texts outside comments,
    related/teaser lists, navigation and quotations (which never yield findings), and the
    JSON-LD ``isAccessibleForFree`` flags. Ignored: scripts, styles, comments, hidden elements,
    markup and class names (build hashes), every digit run (timestamps, relative times, view and
    follower counters, nonces, cache-busting tokens and meter counts), and ad slots (no text).
    """
    return ParsedPage.parse(html).fingerprint()


@dataclass
class ParsedPage:
    """A decoded page parsed once, with its blocks: what the check's fingerprint, outcome
    classification and detector all read (each used to parse the page again)."""

    html: str
    root: etree._Element | None
    blocks: list[Block]
    broken: bool = False  # lxml or the block walk failed on this markup

    @classmethod
    def parse(cls, html: str) -> ParsedPage:
        """Never raises: markup that cannot be walked becomes a ``broken`` page without a tree."""
        try:
            root = parse_html(html)
            return cls(html, root, extract_blocks(root) if root is not None else [])
        except Exception:
            return cls(html, None, [], broken=True)

    def fingerprint(self) -> str:
        """``content_fingerprint`` of this page."""
        try:
            if self.broken:
                raise ValueError("unparseable page")
            return self._fingerprint()
        except Exception:  # hostile markup: fall back to the raw text rather than fail the check
            return hashlib.sha256(_DIGITS.sub("0", self.html).encode("utf-8", "replace")).hexdigest()

    def _fingerprint(self) -> str:
        if self.root is None:
            return hashlib.sha256(b"").hexdigest()
        digest = hashlib.sha256()
        # Comments, related links, navigation and quotations never yield findings. One string for all
        # blocks hashes the same bytes as one update per block, and no digit run spans a line break.
        text = "".join(f"{block.source}|{block.text}\n" for block in self.blocks if block.zone is None)
        digest.update(fold_numbers(text, _DIGITS, "0").encode("utf-8", "replace"))  # asked-for amounts kept
        digest.update(json.dumps(_paywall_flags(self.root)).encode())
        return digest.hexdigest()
