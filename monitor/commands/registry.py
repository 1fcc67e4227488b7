"""``registries check|list|status`` and ``compliance``: official registries, and how outlets comply."""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import asdict
from pathlib import Path

from monitor.commands.inspect import opened_app
from monitor.commands.output import print_json, print_table, shorten
from monitor.errors import ConfigError, MonitorError

COMPLIANCE_COLUMNS = (
    "outlet", "registry", "link", "status", "entry", "designated", "excluded", "category", "first_label",
    "label_at_first_check", "days_to_label", "pages_labelled", "pages_checked", "share",
)  # fmt: skip


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], config: argparse.ArgumentParser) -> None:
    registries = sub.add_parser("registries", help="official registries: check, list entries, status")
    actions = registries.add_subparsers(dest="registries_command", required=True, metavar="ACTION")
    check = actions.add_parser("check", parents=[config], help="fetch the registries once; record and notify changes")
    check.add_argument("--once", action="store_true", required=True, help="run one pass and exit (required)")
    check.add_argument("--registry", action="append", metavar="NAME", help="only this registry (repeatable)")
    check.set_defaults(handler=cmd_check)
    listing = actions.add_parser("list", parents=[config], help="stored entries with first/last seen")
    listing.add_argument("--registry", metavar="NAME", help="only this registry")
    listing.add_argument("--search", metavar="TEXT", help="entries whose fields contain TEXT (case-blind)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_list)
    status = actions.add_parser("status", parents=[config], help="per registry: last fetch, rows, failures")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=cmd_status)

    columns = actions.add_parser(
        "columns", parents=[config], help="a MoJ registry's column ids and titles (to check its fields:)"
    )
    columns.add_argument("registry", metavar="NAME")
    columns.add_argument("--json", action="store_true")
    columns.set_defaults(handler=cmd_columns)

    compliance = sub.add_parser(
        "compliance", parents=[config], help="per linked outlet: designation → first label seen, share of pages"
    )
    fmt = compliance.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")
    compliance.set_defaults(handler=cmd_compliance)


def cmd_check(args: argparse.Namespace) -> int:
    from monitor.commands.watch import run_once
    from monitor.config import load_config
    from monitor.registries.check import check_registries

    config = load_config(args.config)
    chosen = [config.registry(name) for name in args.registry] if args.registry else list(config.registries)
    chosen = [r for r in chosen if r.enabled]
    if not chosen:
        raise ConfigError(f"{args.config}: no enabled registries to check (add a registries: section)")
    summary = run_once(config, Path(args.config), lambda app: check_registries(app, chosen))
    print(summary.text())
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    with opened_app(args.config) as app:
        entries = app.store.registry.entries(args.registry)
    if args.search:
        needle = args.search.casefold()
        entries = [e for e in entries if any(needle in v.casefold() for v in e.fields.values())]
    if args.json:
        print_json([
            {"registry": e.registry, "key": e.key, "fields": e.fields, "first_seen": e.first_seen,
             "last_seen": e.last_seen, "removed_at": e.removed_at}
            for e in entries
        ])  # fmt: skip
        return 0
    rows = [(e.registry, e.key, shorten(e.row.summary(), 100), f"{e.first_seen:%Y-%m-%d}", _removed(e.removed_at))
            for e in entries]  # fmt: skip
    print_table("Registry entries", ("registry", "key", "entry", "first seen", "no longer listed"), rows)
    return 0


def _removed(value: object) -> str:
    return f"{value:%Y-%m-%d}" if value is not None else ""


def cmd_status(args: argparse.Namespace) -> int:
    with opened_app(args.config) as app:
        sources = app.store.registry.sources()
    if args.json:
        print_json([asdict(s) for s in sources])
        return 0
    rows = [(s.name, s.url, s.rows, s.last_checked_at, s.last_error or "ok", s.consecutive_failures) for s in sources]
    print_table("Registries", ("registry", "url", "rows", "last checked", "last result", "failures in a row"), rows)
    return 0


def cmd_columns(args: argparse.Namespace) -> int:
    from monitor.app import App
    from monitor.config import load_config
    from monitor.crawl import run
    from monitor.registries.check import fetch_columns

    config = load_config(args.config)
    registry = config.registry(args.registry)
    if not registry.kind.startswith("minjust"):
        raise ConfigError(f"{args.config}: registries columns reads the MoJ /info endpoint; {registry.name} is FARA")
    app = App.open(config)
    try:
        columns = run(lambda: fetch_columns(app, registry))
    finally:
        app.close()
    if isinstance(columns, str):
        raise MonitorError(f"{registry.name}: {columns}")
    if args.json:
        print_json(columns)
    else:
        rows = [(c["id"], c["title"], c["suggests"], c["mapped_to"]) for c in columns]
        print_table(f"Columns of {registry.name}", ("id", "title", "title suggests", "mapped to"), rows)
    return 0


def cmd_compliance(args: argparse.Namespace) -> int:
    from monitor.registries.compliance import compliance

    with opened_app(args.config) as app:
        rows = [row.to_dict() for row in compliance(app.config, app.store)]
    if args.json:
        print_json(rows)
    elif args.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=COMPLIANCE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        table = [(r["outlet"], r["registry"], r["status"], r["designated"], r["excluded"], _first(r),
                  r["days_to_label"], f"{r['pages_labelled']}/{r['pages_checked']}") for r in rows]  # fmt: skip
        columns = ("outlet", "registry", "status", "designated", "excluded", "first label seen", "days", "pages")
        print_table("Compliance", columns, table)
    return 0


def _first(row: dict[str, object]) -> str:
    first = row["first_label"]
    if first is None:
        return ""
    return f"≤ {str(first)[:10]} (at first check)" if row["label_at_first_check"] else str(first)[:10]
