"""The amount an appeal asks for is wording; counters, meters and tallies are not."""

from __future__ import annotations

import re

import pytest

from monitor.amounts import fold_numbers
from monitor.diff import normalize
from monitor.extract import ParsedPage

DIGITS = re.compile(r"\d+")


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        (
            "Оформите пожертвование от 300 рублей. Собрано 184 300 ₽ из 400 000 ₽",
            "от 300 рублей. Собрано 0 0 ₽ из 0 0 ₽",
        ),
        ("Регулярный перевод даже в 300 рублей", "даже в 300 рублей"),
        ("become a monthly supporter for as little as $5 — 1,204 readers already do", "as little as $5 - 0,0 readers"),
        ("You've read 4 of 5 free articles", "read 0 of 0 free"),
        ("Обновлено в 12:40, 3 877 просмотров", "Обновлено в 0:0, 0 0 просмотров"),
        ("Raised $12,400 of $20,000 this month", "Raised $0,0 of $0,0"),
        ("Собрано всего 184 300 ₽ из 400 000 ₽", "всего 0 0 ₽ из 0 0 ₽"),
        ("нам осталось собрать всего 15 000 ₽", "всего 0 0 ₽"),
        ("we are just $4,870 away from our goal", "just $0,0 away"),
        ("Поддержите нас от 300 р. в месяц", "от 300 р. в месяц"),
        ("Підтримайте нас від 100 ₴ на місяць", "від 100 ₴"),
    ],
)
def test_only_the_asked_for_amount_survives(text: str, folded: str) -> None:
    assert folded in fold_numbers(text, DIGITS, "0").replace("—", "-")


def test_a_raised_ask_is_new_wording_and_a_rising_tally_is_not() -> None:
    ask = "Оформите ежемесячное пожертвование от {ask} рублей. Собрано {raised} ₽ из 400 000 ₽"
    before = normalize(ask.format(ask=300, raised="184 300"))
    assert normalize(ask.format(ask=300, raised="201 900")) == before
    assert normalize(ask.format(ask=500, raised="184 300")) != before


def page(ask: int, raised: str) -> str:
    return (
        "<html><body><article><p>Новость дня.</p></article><div class='donate'>Оформите пожертвование "
        f"от {ask} рублей. Собрано {raised} ₽ из 400 000 ₽</div></body></html>"
    )


def test_the_content_fingerprint_sees_a_raised_ask_but_not_a_rising_tally() -> None:
    """A check skips detection when the fingerprint is unchanged: it must not skip a raised ask."""
    first = ParsedPage.parse(page(300, "184 300")).fingerprint()
    assert ParsedPage.parse(page(300, "201 900")).fingerprint() == first
    assert ParsedPage.parse(page(500, "184 300")).fingerprint() != first
