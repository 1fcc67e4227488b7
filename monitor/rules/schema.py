"""The pydantic schema of a rule pack file (see :mod:`monitor.rules` for the format)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from monitor.models import CATEGORIES

# Nested unbounded quantifiers such as (a+)+ or (.*)* backtrack catastrophically on hostile pages.
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*](?:[^()\\]|\\.)*\)[+*]")


class Examples(BaseModel):
    model_config = ConfigDict(extra="forbid")
    match: list[str] = Field(default_factory=list)
    no_match: list[str] = Field(default_factory=list)


class Require(BaseModel):
    model_config = ConfigDict(extra="forbid")
    any: list[str] = Field(default_factory=list)
    or_banner: bool = False
    scope: Literal["all", "prose"] = "all"

    @field_validator("any")
    @classmethod
    def _valid_regexes(cls, values: list[str]) -> list[str]:
        for value in values:
            _check_regex(value)
        return values


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prose: Literal["allow", "standalone", "deny"] | None = None
    expand: Literal["container", "block"] | None = None
    max_chars: int | None = Field(default=None, gt=0)
    min_span: int | None = Field(default=None, ge=0)
    require: Require | None = None


class RuleModel(Policy):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,79}$")
    category: str
    lang: str = "und"
    description: str = ""
    enabled: bool = True
    supporting: bool = False
    links: bool = False
    anchors: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    selectors: list[str] = Field(default_factory=list)
    jsonld: dict[str, Any] = Field(default_factory=dict)
    statutory: str | None = None
    examples: Examples = Field(default_factory=Examples)

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if value not in CATEGORIES:
            raise ValueError(f"unknown category {value!r} (expected one of {', '.join(CATEGORIES)})")
        return value

    @field_validator("patterns", "exclude")
    @classmethod
    def _valid_regexes(cls, values: list[str]) -> list[str]:
        for value in values:
            _check_regex(value)
        return values


def _check_regex(value: str) -> None:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"bad regex {value!r}: {exc}") from None
    if _NESTED_QUANTIFIER.search(value):
        raise ValueError(f"regex {value!r} nests unbounded quantifiers (catastrophic backtracking)")


class PackModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pack: str
    description: str = ""
    version: int = 1
    defaults: Policy = Field(default_factory=Policy)
    rules: list[RuleModel]
