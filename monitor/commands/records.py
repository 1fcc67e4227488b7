"""``evidence``, ``state`` and ``prune``: the proof behind an event, the current matrix, and retention."""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.commands.inspect import opened_app
from monitor.commands.output import csv_safe, print_json, print_table, shorten
from monitor.config import parse_duration
from monitor.coverage import content_pages, fresh_since
from monitor.coverage import coverage as outlet_coverage
from monitor.store import CategoryState, OutletCoverage

if TYPE_CHECKING:
    from monitor.app import App


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], config: argparse.ArgumentParser) -> None:
    evidence = sub.add_parser("evidence", parents=[config], help="export the WARC records and text behind an event")
    evidence.add_argument("event_id", type=int, metavar="EVENT_ID")
    evidence.add_argument("--out", required=True, metavar="DIR", help="folder to write the evidence into")
    evidence.set_defaults(handler=cmd_evidence)

    state = sub.add_parser("state", parents=[config], help="outlet × category now: on how many pages, since when")
    state.add_argument("--outlet", help="only this outlet")
    fmt = state.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")
    state.set_defaults(handler=cmd_state)

    prune = sub.add_parser("prune", parents=[config], help="delete old unchanged snapshots; evidence is kept")
    prune.add_argument("--older-than", default="90d", type=_age, metavar="AGE", help="e.g. 30d, 12h (default 90d)")
    prune.set_defaults(handler=cmd_prune)


def cmd_evidence(args: argparse.Namespace) -> int:
    from monitor.evidence import export_evidence

    with opened_app(args.config) as app:
        written = export_evidence(app, args.event_id, Path(args.out))
    for path in written:
        print(path)
    return 0


def cmd_state(args: argparse.Namespace) -> int:
    with opened_app(args.config) as app:
        states = without_discovery_urls(app, app.store.category_states(outlet=args.outlet))
        pages = app.store.page_presence(outlet=args.outlet)
        now = datetime.now(UTC)
        # The share counts the outlet's current pages, as coverage events do (see monitor.coverage).
        coverage = [
            c
            for outlet in app.config.outlets
            for c in outlet_coverage(content_pages(pages, outlet, fresh_since(app.config, outlet, now))).values()
        ]
    rows = [
        {
            "outlet": s.outlet,
            "url": s.url,
            "category": s.category,
            "present": s.present,
            "since": s.since.isoformat() if s.since else None,
            "wording": " | ".join(s.wording),
            "last_checked_at": s.last_checked_at.isoformat() if s.last_checked_at else None,
        }
        for s in states
    ]
    if args.json:
        print_json({"pages": rows, "coverage": [_coverage(c) for c in coverage]})
    elif args.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["outlet"])
        writer.writeheader()
        writer.writerows({key: csv_safe(value) for key, value in row.items()} for row in rows)
    else:
        print_table(
            "outlet × category (pages carrying it / pages checked)",
            ["outlet", "category", "pages", "share"],
            ((c.outlet, c.category, f"{c.pages_present}/{c.pages_checked}", f"{c.share:.0%}") for c in coverage),
        )
        present = [r for r in rows if r["present"]]
        print_table(
            "present now",
            ["outlet", "category", "since", "wording", "url"],
            ((r["outlet"], r["category"], r["since"], shorten(r["wording"], 60), r["url"]) for r in present),
        )
    return 0


def without_discovery_urls(app: App, states: list[CategoryState]) -> list[CategoryState]:
    """Feeds and sitemaps find articles; they are not pages that carry banners."""
    discovery = {url for o in app.config.outlets for url in (*o.feeds, *o.sitemaps)}
    return [s for s in states if s.url not in discovery]


def _coverage(c: OutletCoverage) -> dict[str, object]:
    return {
        "outlet": c.outlet,
        "category": c.category,
        "pages_present": c.pages_present,
        "pages_checked": c.pages_checked,
        "share": round(c.share, 4),
    }


def _age(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_prune(args: argparse.Namespace) -> int:
    cutoff = datetime.now(UTC) - timedelta(seconds=args.older_than)
    with opened_app(args.config) as app:
        report = app.store.prune(cutoff)
        removed = app.archive.prune(app.store.archive_refs(), cutoff.date())
    print(
        f"pruned {report.snapshots} snapshots, {report.blobs} bodies, {report.finding_sets} finding sets, "
        f"{len(removed)} WARC files (older than {cutoff:%Y-%m-%d %H:%M} UTC); evidence behind events kept"
    )
    return 0
