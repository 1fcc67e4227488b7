"""Fetch outcomes that are not content: challenge, walls, blocks, parked/error pages, foreign redirects,
truncated documents — and never a real article (the corpus and the real-world pages)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.models import FetchResult
from monitor.outcomes import classify, load_signatures

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[1] / "shared"
FIXTURES = HERE / "fixtures" / "outcomes"
SIGNATURES = load_signatures()


def result(url: str = "https://outlet.example/news/1", final_url: str | None = None) -> FetchResult:
    return FetchResult(url, final_url or url, 200, {}, b"", datetime(2026, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("fixture", "kind"),
    [
        ("cloudflare.html", "bot_challenge"),
        ("consent.html", "consent_wall"),
        ("login.html", "login_wall"),
        ("geoblock.html", "geo_block"),
        ("parked.html", "parked_domain"),
        ("error.html", "error_page"),
        ("truncated.html", "incomplete"),
    ],
)
def test_non_content_pages_are_classified_with_their_cause(fixture: str, kind: str) -> None:
    outcome = classify(result(), (FIXTURES / fixture).read_text(encoding="utf-8"), SIGNATURES)
    assert outcome is not None
    assert outcome.kind == kind
    assert kind.split("_")[0] in outcome.cause


@pytest.mark.parametrize(
    "title",
    ["Error 404 | The Harbor Voice", "Oops! That page can’t be found – Aurora", "Ошибка 404", "Page introuvable"],
)
def test_soft_404_titles_are_error_pages(title: str) -> None:
    page = f"<html><head><title>{title}</title></head><body><p>Try the search or go back home.</p></body></html>"
    outcome = classify(result(), page, SIGNATURES)
    assert outcome is not None
    assert outcome.kind == "error_page"


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Технічні роботи — Подільський вісник", "Сайт тимчасово недоступний. Повертайтеся за годину."),
        ("Подільський вісник", "Ведутся технические работы. Сайт временно недоступен."),
        ("The Harbor Voice", "We are currently down for scheduled maintenance. Back soon."),
    ],
)
def test_maintenance_pages_are_not_content(title: str, text: str) -> None:
    """A site-wide maintenance page in place of the article: compared with nothing, so its missing labels
    and its wall-like "come back later" never become events."""
    page = f"<html><head><title>{title}</title></head><body><h1>{text}</h1></body></html>"
    outcome = classify(result(), page, SIGNATURES)
    assert outcome is not None
    assert outcome.signature == "maintenance-page"


def test_redirect_to_another_domain_is_an_outcome_not_content() -> None:
    moved = result("https://outlet.example/", "https://mirror-outlet.example/landing")
    outcome = classify(moved, "<html><body><p>Hello</p></body></html>", SIGNATURES)
    assert outcome is not None
    assert outcome.cause == "redirected to another domain: mirror-outlet.example"


def test_redirect_within_the_site_is_fine() -> None:
    same = result("https://outlet.example/", "https://www.outlet.example/ru/")
    assert classify(same, "<html><body><p>Hello, readers of our news site.</p></body></html>", SIGNATURES) is None


def _real_pages() -> list[Path]:
    return sorted((SHARED / "corpus" / "pages").glob("*.html")) + sorted(
        (SHARED / "realworld" / "pages").glob("*.html")
    )


@pytest.mark.skipif(not _real_pages(), reason="../shared is not beside this checkout")
def test_no_real_article_is_mistaken_for_a_wall() -> None:
    from monitor.extract import decode_html

    wrongly = [
        (page.name, outcome.cause)
        for page in _real_pages()
        if (outcome := classify(result(), decode_html(page.read_bytes()), SIGNATURES)) is not None
    ]
    assert wrongly == []


def test_user_signatures_extend_the_shipped_ones(tmp_path: Path) -> None:
    extra = tmp_path / "mine.yaml"
    extra.write_text("signatures:\n  - {id: our-cdn-wall, kind: bot_challenge, text: ['wait for the robot']}\n")
    signatures = load_signatures([extra])
    outcome = classify(result(), "<html><body>Please wait for the robot.</body></html>", signatures)
    assert outcome is not None
    assert outcome.signature == "our-cdn-wall"


def test_malformed_signature_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("signatures:\n  - {kind: bot_challenge}\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml"):
        load_signatures([bad])


@pytest.mark.parametrize(
    "html",
    ["", "<html><body></body></html>", "<b>Fatal error</b>", "<html><body><div id='root'></div></body></html>"],
)
def test_empty_pages_are_not_content(html: str) -> None:
    outcome = classify(result(), html, SIGNATURES)
    assert outcome is not None
    assert outcome.kind == "empty"


def test_a_non_html_response_is_not_content() -> None:
    response = FetchResult("https://o.example/", "https://o.example/", 200, {"content-type": "application/pdf"}, b"",
                           datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip
    outcome = classify(response, "%PDF-1.7 binary soup, long enough to be more than twenty", SIGNATURES)
    assert outcome is not None
    assert outcome.cause == "not an HTML page (application/pdf)"


def test_optional_closing_tags_and_long_trailers_are_fine() -> None:
    article = "<p>" + "Уровень воды поднялся на полтора метра. " * 20
    assert classify(result(), f"<!DOCTYPE html><html><head><title>x</title><body>{article}</body>", SIGNATURES) is None
    trailer = "<script>var x = 1;</script>" * 400
    page = f"<html><body>{article}</body></html>{trailer}"
    assert classify(result(), page, SIGNATURES) is None


def test_truncation_is_judged_on_the_whole_document_not_only_its_end() -> None:
    article = "<HTML><BODY>" + "<p>A long article about the registry and its labels.</p>" * 200
    outcome = classify(result(), article, SIGNATURES)  # cut off: no closing tag anywhere
    assert outcome is not None
    assert outcome.kind == "incomplete"
    # A closing tag far before the end (trackers' scripts after it) is a complete document, in any case.
    complete = article + "</BODY></HTML>" + "<script>var t = 1;</script>" * 400
    assert classify(result(), complete, SIGNATURES) is None
