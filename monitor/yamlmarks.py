"""Load YAML while remembering where every key and item stood, so errors can name file:line:column."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from monitor.errors import ConfigError

Loc = tuple[str | int, ...]
Marks = dict[Loc, tuple[int, int]]


# libyaml's parser when PyYAML has it (the wheels do): a watchlist of 10,000 pages parses in a fraction of
# the pure-Python time and memory.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: Path) -> Any:
    """Parse ``path`` into plain data (no marks: :func:`load_with_marks` when an error needs a position)."""
    text = _read(path)
    try:
        return yaml.load(text, Loader=_FAST_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise _invalid(path, exc) from None


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


def load_with_marks(path: Path) -> tuple[Any, Marks]:
    """Parse ``path``; return the plain data and a map from key path to (line, column), both 1-based."""
    text = _read(path)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise _invalid(path, exc) from None
    marks: Marks = {}
    if node is None:
        return None, marks
    return _convert(node, (), marks), marks


def _convert(node: yaml.Node, loc: Loc, marks: Marks) -> Any:
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


def mark_for(marks: Marks, loc: Loc) -> tuple[int, int] | None:
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
