"""The detector on fixture pages: what counts as a banner, and what is only discussion."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.detect import Detector, detect, test_rule
from monitor.rules import SelectorRule, load_rule_set

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
LABEL_2020 = (
    "ДАННОЕ СООБЩЕНИЕ (МАТЕРИАЛ) СОЗДАНО И (ИЛИ) РАСПРОСТРАНЕНО ИНОСТРАННЫМ СРЕДСТВОМ МАССОВОЙ ИНФОРМАЦИИ, "
    "ВЫПОЛНЯЮЩИМ ФУНКЦИИ ИНОСТРАННОГО АГЕНТА, И (ИЛИ) РОССИЙСКИМ ЮРИДИЧЕСКИМ ЛИЦОМ, ВЫПОЛНЯЮЩИМ ФУНКЦИИ "
    "ИНОСТРАННОГО АГЕНТА"
)
LABEL_2022 = (
    "18+ НАСТОЯЩИЙ МАТЕРИАЛ (ИНФОРМАЦИЯ) ПРОИЗВЕДЕН, РАСПРОСТРАНЕН И (ИЛИ) НАПРАВЛЕН ИНОСТРАННЫМ АГЕНТОМ "
    "ООО «ТЕЛЕКАНАЛ ДОЖДЬ» ЛИБО КАСАЕТСЯ ДЕЯТЕЛЬНОСТИ ИНОСТРАННОГО АГЕНТА ООО «ТЕЛЕКАНАЛ ДОЖДЬ»"
)


def page(body: str) -> str:
    return f"<html><head><title>t</title></head><body>{body}</body></html>"


def cats(findings) -> set[str]:
    return {f.category for f in findings}


def test_moscow_times_statement_and_appeal_but_no_label():
    findings = detect((SHARED / "corpus" / "pages" / "moscowtimes-idlib.html").read_bytes())
    assert cats(findings) == {"donation_appeal", "foreign_agent_statement"}
    statement = next(f for f in findings if f.category == "foreign_agent_statement")
    assert 'unjustly branded as a "foreign agent"' in statement.text
    assert statement.rule
    assert statement.location
    assert statement.matched


@pytest.mark.parametrize(
    "body",
    [
        f'<div class="plashka"><p>{LABEL_2020}</p></div>',
        f"<p><b>{LABEL_2022}</b></p>",
        f'<span role="img" aria-label="{LABEL_2020}"></span>',
        f'<img src="x.svg" alt="{LABEL_2020.lower()}">',
        f"<footer><p>{LABEL_2022}</p><p>© 2023</p></footer>",
        "<div>" + "</span> <span>".join(LABEL_2020.split(", ")) + "</div>",
        f"<div>{LABEL_2022.replace('ПРОИЗВЕДЕН', 'ПРОИЗВЕДЁН')}</div>",
    ],
)
def test_labels_wherever_drawn(body):
    findings = detect(page(body))
    assert cats(findings) == {"foreign_agent_label"}


def test_label_split_over_spans_and_br_keeps_whole_text():
    words = LABEL_2020.split(" ")
    body = (
        "<div class='x'>"
        + "".join(f"<span>{w}</span>{'<br>' if i % 4 else ' '}" for i, w in enumerate(words))
        + "</div>"
    )
    (finding,) = detect(page(body))
    assert finding.text.replace(" ", "") == LABEL_2020.replace(" ", "")


def test_evasion_is_normalised():
    evasive = LABEL_2020.replace("О", "O", 3).replace("С", "C", 2).replace(" ", "\u00a0", 5)
    evasive = evasive.replace("ИНОСТРАННЫМ", "ИНО\u00adСТРАН\u200bНЫМ")
    assert cats(detect(page(f"<div>{evasive}</div>"))) == {"foreign_agent_label"}


def test_departure_from_statutory_text_is_scored():
    (exact,) = detect(page(f"<div>{LABEL_2020}</div>"))
    (typo,) = detect(page(f"<div>{LABEL_2020.replace('ИНОСТРАННОГО АГЕНТА,', 'ИНОСТРАНОГО АГЕНТА,')}</div>"))
    assert exact.score > 0.99
    assert 0.8 < typo.score < exact.score


@pytest.mark.parametrize(
    "body",
    [
        f"<article><div class='text'><p>Новый закон.</p><p>Плашка «{LABEL_2020}» заменена.</p></div></article>",
        f"<article><blockquote>{LABEL_2020}</blockquote></article>",
        f"<div class='comments'><div class='comment'>Вы бы еще писали: {LABEL_2022} :)</div></div>",
        f"<section class='related'><ul><li><a href='/x'>Статья</a><div>{LABEL_2020}...</div></li></ul></section>",
        "<nav><a href='/donate'>Donate</a> <a href='/support'>Support us</a></nav>",
        "<div class='newsletter'><p>Sign up for our free newsletter.</p><button>Subscribe</button></div>",
        "<div class='paywall hidden'><p>THIS CONTENT IS RESERVED FOR SUBSCRIBERS</p></div><article>Full.</article>",
        "<div style='display:none'><p>Subscribe to continue reading. Already a subscriber? Log in.</p></div>",
        "<div aria-hidden='true'>You’ve read 5 of 5 free articles this month.</div>",
        "<div data-testid='tweetText'>Vostok Wire now shows “Russia state-affiliated media” under its name.</div>",
        "<div class='tgme_widget_message_text'>Минюст признал «Уральскую хронику» иностранным агентом.</div>",
        "<article><p>The party received large donations.</p><p>Donors gave more this year.</p></article>",
    ],
)
def test_discussion_and_wrong_places_are_not_findings(body):
    assert detect(page(body)) == []


def test_telegram_posts_label_and_appeal_split_on_double_br():
    post = f"<div class='msg'>{LABEL_2022}<br><br>Если хотите помочь — скиньтесь на бензин.</div>"
    findings = detect(page(post + post.replace("помочь", "поддержать")))
    label = [f for f in findings if f.category == "foreign_agent_label"]
    assert len(label) == 1  # the same label on two posts is one finding
    assert label[0].text == LABEL_2022
    assert "donation_appeal" in cats(findings)


def test_noise_does_not_change_findings():
    v1 = page(f"<span class='views'>1 204</span><div class='plashka'>{LABEL_2020}</div><time>2 ч назад</time>")
    v2 = page(f"<span class='views'>9 999</span><time>5 ч назад</time><footer><p>{LABEL_2020}</p></footer>")
    assert [(f.category, f.text) for f in detect(v1)] == [(f.category, f.text) for f in detect(v2)]


def test_appeal_reports_whole_banner_element():
    body = (
        "<div class='meridian-support'><h4>Meridian needs you</h4><p>We can’t take Russian money, so "
        "<strong>become a monthly supporter for as little as $5.</strong></p><a href='/s'>Support</a></div>"
    )
    (finding,) = detect(page(body))
    assert finding.text.startswith("Meridian needs you")
    assert finding.text.endswith("Support")


def test_paywall_signals():
    ld = (
        '<script type="application/ld+json">{"@graph":[{"@type":"NewsArticle","isAccessibleForFree":"False",'
        '"hasPart":{"@type":"WebPageElement","isAccessibleForFree":false,"cssSelector":".paywall"}}]}</script>'
    )
    gated = detect(page(ld + "<div class='paywall'>Réservé aux abonnés. Abonnez-vous.</div>"))
    assert any(f.rule == "paywall-jsonld" and "cssSelector=.paywall" in f.text for f in gated)
    assert detect(page(ld + "<article><p>Full free text.</p></article>")) == []
    assert cats(detect(page("<div class='tp-modal'><p>Subscribe now and read on</p></div>"))) == {"paywall"}


def test_outlet_selector_rule():
    rule = SelectorRule(id="outlet-x-banner", category="foreign_agent_label", selector="div.odd-banner", lang="ru")
    html = page("<div class='odd-banner'>Иноагент — так решил Минюст</div>")
    (finding,) = Detector().detect(html, outlet_rules=[rule])
    assert (finding.rule, finding.text) == ("outlet-x-banner", "Иноагент — так решил Минюст")
    assert Detector().detect(html, outlet_rules=[SelectorRule("bad", "paywall", "div[[")]) == []


def test_test_rule_runs_one_rule_even_if_disabled():
    rule_set = load_rule_set(disabled=["ru-fa-label-2020"])
    html = page(f"<div>{LABEL_2020}</div>")
    assert Detector(rule_set).detect(html) == []
    assert [f.rule for f in test_rule(rule_set, "ru-fa-label-2020", html)] == ["ru-fa-label-2020"]


@pytest.mark.parametrize("junk", ["", "   ", "<", "<html>", b"\xff\xfe\x00<", "<?xml version='1.0' encoding='x'?><p>"])
def test_junk_pages(junk):
    assert detect(junk) == []


def test_findings_are_deterministic():
    html = (SHARED / "corpus" / "pages" / "otkrytaya-undesirable.html").read_bytes()
    assert detect(html) == detect(html) == Detector().detect(html)


@pytest.mark.parametrize(
    ("body", "category"),
    [
        (
            "<main><article><p>Text.</p></article></main><footer><p>Редакция «Севера» внесена в реестр "
            "иностранных агентов 12 мая 2023 года.</p><p>© 2023</p></footer>",
            "foreign_agent_statement",
        ),
        ("<div class='about'>Мы — иноагенты. Так решил Минюст.</div>", "foreign_agent_statement"),
        (
            "<footer><p>Meridian Dispatch was designated a “foreign agent” by Russia’s Justice Ministry.</p></footer>",
            "foreign_agent_statement",
        ),
        (
            "<footer><div>В 2024 году Генпрокуратура признала «Север» нежелательной организацией.</div></footer>",
            "undesirable_label",
        ),
        (
            "<div class='site-alert'>In 2024 the Prosecutor General declared The Moscow Times an “undesirable” "
            "organization.</div>",
            "undesirable_label",
        ),
        (
            "<p>НАСТОЯЩИЙ МАТЕРИАЛ ПРОИЗВЕДЕН И РАСПРОСТРАНЕН ИНОСТРАННЫМ АГЕНТОМ МЕДИАПРОЕКТ «СЕВЕР» ЛИБО "
            "КАСАЕТСЯ ДЕЯТЕЛЬНОСТИ ИНОСТРАННОГО АГЕНТА МЕДИАПРОЕКТ «СЕВЕР». 18+</p>",
            "foreign_agent_label",
        ),
        (
            "<p><i>This material is distributed by Acme PR LLC on behalf of the Embassy of Ruritania. Additional "
            "information is on file with the Department of Justice, Washington, D.C.</i></p>",
            "foreign_agent_label",
        ),
        ("<div class='x'><span>China state-affiliated media</span></div>", "state_media_label"),
        ("<template><div>Subscribe to continue reading. Already a subscriber? Sign in</div></template>", "paywall"),
        (
            "<div class='meter'>Вы прочитали 2 из 3 бесплатных статей. Оформите подписку, чтобы читать дальше.</div>",
            "paywall",
        ),
        (
            "<div class='box'><h3>Journalismus braucht Sie</h3><p>Jetzt spenden und unsere Arbeit sichern.</p></div>",
            "donation_appeal",
        ),
        ("<div class='encart'><p>Soutenez Mediapart : faites un don.</p></div>", "donation_appeal"),
        (
            "<footer><p>В 2021 году Минюст признал «Север» иноагентом.</p><p>© Север</p></footer>",
            "foreign_agent_statement",
        ),
        ("<div class='gate'>You have 2 free articles left. Become a subscriber to keep reading.</div>", "paywall"),
        ("<div class='crypto'><h4>Support us on Boosty</h4><p>Or donate in bitcoin</p></div>", "donation_appeal"),
    ],
)
def test_wording_and_placement_variants(body, category):
    assert cats(detect(page(body))) == {category}


@pytest.mark.parametrize(
    "body",
    [
        "<aside><ul><li><a href='/x'>Минюст признал «Север» иностранным агентом и оштрафовал редакцию</a>"
        "</li></ul></aside>",
        f"<div class='card'><div class='card-header'>Читайте также</div><ul><li><div>{LABEL_2020}</div>"
        "</li></ul></div>",
        f"<div class='search-results'><div class='result'>{LABEL_2020}</div></div>",
        f"<article><div><p>Закон.</p><p>Текст плашки такой:</p><div class='ex'>{LABEL_2020}</div>"
        "<p>Всё.</p></div></article>",
        "<article><div class='body'><p>Many outlets now ask readers to donate monthly.</p>"
        "<p>Others sell ads.</p></div></article>",
    ],
)
def test_more_places_that_do_not_count(body):
    assert detect(page(body)) == []


def test_banner_link_counts_but_bare_menu_link_does_not():
    banner = "<a class='support-banner' href='/donate'>Поддержите «Медузу»!</a>"
    assert cats(detect(page(banner))) == {"donation_appeal"}
    assert detect(page("<div class='top'><a href='/donate'>Поддержите «Медузу»!</a></div>")) == []
