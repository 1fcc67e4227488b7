"""diff_findings / word_diff: unit cases and the corpus change sequences."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from monitor.diff import diff_findings, normalize, word_diff
from monitor.models import CATEGORIES, Change, Finding, WordOp

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEQUENCES = SHARED / "corpus" / "sequences.yaml"

LABEL_2020 = (
    "ДАННОЕ СООБЩЕНИЕ (МАТЕРИАЛ) СОЗДАНО И (ИЛИ) РАСПРОСТРАНЕНО ИНОСТРАННЫМ СРЕДСТВОМ МАССОВОЙ "
    "ИНФОРМАЦИИ, ВЫПОЛНЯЮЩИМ ФУНКЦИИ ИНОСТРАННОГО АГЕНТА"
)
LABEL_2022 = (
    "НАСТОЯЩИЙ МАТЕРИАЛ (ИНФОРМАЦИЯ) ПРОИЗВЕДЕН, РАСПРОСТРАНЕН И (ИЛИ) НАПРАВЛЕН ИНОСТРАННЫМ "
    "АГЕНТОМ ИВАНОВЫМ ИВАНОМ ЛИБО КАСАЕТСЯ ДЕЯТЕЛЬНОСТИ ИНОСТРАННОГО АГЕНТА ИВАНОВА ИВАНА"
)


def f(category: str, text: str, location: str = "body > p", rule: str = "r1") -> Finding:
    return Finding(category=category, text=text, lang="ru", rule=rule, location=location)


def kinds(changes) -> list[tuple[str, str]]:
    return [(c.category, str(c.change)) for c in changes]


def test_added_removed_and_order():
    old = [f("paywall", "Subscribe to continue reading this story now")]
    new = [f("donation_appeal", "Support independent journalism today"), f("foreign_agent_label", LABEL_2020)]
    changes = diff_findings(old, new)
    assert kinds(changes) == [
        ("foreign_agent_label", "added"),
        ("donation_appeal", "added"),
        ("paywall", "removed"),
    ]
    assert changes[0].before is None
    assert changes[0].after == LABEL_2020
    assert changes[2].after is None
    assert changes[2].word_diff == ()


def test_identical_and_empty_yield_nothing():
    findings = [f("foreign_agent_label", LABEL_2020)]
    assert diff_findings(findings, findings) == []
    assert diff_findings([], []) == []


def test_moved_or_found_by_another_rule_is_nothing():
    old = [f("foreign_agent_label", LABEL_2020, location="article > div.plashka")]
    new = [f("foreign_agent_label", LABEL_2020, location="footer img[alt]", rule="alt-text")]
    assert diff_findings(old, new) == []


def test_typography_noise_is_nothing():
    old = [f("foreign_agent_statement", "Moscow calls us a “foreign agent”. We disagree.")]
    new = [
        f(
            "foreign_agent_statement",
            'moscow\u00a0calls us a "foreign\u200b agent" . We\n disagree.',
        )
    ]
    assert diff_findings(old, new) == []


def test_counters_inside_a_banner_are_nothing():
    old = [f("paywall", "You’ve read 4 of 5 free articles this month. Subscribe")]
    new = [f("paywall", "You've read 5 of 5 free articles this month. Subscribe")]
    assert diff_findings(old, new) == []


def test_wording_change_with_word_diff():
    changes = diff_findings([f("foreign_agent_label", LABEL_2020)], [f("foreign_agent_label", LABEL_2022)])
    assert kinds(changes) == [("foreign_agent_label", "changed")]
    change = changes[0]
    assert change.before == LABEL_2020
    assert change.after == LABEL_2022
    ops = {op.op for op in change.word_diff}
    assert ops == {"equal", "delete", "insert"}
    # Replaying the diff rebuilds both texts.
    assert " ".join(w.text for w in change.word_diff if w.op != "insert") == " ".join(LABEL_2020.split())
    assert " ".join(w.text for w in change.word_diff if w.op != "delete") == " ".join(LABEL_2022.split())


def test_new_name_inside_label_is_a_change():
    other = LABEL_2022.replace("ИВАНОВЫМ ИВАНОМ", "ПЕТРОВЫМ ПЕТРОМ").replace("ИВАНОВА ИВАНА", "ПЕТРОВА ПЕТРА")
    changes = diff_findings([f("foreign_agent_label", LABEL_2022)], [f("foreign_agent_label", other)])
    assert kinds(changes) == [("foreign_agent_label", "changed")]
    assert WordOp("insert", "ПЕТРОВЫМ ПЕТРОМ") in changes[0].word_diff


def test_several_findings_compared_as_a_set():
    en = "This material was created by a foreign mass media outlet performing the functions of a foreign agent"
    old = [f("foreign_agent_label", LABEL_2020), f("foreign_agent_label", en)]
    # Reordered, duplicated (a new Telegram post with the same label): still nothing.
    new = [f("foreign_agent_label", en), f("foreign_agent_label", LABEL_2020), f("foreign_agent_label", en)]
    assert diff_findings(old, new) == []
    # The English rendering disappears while the Russian stays: the category's wording changed.
    assert kinds(diff_findings(old, [f("foreign_agent_label", LABEL_2020)])) == [("foreign_agent_label", "changed")]


def test_containment_tolerates_element_boundaries_but_not_short_words():
    old = [f("foreign_agent_label", LABEL_2020)]
    new = [f("foreign_agent_label", "© Уральская хроника, 2023. " + LABEL_2020)]
    assert diff_findings(old, new) == []
    short = diff_findings([f("donation_appeal", "Donate")], [f("donation_appeal", "Donate to our new fund")])
    assert kinds(short) == [("donation_appeal", "changed")]


def post(label: str, body: str) -> Finding:
    """A Telegram post: the label and the post share one element, the rule matched the label."""
    return Finding("foreign_agent_label", f"{label}\n\n{body}", "ru", "fa", "div.tgme_widget_message_text", label)


def test_telegram_posts_repeating_the_label_are_not_changes():
    old = [post(LABEL_2022, "В Канавинском районе нет горячей воды."), post(LABEL_2022, "Суд отложил заседание.")]
    new_post = [post(LABEL_2022, "Сегодня снова еду в суд."), *old]
    assert diff_findings(old, new_post) == []
    scrolled_away = [post(LABEL_2022, "Сегодня снова еду в суд."), old[0]]
    assert diff_findings(old, scrolled_away) == []


def test_telegram_label_wording_change_is_still_a_change():
    old = [post(LABEL_2020, "Пост один."), post(LABEL_2020, "Пост два.")]
    new = [post(LABEL_2022, "Пост три."), post(LABEL_2020, "Пост два.")]
    assert kinds(diff_findings(old, new)) == [("foreign_agent_label", "changed")]


def test_new_campaign_with_the_same_trigger_is_a_change():
    def appeal(text):
        return Finding("donation_appeal", text, "ru", "don", "aside", "Поддержите «Уральскую хронику»")

    old = [appeal("Поддержите «Уральскую хронику» рублём: сбор на новый сервер")]
    new = [appeal("Поддержите «Уральскую хронику» рублём: сбор на адвокатов редакции")]
    assert kinds(diff_findings(old, new)) == [("donation_appeal", "changed")]


def test_unknown_category_after_known_ones():
    changes = diff_findings([], [f("zz_custom", "something"), f("paywall", "Subscribe to continue")])
    assert kinds(changes) == [("paywall", "added"), ("zz_custom", "added")]


def test_word_diff_runs():
    assert word_diff("a b c", "a x c") == (
        WordOp("equal", "a"),
        WordOp("delete", "b"),
        WordOp("insert", "x"),
        WordOp("equal", "c"),
    )
    assert word_diff("", "new words") == (WordOp("insert", "new words"),)
    assert word_diff("Same  “text”", 'same "text"') == (WordOp("equal", "Same “text”"),)


def test_normalize_folds_yo_and_dashes():
    assert normalize("ПРОИЗВЕДЁН — 18+") == normalize("произведен - 18+")


@given(st.lists(st.sampled_from(CATEGORIES), max_size=6), st.lists(st.text(max_size=40), max_size=6))
def test_diff_of_self_is_empty_and_changes_are_consistent(categories, texts):
    findings = [f(c, t) for c, t in zip(categories, texts, strict=False)]
    assert diff_findings(findings, findings) == []
    for change in diff_findings([], findings):
        assert change.change is Change.ADDED
        assert change.before is None


def _sequence_cases():
    data = yaml.safe_load(SEQUENCES.read_text(encoding="utf-8"))
    for seq in data["sequences"]:
        for tr in seq["transitions"]:
            yield pytest.param(seq["states"], tr, id=f"{seq['id']}:{tr['from']}->{tr['to']}")


@pytest.mark.skipif(not SEQUENCES.exists(), reason="shared corpus not checked out beside the repo")
@pytest.mark.parametrize(("states", "transition"), list(_sequence_cases()) if SEQUENCES.exists() else [])
def test_corpus_sequences(states, transition):
    def findings(version):
        return [f(x["category"], x["text"]) for x in states[version]["findings"]]

    got = Counter(kinds(diff_findings(findings(transition["from"]), findings(transition["to"]))))
    want = Counter((e["category"], e["change"]) for e in transition["events"])
    assert got == want
    if transition["noise_only"]:
        assert not got


WORDINGS = st.sampled_from(["", LABEL_2020, LABEL_2022, "Support us today with a monthly gift", "Subscribe"])


@given(
    st.lists(st.tuples(st.sampled_from(CATEGORIES), WORDINGS), max_size=5),
    st.lists(st.tuples(st.sampled_from(CATEGORIES), WORDINGS), max_size=5),
)
def test_diff_is_antisymmetric(old_pairs, new_pairs):
    old = [f(c, t) for c, t in old_pairs]
    new = [f(c, t) for c, t in new_pairs]
    forward = {c.category: c.change for c in diff_findings(old, new)}
    backward = {c.category: c.change for c in diff_findings(new, old)}
    flipped = {Change.ADDED: Change.REMOVED, Change.REMOVED: Change.ADDED, Change.CHANGED: Change.CHANGED}
    assert backward == {category: flipped[change] for category, change in forward.items()}
