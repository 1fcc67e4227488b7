"""A label that loses (or gains) a clause is a changed wording — even though one text contains the other."""

from __future__ import annotations

from monitor.detect import detect
from monitor.diff import diff_findings

FULL = (
    "НАСТОЯЩИЙ МАТЕРИАЛ (ИНФОРМАЦИЯ) ПРОИЗВЕДЕН, РАСПРОСТРАНЕН И (ИЛИ) НАПРАВЛЕН ИНОСТРАННЫМ АГЕНТОМ "
    "ООО «СЕВЕРНЫЙ ВЕСТНИК» ЛИБО КАСАЕТСЯ ДЕЯТЕЛЬНОСТИ ИНОСТРАННОГО АГЕНТА ООО «СЕВЕРНЫЙ ВЕСТНИК»"
)
SHORT = "НАСТОЯЩИЙ МАТЕРИАЛ (ИНФОРМАЦИЯ) ПРОИЗВЕДЕН, РАСПРОСТРАНЕН И (ИЛИ) НАПРАВЛЕН"
ARTICLE = "<p>Уровень воды в Северной Двине за сутки поднялся на полтора метра, власти объявили режим ЧС.</p>" * 3


def page(label: str) -> str:
    return f'<html><body><main><h1>Паводок</h1><div class="fa-disclaimer">{label}</div>{ARTICLE}</main></body></html>'


def test_dropping_the_second_clause_is_a_change() -> None:
    old, new = detect(page(FULL)), detect(page(SHORT))
    assert any(f.category == "foreign_agent_label" for f in old)
    changes = [(c.category, str(c.change)) for c in diff_findings(old, new)]
    assert changes in ([("foreign_agent_label", "changed")], [("foreign_agent_label", "removed")])


def test_the_same_label_in_a_bigger_box_is_no_change() -> None:
    boxed = page(FULL).replace("</div>", " <small>Иноагентский статус оспаривается в суде.</small></div>", 1)
    assert diff_findings(detect(page(FULL)), detect(boxed)) == []
