"""``reload``: tell the running daemon to re-read its config (SIGHUP), found through its lock file."""

from __future__ import annotations

import argparse
import os
import signal

from monitor.errors import MonitorError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], config: argparse.ArgumentParser) -> None:
    reload = sub.add_parser(
        "reload",
        parents=[config],
        help="validate config.yaml, then tell the running daemon to re-read it (SIGHUP)",
    )
    reload.set_defaults(handler=cmd_reload)


def cmd_reload(args: argparse.Namespace) -> int:
    from monitor.app import lock_path
    from monitor.config import load_config
    from monitor.lock import daemon_info

    # Validate here first: an invalid file is reported to the person who ran reload (exit 2), and the
    # daemon is not disturbed. The daemon validates again, since the file may change in between.
    config = load_config(args.config)
    lock = lock_path(config)
    info = daemon_info(lock)
    if not info.running:
        raise MonitorError(f"no press-monitor daemon is running on this database (lock: {lock})")
    if info.pid is None:
        raise MonitorError(f"the daemon holding {lock} has not written its pid yet; try again in a moment")
    try:
        os.kill(info.pid, signal.SIGHUP)
    except ProcessLookupError:
        raise MonitorError(f"the daemon (pid {info.pid}) exited just now; nothing to reload") from None
    except PermissionError:
        raise MonitorError(f"not allowed to signal the daemon (pid {info.pid}); run as its user") from None
    where = f" ({info.config})" if info.config else ""
    print(f"sent SIGHUP to the daemon, pid {info.pid}; it re-reads its config{where} and logs")
    print("event=reloaded, or event=reload_rejected with the reasons while it keeps the old config")
    return 0
