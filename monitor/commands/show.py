"""Terminal views: one event with a coloured word diff, and the status of every outlet, page and delivery."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.text import Text

from monitor.app import lock_path
from monitor.commands.output import console, print_json, print_table, safe
from monitor.lock import DaemonInfo, daemon_info
from monitor.models import Event
from monitor.notify.view import printable
from monitor.schedule import DEFAULT_INTERVAL, due_at, last_checks

if TYPE_CHECKING:
    from monitor.app import App
    from monitor.config import Config, Schedule
    from monitor.store.records import Delivery, PageSummary

_STYLES = {"insert": "bold green", "delete": "bold red strike", "equal": ""}


def word_diff_text(event: Event) -> Text:
    """Deleted words red and struck through, inserted words green; page text is never read as markup."""
    text = Text()
    for op in event.word_diff:
        text.append(printable(op.text), style=_STYLES.get(op.op, ""))
        text.append(" ")
    return text


def print_event(event: Event) -> None:
    out = console()
    out.print(f"[bold]#{event.id} {safe(event.title)}[/bold]")
    out.print(f"time:     {event.created_at.isoformat()}")
    out.print(f"page:     {safe(event.url)}")
    out.print(f"category: {event.category}    change: {event.change}")
    if event.detail:
        out.print(f"detail:   {safe(event.detail)}")
    if event.before is not None:
        out.print("[bold]before:[/bold]")
        out.print(Text(printable(event.before)))
    if event.after is not None:
        out.print("[bold]after:[/bold]")
        out.print(Text(printable(event.after)))
    if event.word_diff:
        out.print("[bold]word diff:[/bold]")
        out.print(word_diff_text(event))
    out.print(f"evidence: press-monitor evidence {event.id} --out evidence-{event.id}/")


def print_status(app: App, *, as_json: bool, now: datetime | None = None) -> None:
    """Per outlet: last check and result, next run, failures in a row; per page; the outbox backlog.
    Everything is read from the store and the config, so it works whether or not the daemon runs."""
    now = now or datetime.now(UTC)
    pages = app.store.page_summaries()
    outlets = outlet_statuses(app.config, pages, now)
    daemon = daemon_info(lock_path(app.config))
    backlog = {status: app.store.deliveries(status=status)[-SHOWN_DELIVERIES:] for status in ("pending", "failed")}
    outbox = app.store.outbox_counts()
    if as_json:
        print_json(
            {
                "daemon": asdict(daemon),
                "outlets": [asdict(o) for o in outlets],
                "pages": [_as_dict(p) for p in pages],
                "outbox": outbox,
                "deliveries": {k: [_delivery(d) for d in v] for k, v in backlog.items()},
            }
        )
        return
    console().print(_daemon_line(daemon))
    print_table(
        "outlets",
        ["outlet", "schedule", "last check (UTC)", "result", "next run (UTC)", "failures in a row"],
        (
            (o.outlet, o.schedule, _when(o.last_checked_at), o.result, _next(o, now), o.consecutive_failures)
            for o in outlets
        ),
    )
    rows = ((p.outlet, p.url, _when(p.last_checked_at), p.last_result, p.consecutive_failures) for p in pages)
    print_table("pages", ["outlet", "url", "last check (UTC)", "result", "failures in a row"], rows)
    _print_backlog(outbox, backlog)


SHOWN_DELIVERIES = 50  # the newest pending/failed deliveries listed; the counts cover all of them


@dataclass(frozen=True)
class OutletStatus:
    """One outlet of the watchlist as ``status`` shows it. ``next_run`` is when its check falls due
    (``due`` when that has passed or it was never checked: the daemon runs it at start)."""

    outlet: str
    enabled: bool
    schedule: str
    last_checked_at: datetime | None
    result: str
    next_run: datetime | None
    due: bool
    consecutive_failures: int
    pages: int
    failing_pages: int


def outlet_statuses(config: Config, pages: Sequence[PageSummary], now: datetime) -> list[OutletStatus]:
    last = last_checks(pages)
    by_outlet: dict[str | None, list[PageSummary]] = {}
    for page in pages:
        by_outlet.setdefault(page.outlet, []).append(page)
    statuses = []
    for outlet in config.outlets:
        schedule = config.schedule_for(outlet)
        mine = [p for p in by_outlet.get(outlet.name, []) if p.last_checked_at is not None]
        failing = [p for p in mine if p.last_result != "ok"]
        due = due_at(schedule, last.get(outlet.name)) if outlet.enabled else None
        statuses.append(
            OutletStatus(
                outlet=outlet.name,
                enabled=outlet.enabled,
                schedule=describe_schedule(schedule),
                last_checked_at=last.get(outlet.name),
                result=_outlet_result(mine, failing),
                next_run=due if due is None or due > now else now,
                due=outlet.enabled and (due is None or due <= now),
                consecutive_failures=max((p.consecutive_failures for p in mine), default=0),
                pages=len(mine),
                failing_pages=len(failing),
            )
        )
    return statuses


def describe_schedule(schedule: Schedule) -> str:
    what = f"cron {schedule.cron}" if schedule.cron else f"every {_span(schedule.interval or DEFAULT_INTERVAL)}"
    return f"{what} ±{_span(schedule.jitter)}" if schedule.jitter else what


def _outlet_result(checked: Sequence[PageSummary], failing: Sequence[PageSummary]) -> str:
    if not checked:
        return "never checked"
    if not failing:
        return "ok"
    if len(failing) == len(checked):
        return (
            failing[0].last_result
            if len(checked) == 1
            else f"all {len(checked)} pages failed: {failing[0].last_result}"
        )
    return f"{len(failing)} of {len(checked)} pages failed: {failing[0].last_result}"


def _next(status: OutletStatus, now: datetime) -> str:
    if not status.enabled:
        return "disabled"
    if status.last_checked_at is None:
        return "now (never checked)"
    if status.due or status.next_run is None:
        return "now (overdue)"
    return f"{_when(status.next_run)} (in {_span((status.next_run - now).total_seconds())})"


def _span(seconds: float) -> str:
    """``1h``, ``2m``, ``1h30m``, ``3d4h``: the two largest non-zero units."""
    left, parts = max(0, round(seconds)), []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if left >= size:
            parts.append(f"{left // size}{unit}")
            left %= size
    return "".join(parts[:2]) or "0s"


def _daemon_line(daemon: DaemonInfo) -> str:
    if not daemon.running:
        return "daemon: not running (next runs below are when each check falls due)"
    return f"daemon: running, pid {daemon.pid or '?'}, since {daemon.started or '?'}"


def _print_backlog(outbox: dict[str, int], backlog: dict[str, list[Delivery]]) -> None:
    console().print("outbox: " + ", ".join(f"{k}: {v}" for k, v in sorted(outbox.items())))
    if backlog["pending"]:
        rows = (
            (d.id, d.kind, d.recipient, d.attempts, _when(d.next_attempt_at), d.last_error) for d in backlog["pending"]
        )
        print_table("pending deliveries", ["id", "kind", "recipient", "attempts", "next attempt", "last error"], rows)
    if backlog["failed"]:
        rows = ((d.id, d.kind, d.recipient, d.attempts, d.last_error) for d in backlog["failed"])
        print_table("failed deliveries", ["id", "kind", "recipient", "attempts", "last error"], rows)


def _delivery(delivery: Delivery) -> dict[str, object]:
    fields = ("id", "kind", "recipient", "status", "attempts", "next_attempt_at", "last_error", "message_id")
    return {name: getattr(delivery, name) for name in fields} | {
        "created_at": delivery.created_at,
        "event_ids": list(delivery.event_ids),
    }


def _when(moment: object) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if hasattr(moment, "strftime") else "never"


def _as_dict(page: object) -> dict[str, object]:
    from dataclasses import is_dataclass

    return asdict(page) if is_dataclass(page) and not isinstance(page, type) else dict(vars(page))
