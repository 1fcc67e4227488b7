"""The README cannot drift from the code: every command, config key and change kind is documented there."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from pydantic import BaseModel

from monitor.cli import build_parser
from monitor.config import Config, Outlet, Subscriber, SubscriberFilters
from monitor.models import CATEGORIES, Change

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
DOCS = README + "".join(
    p.read_text(encoding="utf-8") for p in (Path(__file__).resolve().parents[1] / "docs").glob("*.md")
)


def _subcommands() -> list[str]:
    parser = build_parser()
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices)


@pytest.mark.parametrize("command", _subcommands())
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"press-monitor {command}" in README


def _keys(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items() if name != "source"]


@pytest.mark.parametrize(
    "key",
    sorted({*_keys(Config), *_keys(Outlet), *_keys(Subscriber), *_keys(SubscriberFilters)}),
)
def test_every_config_key_is_documented(key: str) -> None:
    assert f"{key}:" in DOCS, f"config key {key!r} is not shown in README.md or docs/"


@pytest.mark.parametrize("name", [*CATEGORIES, *(str(c) for c in Change)])
def test_every_category_and_change_kind_is_documented(name: str) -> None:
    assert f"`{name}`" in DOCS
