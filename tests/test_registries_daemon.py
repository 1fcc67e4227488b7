"""The daemon schedules registries: a real daemon process checks a local registry on an interval."""

from __future__ import annotations

import os

from cli_helpers import watchlist
from daemon_helpers import DaemonProcess
from fixtures.registries.server import FA_ID, RegistryServer

OUTLETS = "  - {name: Meduza, homepage: 'https://meduza.io/', enabled: false}\n"


def test_daemon_checks_each_registry_on_its_schedule_and_sends_the_alert(tmp_path):
    with RegistryServer() as server:
        url = server.url(f"/rest/registry/{FA_ID}/values")
        registry = f"  - {{name: minjust-fa, kind: minjust_foreign_agents, url: '{url}', schedule: {{interval: 1s}}}}\n"
        extra = "subscribers:\n  - {email: desk@example.org}\nregistries:\n" + registry
        config = watchlist(tmp_path, OUTLETS, extra)
        env = {**os.environ, "PRESS_MONITOR_MIN_INTERVAL": "1"}
        daemon = DaemonProcess(config, env=env)
        try:
            daemon.wait_for("event=registry_checked registry=minjust-fa rows=4 events=0")
            server.minjust[FA_ID].append({"field_2_s": "Новое СМИ", "field_4_s": "21.11.2026", "field_8_s": "105"})
            daemon.wait_for("event=registry_checked registry=minjust-fa rows=5 events=1")
            daemon.wait_for("sent=1")
            assert daemon.stop() == 0
        finally:
            daemon.kill()
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
