"""Reading the record: ``history``, ``show``, ``status``, ``export``, ``evidence``, and ``digest``."""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.commands.output import csv_safe, print_json, print_table, shorten
from monitor.errors import MonitorError
from monitor.models import Event
from monitor.notify.view import printable

if TYPE_CHECKING:
    from monitor.app import App


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], config: argparse.ArgumentParser) -> None:
    history = sub.add_parser(
        "history", parents=[config], help="the recorded events (table: newest first; --json: in time order)"
    )
    _event_filters(history)
    history.add_argument("--json", action="store_true", help="print a JSON array")
    history.set_defaults(handler=cmd_history)

    show = sub.add_parser("show", parents=[config], help="one event: before/after and the word diff")
    show.add_argument("event_id", type=int, metavar="EVENT_ID")
    show.set_defaults(handler=cmd_show)

    export = sub.add_parser("export", parents=[config], help="all events as JSON or CSV, for notebooks/spreadsheets")
    _event_filters(export)
    export.add_argument("--format", choices=["json", "csv"], default="json")
    export.set_defaults(handler=cmd_export)

    status = sub.add_parser("status", parents=[config], help="per page: last check, result, failures; outbox")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=cmd_status)

    digest = sub.add_parser("digest", parents=[config], help="render (--preview) or send (--send) the digests")
    mode = digest.add_mutually_exclusive_group(required=True)
    mode.add_argument("--preview", action="store_true", help="render without sending or recording")
    mode.add_argument("--send", action="store_true", help="queue and send the digests now")
    digest.add_argument("--period", choices=["daily", "weekly"], default="daily")
    digest.add_argument("--out", metavar="FILE", help="with --preview: write the HTML here")
    digest.set_defaults(handler=cmd_digest)


def _event_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--outlet", help="only this outlet")
    parser.add_argument("--category", help="only this category (e.g. foreign_agent_label, availability)")
    parser.add_argument("--change", help="only this change (added, removed, changed, unreachable, recovered)")
    parser.add_argument("--since", type=_date, metavar="DATE", help="only events at or after DATE (YYYY-MM-DD)")


def _date(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (use YYYY-MM-DD)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@contextmanager
def opened_app(config_path: str) -> Iterator[App]:
    from monitor.app import App
    from monitor.config import load_config

    app = App.open(load_config(config_path))
    try:
        yield app
    finally:
        app.close()


def _events(app: App, args: argparse.Namespace) -> list[Event]:
    return app.store.events(outlet=args.outlet, since=args.since, category=args.category, change=args.change)


def cmd_history(args: argparse.Namespace) -> int:
    with opened_app(args.config) as app:
        events = _events(app, args)
    if args.json:
        print_json([e.to_dict() for e in events])
        return 0
    rows = (
        (
            e.id,
            e.created_at.strftime("%Y-%m-%d %H:%M"),
            e.outlet,
            e.category,
            e.change,
            shorten(e.after or e.before or e.detail, 60),
            e.url,
        )
        for e in reversed(events)
    )
    print_table(f"{len(events)} events", ["id", "time (UTC)", "outlet", "category", "change", "text", "url"], rows)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from monitor.commands.show import print_event

    with opened_app(args.config) as app:
        event = app.store.event(args.event_id)
    if event is None:
        raise MonitorError(f"no event #{args.event_id}")
    print_event(event)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    with opened_app(args.config) as app:
        events = [e.to_dict() for e in _events(app, args)]
    if args.format == "json":
        print_json(events)
        return 0
    columns = ["id", "created_at", "outlet", "url", "category", "change", "before", "after", "detail"]
    writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({key: csv_safe(value) for key, value in event.items()} for event in events)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from monitor.commands.show import print_status

    with opened_app(args.config) as app:
        print_status(app, as_json=args.json)
    return 0


def cmd_digest(args: argparse.Namespace) -> int:
    from monitor.app import lock_path
    from monitor.check import utcnow
    from monitor.crawl import run
    from monitor.digest import preview, queue_digests
    from monitor.lock import single_instance
    from monitor.notify.deliver import drain

    with opened_app(args.config) as app:
        if args.preview:
            previews = preview(app, args.period, now=utcnow())
            if not previews:
                print(f"nothing new for a {args.period} digest")
            for recipient, message in previews:
                out = _preview_path(args.out, recipient, several=len(previews) > 1)
                _show_preview(recipient, message, out)
            return 0
        # Sending beside a running daemon could hand one delivery to the server twice: take its lock.
        with single_instance(lock_path(app.config), Path(args.config)):
            queued = queue_digests(app, args.period, now=utcnow())
            report = run(lambda: drain(app.store, app.channel, app.renderer, sender=app.config.mail.sender, now=utcnow))
    print(
        f"{args.period} digests queued: {queued}; sent: {report.sent}, retrying: {report.retried}, "
        f"failed: {report.failed}"
    )
    return 0


def _preview_path(out: str | None, recipient: str, *, several: bool) -> Path | None:
    """``--out FILE``, or FILE with the recipient in its name when several subscribers get a digest."""
    if out is None:
        return None
    path = Path(out)
    if several:
        safe_name = "".join(c if c.isalnum() or c in "@.-" else "_" for c in recipient)
        path = path.with_name(f"{path.stem}-{safe_name}{path.suffix}")
    return path


def _show_preview(recipient: str, message: EmailMessage, out: Path | None) -> None:
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    print(f"To: {recipient}\nSubject: {message['Subject']}\n\n{printable(text)}")
    if out:
        try:
            out.write_text(html, encoding="utf-8")
        except OSError as exc:
            raise MonitorError(f"{out}: cannot write: {exc.strerror or exc}") from None
        print(f"HTML written to {out}")
