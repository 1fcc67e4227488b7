"""The ``press-monitor`` command line. Every stage of the loop is a subcommand over the same code the daemon runs.

Exit status: 0 success (a check whose sites failed still succeeds: failures are reported), 1 a runtime
error, 2 invalid configuration or usage, 3 a storage error.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from monitor import __version__
from monitor.errors import ConfigError, MonitorError, StoreError

log = logging.getLogger(__name__)

Handler = Callable[[argparse.Namespace], int]
DEFAULT_CONFIG = os.environ.get("PRESS_MONITOR_CONFIG", "config.yaml")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="press-monitor",
        description="Watch independent media for foreign-agent labels, statements, undesirable notices, "
        "donation appeals, paywalls and state-media labels; report every change with evidence.",
    )
    parser.add_argument("--version", action="version", version=f"press-monitor {__version__}")
    parser.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING or ERROR (default INFO)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    from monitor import commands

    for register in commands.REGISTRY:
        register(sub, _config_parent())
    return parser


def _config_parent() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--config",
        default=DEFAULT_CONFIG,
        metavar="PATH",
        help="the watchlist (default: config.yaml, or $PRESS_MONITOR_CONFIG)",
    )
    return parent


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from monitor.logs import setup_logging

    setup_logging(args.log_level)
    handler: Handler = args.handler
    try:
        return handler(args)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"storage error: {exc}", file=sys.stderr)
        return 3
    except MonitorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `press-monitor history | head` closes our stdout early; that is not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
