"""Rule packs: every shipped example behaves as declared; malformed packs fail with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import RulePackError
from monitor.models import CATEGORIES
from monitor.rules import SelectorRule, check_pack_examples, load_pack, load_rule_set, shipped_packs


@pytest.fixture(scope="module")
def rule_set():
    return load_rule_set()


def test_shipped_packs_cover_every_category(rule_set):
    assert len(shipped_packs()) >= 8
    assert {rule.category for rule in rule_set} == set(CATEGORIES)


def test_every_pack_example_behaves_as_declared(rule_set):
    assert check_pack_examples(rule_set) == []


def test_every_text_rule_has_examples(rule_set):
    missing = [r.id for r in rule_set if not r.examples_match or not r.examples_no_match]
    assert missing == []


def test_get_and_disable(rule_set):
    assert rule_set.get("ru-fa-label-2022").category == "foreign_agent_label"
    with pytest.raises(KeyError, match="nope"):
        rule_set.get("nope")
    trimmed = load_rule_set(disabled=["en-paywall"])
    assert not trimmed.get("en-paywall").enabled
    assert "en-paywall" not in {r.id for r in trimmed.enabled()}


def test_unknown_disabled_id_is_named():
    with pytest.raises(RulePackError, match="no-such-rule"):
        load_rule_set(disabled=["no-such-rule"])


def _pack(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "user.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_user_pack_adds_rules(tmp_path):
    path = _pack(
        tmp_path,
        "pack: mine\nrules:\n  - id: my-appeal\n    category: donation_appeal\n    anchors: [kofi]\n"
        "    patterns: ['buy us a kofi']\n    examples: {match: ['Buy us a kofi!'], no_match: ['kofi']}\n",
    )
    rule_set = load_rule_set(extra_packs=[path])
    assert rule_set.get("my-appeal").pack == "mine"
    assert check_pack_examples(rule_set) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "pack: x\nrules:\n  - id: a\n    category: nonsense\n    anchors: [a]\n    patterns: [a]\n",
            ":4: rules[0].category",
        ),
        (
            "pack: x\nrules:\n  - id: a\n    category: paywall\n    anchors: [a]\n    patterns: ['(a']\n",
            ":6: rules[0].patterns",
        ),
        (
            "pack: x\nrules:\n  - id: a\n    category: paywall\n    patterns: [a]\n",
            ":3: rules[0]: rule 'a' has patterns but no anchors",
        ),
        (
            "pack: x\nrules:\n  - id: a\n    category: paywall\n    anchors: [a]\n    patterns: ['(a+)+b']\n",
            "catastrophic",
        ),
        (  # normalised text holds « and ё as " and е: a pattern spelling them would silently never match
            "pack: x\nrules:\n  - id: a\n    category: paywall\n    anchors: [a]\n    patterns: ['на «её»']\n",
            ":6: rules[0].patterns[0]: rule 'a' spells '«»ё'",
        ),
        ("pack: x\nrules: [\n", "invalid YAML"),
        (
            "pack: x\nrules:\n  - id: a\n    category: paywall\n    bogus: 1\n    anchors: [a]\n    patterns: [a]\n",
            ":5: rules[0].bogus",
        ),
    ],
)
def test_malformed_pack_names_file_and_line(tmp_path, body, message):
    path = _pack(tmp_path, body)
    with pytest.raises(RulePackError) as info:
        load_pack(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_duplicate_rule_id_across_packs(tmp_path):
    path = _pack(
        tmp_path, "pack: x\nrules:\n  - id: en-paywall\n    category: paywall\n    anchors: [a]\n    patterns: [a]\n"
    )
    with pytest.raises(RulePackError, match="already defined"):
        load_rule_set(extra_packs=[path])


def test_selector_rule_is_plain_data():
    rule = SelectorRule(id="x", category="paywall", selector=".gate")
    assert rule.lang == "und"
