"""Rule packs: YAML data files of detection rules, validated, compiled once, with their own tests.

A pack (``monitor/rules/*.yaml``, or a user file named in ``config.yaml``) looks like::

    pack: ru
    description: Russian statutory labels and statements
    defaults: {prose: standalone}          # any rule field below, applied where a rule is silent
    rules:
      - id: ru-fa-2022
        category: foreign_agent_label      # one of monitor.models.CATEGORIES
        lang: ru
        anchors: ["иностранн"]             # normalised literals; a block must contain one to be tried
        patterns: ['настоящий материал ...'] # regexes over normalised text; the finding's span is
                                           # the hull of every pattern match in the block; a pattern
                                           # spelling ё, ў, «», typographic quotes or dashes (which
                                           # normalised text never holds) is refused at load
        exclude: []                        # regexes that veto a block
        selectors: []                      # CSS selectors whose visible element is a finding
        jsonld: {}                         # JSON-LD key: value pairs that are a finding
        statutory: "НАСТОЯЩИЙ ... {name}"  # reference text; Finding.score = similarity to it
        prose: allow|standalone|deny       # may it match a paragraph of article body text?
        expand: container|block            # report the whole banner element, or just the block
        max_chars: 1500                    # longer blocks are article text, not banners
        min_span: 60                       # a shorter match is a fragment, not the label
        require: {any: ['\\bмы\\b'], or_banner: true, scope: all}  # the block must also hold one
                                           # of these, unless it sits in a banner-like element or
                                           # in the site template (footer, aside, page header);
                                           # scope: prose applies this to article paragraphs only
        links: false                       # true: may match text that is all link text (X's state-media
                                           # label links to the policy); else links are navigation/teasers
        supporting: false                  # true: only corroborates; a finding of it is kept only when a
                                           # non-supporting rule finds the same category on the page
                                           # (a login prompt, a JSON-LD flag: alone they prove no gate)
        examples: {match: [...], no_match: [...]}   # text, or HTML when it starts with "<"

The engine knows no category names beyond :data:`monitor.models.CATEGORIES`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.detection.normalize import folded_away, normalize
from monitor.errors import ConfigError, RulePackError
from monitor.resources import rules_dir

if TYPE_CHECKING:  # loading a pack imports them; a worker process given built rules never does
    from pydantic import ValidationError

    from monitor.rules.schema import PackModel, RuleModel
    from monitor.yamlmarks import Marks


@dataclass(frozen=True)
class Rule:
    """One detection rule, as loaded from a pack (policy defaults already applied)."""

    id: str
    category: str
    lang: str
    pack: str
    description: str = ""
    anchors: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    selectors: tuple[str, ...] = ()
    jsonld: tuple[tuple[str, Any], ...] = ()
    statutory: str | None = None
    prose: str = "allow"
    expand: str = "container"
    max_chars: int = 1500
    min_span: int = 0
    require_any: tuple[str, ...] = ()
    require_or_banner: bool = False
    require_scope: str = "all"
    enabled: bool = True
    supporting: bool = False  # counts only next to a finding of the same category by a non-supporting rule
    links: bool = False  # text that is all link text may match (a label that links to its policy page)
    examples_match: tuple[str, ...] = ()
    examples_no_match: tuple[str, ...] = ()
    source: str = ""
    compiled: tuple[re.Pattern[str], ...] = field(default=(), compare=False, repr=False)
    compiled_exclude: tuple[re.Pattern[str], ...] = field(default=(), compare=False, repr=False)
    compiled_require: tuple[re.Pattern[str], ...] = field(default=(), compare=False, repr=False)


class UnknownRuleError(RulePackError, KeyError):
    """No rule has the requested id (a ``KeyError`` for lookups, a ``MonitorError`` for the CLI)."""

    def __str__(self) -> str:
        return "\n".join(self.problems)


@dataclass(frozen=True)
class SelectorRule:
    """An outlet-specific rule from ``config.yaml``: the text of the element at ``selector`` is a finding."""

    id: str
    category: str
    selector: str
    lang: str = "und"


class RuleSet:
    """The rules in force: shipped packs plus user packs, minus disabled rules (kept, marked disabled)."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules: list[Rule] = list(rules)
        self._by_id = {rule.id: rule for rule in self.rules}

    def get(self, rule_id: str) -> Rule:
        """The rule with this id; :class:`UnknownRuleError` (a ``KeyError``) naming it when there is none."""
        try:
            return self._by_id[rule_id]
        except KeyError:
            raise UnknownRuleError(f"unknown rule id {rule_id!r}") from None

    def enabled(self) -> list[Rule]:
        return [rule for rule in self.rules if rule.enabled]

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)


def shipped_packs() -> list[Path]:
    """Paths of the rule packs shipped with press-monitor, sorted by name."""
    folder = Path(str(rules_dir()))
    return sorted(folder.glob("*.yaml"))


def _problems(path: Path, exc: ValidationError, marks: Marks) -> list[str]:
    from monitor.yamlmarks import format_loc, mark_for

    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        line = (mark_for(marks, loc) or (0, 0))[0]
        out.append(f"{path}:{line}: {format_loc(loc) or 'pack'}: {err['msg']}")
    return out


_POLICY_FIELDS = ("prose", "expand", "max_chars", "min_span")


def _build(model: RuleModel, pack: PackModel, path: Path) -> Rule:
    policy: dict[str, Any] = {
        k: getattr(pack.defaults, k) for k in _POLICY_FIELDS if getattr(pack.defaults, k) is not None
    }
    policy.update({k: getattr(model, k) for k in _POLICY_FIELDS if getattr(model, k) is not None})
    from monitor.rules.schema import Require

    require = model.require or pack.defaults.require or Require()
    return Rule(
        id=model.id,
        category=model.category,
        lang=model.lang,
        pack=pack.pack,
        description=model.description,
        anchors=tuple(normalize(a) for a in model.anchors),
        patterns=tuple(model.patterns),
        exclude=tuple(model.exclude),
        selectors=tuple(model.selectors),
        jsonld=tuple(model.jsonld.items()),
        statutory=model.statutory,
        enabled=model.enabled,
        supporting=model.supporting,
        links=model.links,
        examples_match=tuple(model.examples.match),
        examples_no_match=tuple(model.examples.no_match),
        source=str(path),
        compiled=tuple(re.compile(p) for p in model.patterns),
        compiled_exclude=tuple(re.compile(p) for p in model.exclude),
        require_any=tuple(require.any),
        require_or_banner=require.or_banner,
        require_scope=require.scope,
        compiled_require=tuple(re.compile(p) for p in require.any),
        **policy,
    )


def load_pack(path: Path) -> list[Rule]:
    """Load and validate one pack file; ``RulePackError("path:line: message")`` when malformed."""
    from pydantic import ValidationError

    from monitor.rules.schema import PackModel
    from monitor.yamlmarks import load_with_marks, mark_for

    try:
        data, marks = load_with_marks(path)
    except ConfigError as exc:
        raise RulePackError(exc.problems) from None
    try:
        pack = PackModel.model_validate(data)
    except ValidationError as exc:
        raise RulePackError(_problems(path, exc, marks)) from None
    problems = []
    for i, model in enumerate(pack.rules):
        if not (model.patterns or model.selectors or model.jsonld):
            line = (mark_for(marks, ("rules", i)) or (0, 0))[0]
            problems.append(f"{path}:{line}: rules[{i}]: rule {model.id!r} has no patterns, selectors or jsonld")
        elif model.patterns and not model.anchors:
            line = (mark_for(marks, ("rules", i)) or (0, 0))[0]
            problems.append(f"{path}:{line}: rules[{i}]: rule {model.id!r} has patterns but no anchors")
        problems.extend(_unmatchable(path, marks, i, model))
    if problems:
        raise RulePackError(problems)
    return [_build(model, pack, path) for model in pack.rules]


def _unmatchable(path: Path, marks: Any, i: int, model: RuleModel) -> list[str]:
    """Patterns spelling a character that normalised text never holds (a silent dead rule otherwise)."""
    from monitor.yamlmarks import mark_for

    fields = {"patterns": model.patterns, "exclude": model.exclude}
    if model.require is not None:
        fields["require"] = model.require.any
    out = []
    for key, patterns in fields.items():
        for j, pattern in enumerate(patterns):
            chars = folded_away(pattern)
            if chars:
                loc = ("rules", i, key, "any", j) if key == "require" else ("rules", i, key, j)
                line = (mark_for(marks, loc) or mark_for(marks, ("rules", i)) or (0, 0))[0]
                out.append(
                    f"{path}:{line}: rules[{i}].{key}[{j}]: rule {model.id!r} spells {''.join(chars)!r}, "
                    "which normalised text never holds (write ё as е, ў as у, every quote as \" or ', "
                    "every dash as -)"
                )
    return out


def load_rule_set(extra_packs: Sequence[Path] = (), disabled: Collection[str] = ()) -> RuleSet:
    """Shipped packs plus ``extra_packs``; the ids in ``disabled`` are kept but switched off."""
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for path in [*shipped_packs(), *map(Path, extra_packs)]:
        for rule in load_pack(path):
            if rule.id in seen:
                raise RulePackError(f"{path}: rule id {rule.id!r} already defined in {seen[rule.id]}")
            seen[rule.id] = str(path)
            rules.append(rule)
    unknown = sorted(set(disabled) - set(seen))
    if unknown:
        raise RulePackError([f"disabled rule {rule_id!r} is not defined in any pack" for rule_id in unknown])
    off = set(disabled)
    return RuleSet([replace(rule, enabled=False) if rule.id in off else rule for rule in rules])


def check_pack_examples(rule_set: RuleSet) -> list[str]:
    """Run every rule's own examples through the detector; one line per failure (empty = all pass)."""
    from monitor.detect import test_rule  # the engine imports this module; import it lazily

    failures: list[str] = []
    for rule in rule_set:
        failures.extend(
            f"{rule.source}: {rule.id}: should match: {example[:120]!r}"
            for example in rule.examples_match
            if not test_rule(rule_set, rule.id, _as_page(example))
        )
        failures.extend(
            f"{rule.source}: {rule.id}: should not match: {example[:120]!r}"
            for example in rule.examples_no_match
            if test_rule(rule_set, rule.id, _as_page(example))
        )
    return failures


def _as_page(example: str) -> str:
    """An example is HTML when it starts with ``<``; plain text is placed in a neutral block."""
    if example.lstrip().startswith("<"):
        return example
    return f"<html><body><div>{_escape(example)}</div></body></html>"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
