"""Printing helpers shared by subcommands: JSON to stdout, tables through rich."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from monitor.notify.view import printable


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A table for people. Cells are escaped: page text must be read neither as rich markup nor as terminal
    escape sequences (a page could otherwise clear the screen or plant a link)."""
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(safe(cell) for cell in row))
    console().print(table)


def safe(cell: object) -> str:
    """One table cell: control characters (ESC among them) dropped, rich markup escaped."""
    return escape(printable("" if cell is None else str(cell)))


def csv_safe(value: object) -> object:
    """A spreadsheet runs a cell starting with = + - @ as a formula: page text must stay text."""
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return value


def console() -> Console:
    return Console(soft_wrap=False, highlight=False)


def shorten(text: str | None, width: int = 90) -> str:
    if not text:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
