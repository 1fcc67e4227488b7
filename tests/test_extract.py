"""Charset detection against lying declarations, and the noise-blind content fingerprint."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from monitor.extract import content_fingerprint, decode_html

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
TEXT = 'Продолжение доступно по подписке. Поддержите "Волжский листок" рублём!'


def _page(charset: str | None, body: str = TEXT) -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    return f"<html><head>{meta}<title>т</title></head><body><p>{body}</p></body></html>"


@pytest.mark.parametrize("codec", ["windows-1251", "koi8-r", "utf-8"])
def test_declared_charset(codec):
    assert TEXT in decode_html(_page(codec).encode(codec))


@pytest.mark.parametrize("codec", ["windows-1251", "koi8-r"])
def test_http_header_charset(codec):
    assert TEXT in decode_html(_page(None).encode(codec), f"text/html; charset={codec}")


def test_utf8_without_declaration():
    assert TEXT in decode_html(_page(None).encode("utf-8"))


def test_bom_wins():
    assert TEXT in decode_html(b"\xef\xbb\xbf" + _page("windows-1251").encode("utf-8"))


def test_meta_says_gb2312_but_bytes_are_utf8():
    body = _page("gb2312", "人民网 新闻 " + TEXT).encode("utf-8")
    assert "人民网" in decode_html(body)


def test_koi8_page_declared_windows_1251():
    assert TEXT in decode_html(_page("windows-1251").encode("koi8-r"))


def test_windows_1251_page_declared_koi8():
    assert TEXT in decode_html(_page("koi8-r").encode("windows-1251"))


def test_undeclared_windows_1251_is_guessed():
    text = " ".join([TEXT] * 5)
    assert TEXT in decode_html(_page(None, text).encode("windows-1251"))


def test_a_missing_encoding_detector_fails_loudly_instead_of_garbling_pages(monkeypatch):
    """charset-normalizer is imported only when a page needs it: a broken install must not turn every
    undeclared windows-1251 page into replacement characters (and its labels into misses)."""
    monkeypatch.setitem(sys.modules, "charset_normalizer", None)  # what an uninstalled package looks like
    with pytest.raises(ImportError):
        decode_html(_page(None, " ".join([TEXT] * 5)).encode("windows-1251"))


@pytest.mark.parametrize("body", [b"", b"\xff\xfe\xfa", b"\x00" * 10, b"<meta charset=bogus>\xe9", bytes(range(256))])
def test_never_raises(body):
    assert isinstance(decode_html(body, "text/html; charset=nonsense"), str)


@pytest.mark.parametrize(
    ("name", "encoding"), [("uralchron-zavod.html", "windows-1251"), ("volga-paywall.html", "koi8-r")]
)
def test_corpus_pages_in_legacy_encodings(name, encoding):
    text = decode_html((SHARED / "corpus" / "pages" / name).read_bytes())
    assert "Уральская хроника" in text or "Волжский листок" in text
    assert encoding  # documented in truth.yaml; decoded without being told


def test_realworld_gb2312_trap():
    text = decode_html((SHARED / "realworld" / "pages" / "people-cn-2024.html").read_bytes())
    assert "人民网" in text


def test_fingerprint_ignores_noise():
    v1 = (
        '<html><head><script>var nonce="a1b2"</script><style>.x{}</style></head><body>'
        '<div class="views">1 204 views</div><time>2 hours ago</time><p>Label text</p>'
        '<ul class="related"><li><a href="/a">Story A</a></li></ul><div class="ad-slot" id="ad-77"></div></body></html>'
    )
    v2 = (
        '<html><head><script>var nonce="zz99"</script></head><body>'
        '<div class="views">1 377 views</div><time>3 hours ago</time><p>Label text</p>'
        '<ul class="related"><li><a href="/b">Story B</a></li></ul><div class="ad-slot" id="ad-12"></div></body></html>'
    )
    assert content_fingerprint(v1) == content_fingerprint(v2)
    assert content_fingerprint(v1) != content_fingerprint(v1.replace("Label text", "Other label"))


def test_fingerprint_sees_alt_text_and_paywall_flag():
    base = '<html><body><img alt="FOREIGN AGENT"></body></html>'
    assert content_fingerprint(base) != content_fingerprint(base.replace("FOREIGN AGENT", ""))
    ld = '<script type="application/ld+json">{"isAccessibleForFree": %s}</script>'
    assert content_fingerprint(ld % "true" + base) != content_fingerprint(ld % "false" + base)


def test_fingerprint_of_empty_page():
    assert content_fingerprint("") == content_fingerprint("   ")


def test_wrong_cyrillic_declaration_on_a_page_mostly_in_capitals():
    """The law's label is printed in capitals: case alone cannot tell windows-1251 from KOI8-R."""
    label = "ДАННОЕ СООБЩЕНИЕ (МАТЕРИАЛ) СОЗДАНО И (ИЛИ) РАСПРОСТРАНЕНО ИНОСТРАННЫМ СРЕДСТВОМ МАССОВОЙ ИНФОРМАЦИИ"
    html = f'<html><head><meta charset="koi8-r"></head><body><p>{label}</p><p>Паром не ходит.</p></body></html>'
    assert label in decode_html(html.encode("cp1251"))
    assert label in decode_html(html.replace("koi8-r", "windows-1251").encode("koi8-r"))
