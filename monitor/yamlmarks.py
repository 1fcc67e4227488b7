"""Load YAML while remembering where every key and item stood, so errors can name file:line:column."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from monitor.errors import ConfigError

Loc = tuple[str | int, ...]

# libyaml's parser when PyYAML has it (the wheels do): a watchlist of 10,000 pages parses in a fraction of
# the pure-Python time and memory.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Marks(Mapping[Loc, tuple[int, int]]):
    """Where each key and item of a file stood (line, column; 1-based), found only when first asked: most
    loads are valid and never need a position, and the pure-Python pass that finds them costs ~10x the
    parse. Positions the pass cannot follow (a merge key ``<<``, which libyaml accepted) are left out."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._found: dict[Loc, tuple[int, int]] | None = None

    def _marks(self) -> dict[Loc, tuple[int, int]]:
        if self._found is None:
            self._found = {}
            try:
                node = yaml.compose(self._text, Loader=yaml.SafeLoader)
                if node is not None:
                    _convert(node, (), self._found)
            except yaml.YAMLError:
                pass  # keep what was found before the pass gave up
        return self._found

    def __getitem__(self, loc: Loc) -> tuple[int, int]:
        return self._marks()[loc]

    def __iter__(self) -> Iterator[Loc]:
        return iter(self._marks())

    def __len__(self) -> int:
        return len(self._marks())


def load_with_marks(path: Path) -> tuple[Any, Marks]:
    """Parse ``path``; return the plain data and a map from key path to (line, column), both 1-based."""
    text = _read(path)
    try:
        data = yaml.load(text, Loader=_FAST_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise _invalid(path, exc) from None
    return data, Marks(text)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None


def _invalid(path: Path, exc: yaml.YAMLError) -> ConfigError:
    mark = getattr(exc, "problem_mark", None)
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
    problem = getattr(exc, "problem", None) or str(exc)
    return ConfigError(f"{where}: invalid YAML: {problem}")


def _convert(node: yaml.Node, loc: Loc, marks: dict[Loc, tuple[int, int]]) -> Any:
    marks[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            result[key] = _convert(value_node, (*loc, key), marks)
            # The key's own position beats its value's: "outlets[0].url" points at "url:".
            marks[(*loc, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*loc, i), marks) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    """Construct a scalar the safe way (ints, bools, strings, timestamps)."""
    return yaml.SafeLoader("").construct_object(node, deep=True)


def mark_for(marks: Mapping[Loc, tuple[int, int]], loc: Loc) -> tuple[int, int] | None:
    """The mark of ``loc`` or of its nearest ancestor that has one."""
    for end in range(len(loc), -1, -1):
        found = marks.get(tuple(loc[:end]))
        if found:
            return found
    return None


def format_loc(loc: Loc) -> str:
    """``("outlets", 3, "url")`` → ``outlets[3].url``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
