"""Terminal views: one event with a coloured word diff, and the status of every page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from rich.text import Text

from monitor.commands.output import console, print_json, print_table
from monitor.models import Event

if TYPE_CHECKING:
    from monitor.app import App

_STYLES = {"insert": "bold green", "delete": "bold red strike", "equal": ""}


def word_diff_text(event: Event) -> Text:
    """Deleted words red and struck through, inserted words green; page text is never read as markup."""
    text = Text()
    for op in event.word_diff:
        text.append(op.text, style=_STYLES.get(op.op, ""))
        text.append(" ")
    return text


def print_event(event: Event) -> None:
    out = console()
    out.print(f"[bold]#{event.id} {escape(event.title)}[/bold]")
    out.print(f"time:     {event.created_at.isoformat()}")
    out.print(f"page:     {escape(event.url)}")
    out.print(f"category: {event.category}    change: {event.change}")
    if event.detail:
        out.print(f"detail:   {escape(event.detail)}")
    if event.before is not None:
        out.print("[bold]before:[/bold]")
        out.print(Text(event.before))
    if event.after is not None:
        out.print("[bold]after:[/bold]")
        out.print(Text(event.after))
    if event.word_diff:
        out.print("[bold]word diff:[/bold]")
        out.print(word_diff_text(event))
    out.print(f"evidence: press-monitor evidence {event.id} --out evidence-{event.id}/")


def print_status(app: App, *, as_json: bool) -> None:
    pages = app.store.page_summaries()
    outbox = app.store.outbox_counts()
    if as_json:
        print_json({"pages": [_as_dict(p) for p in pages], "outbox": outbox})
        return
    rows = ((p.outlet, p.url, _when(p.last_checked_at), p.last_result, p.consecutive_failures) for p in pages)
    print_table("pages", ["outlet", "url", "last check (UTC)", "result", "failures in a row"], rows)
    backlog = ", ".join(f"{k}: {v}" for k, v in sorted(outbox.items())) or "empty"
    console().print(f"outbox: {backlog}")


def _when(moment: object) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if hasattr(moment, "strftime") else "never"


def _as_dict(page: object) -> dict[str, object]:
    from dataclasses import asdict, is_dataclass

    return asdict(page) if is_dataclass(page) and not isinstance(page, type) else dict(vars(page))
