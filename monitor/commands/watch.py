"""``check`` (one pass) and ``run`` (the daemon): the same code path, once or on a schedule."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from monitor.errors import ConfigError

if TYPE_CHECKING:
    from monitor.app import App
    from monitor.config import Config

T = TypeVar("T")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], config: argparse.ArgumentParser) -> None:
    check = sub.add_parser("check", parents=[config], help="one pass over the watchlist: fetch, detect, store, notify")
    check.add_argument("--once", action="store_true", required=True, help="run one pass and exit (required)")
    check.add_argument("--outlet", action="append", metavar="NAME", help="only this outlet (repeatable)")
    check.set_defaults(handler=cmd_check)

    run = sub.add_parser("run", parents=[config], help="the daemon: check on schedule, send alerts and digests")
    run.set_defaults(handler=cmd_run)


def cmd_check(args: argparse.Namespace) -> int:
    from monitor.check import check_once
    from monitor.config import load_config

    config = load_config(args.config)
    outlets = [config.outlet(name) for name in args.outlet] if args.outlet else list(config.outlets)
    outlets = [o for o in outlets if o.enabled]
    if not outlets:
        raise ConfigError(f"{args.config}: no enabled outlets to check")
    summary = run_once(config, Path(args.config), lambda app: check_once(app, outlets))
    print(summary.text())
    return 0


def run_once(config: Config, config_path: Path, work: Callable[[App], Awaitable[T]]) -> T:
    """One pass of ``work`` on a freshly opened App, holding the daemon's lock: a one-off check never runs
    beside the daemon (or another check) on the same database, where both could alert on one change."""
    from monitor.app import App, lock_path
    from monitor.crawl import run
    from monitor.lock import single_instance

    with single_instance(lock_path(config), config_path):
        app = App.open(config)
        try:
            return run(lambda: work(app))
        finally:
            app.close()


def cmd_run(args: argparse.Namespace) -> int:
    from monitor.daemon import run_daemon

    return run_daemon(args.config, log_level=args.log_level)
