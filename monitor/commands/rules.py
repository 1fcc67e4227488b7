"""``rules list`` and ``rules test``: see and try the rule packs."""

from __future__ import annotations

import argparse
from pathlib import Path

from monitor.commands.output import print_json, print_table, shorten


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], config: argparse.ArgumentParser) -> None:
    rules = sub.add_parser("rules", help="list the rule packs' rules, or try one on a page")
    actions = rules.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", parents=[config], help="every rule: id, category, language, pack")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_list)
    trying = actions.add_parser("test", parents=[config], help="run one rule on a page file and print its findings")
    trying.add_argument("rule_id", metavar="RULE_ID")
    trying.add_argument("file", metavar="FILE")
    trying.add_argument("--json", action="store_true")
    trying.set_defaults(handler=cmd_test)


def _rule_set(config_path: str):
    from monitor.config import load_config
    from monitor.rules import load_rule_set

    path = Path(config_path)
    if not path.exists():  # rules work without a watchlist: shipped packs only
        return load_rule_set()
    config = load_config(path)
    base = path.resolve().parent
    return load_rule_set([base / p for p in config.detection.extra_packs], config.detection.disable_rules)


def cmd_list(args: argparse.Namespace) -> int:
    rule_set = _rule_set(args.config)
    rows = [
        (r.id, r.category, r.lang, r.pack, "yes" if r.enabled else "no", shorten(r.description, 60))
        for r in rule_set.rules
    ]
    if args.json:
        print_json(
            [dict(zip(("id", "category", "lang", "pack", "enabled", "description"), row, strict=True)) for row in rows]
        )
    else:
        print_table(f"{len(rows)} rules", ["id", "category", "lang", "pack", "enabled", "description"], rows)
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    from monitor.detect import test_rule
    from monitor.errors import MonitorError

    rule_set = _rule_set(args.config)
    try:
        page = Path(args.file).read_bytes()
    except OSError as exc:
        raise MonitorError(f"{args.file}: cannot read: {exc.strerror or exc}") from None
    findings = test_rule(rule_set, args.rule_id, page)
    if args.json:
        print_json([f.to_dict() for f in findings])
    elif not findings:
        print(f"{args.rule_id}: no match in {args.file}")
    else:
        print_table(
            f"{args.rule_id}: {len(findings)} findings",
            ["category", "location", "matched", "text"],
            ((f.category, f.location, shorten(f.matched, 40), shorten(f.text, 70)) for f in findings),
        )
    return 0
