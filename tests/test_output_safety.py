"""Page text reaching a terminal, a spreadsheet or a Markdown summary stays inert text."""

from __future__ import annotations

from monitor.commands.output import csv_safe, safe
from monitor.evidence import fenced

HOSTILE = "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\\x1b[2J[bold]x[/bold]"


def test_terminal_cells_lose_escape_sequences_and_markup() -> None:
    cell = safe(HOSTILE)
    assert "\x1b" not in cell
    assert "\\[bold]" in cell  # escaped for rich, shown literally


def test_csv_cells_never_start_a_formula() -> None:
    assert csv_safe('=HYPERLINK("http://evil.example","x")') == '\'=HYPERLINK("http://evil.example","x")'
    assert csv_safe("@SUM(A1)") == "'@SUM(A1)"
    assert csv_safe("ИНОСТРАННЫМ АГЕНТОМ") == "ИНОСТРАННЫМ АГЕНТОМ"
    assert csv_safe(42) == 42


def test_markdown_fence_outlasts_backticks_in_the_text() -> None:
    block = fenced("```\n</code>[x](javascript:alert(1)) ![](http://tracker.example/p.gif)````" + HOSTILE)
    assert block[0] == block[-1] == "`````"
    assert "\x1b" not in block[1]
