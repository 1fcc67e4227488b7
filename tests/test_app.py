"""The composition root: what App.open refuses, and what it builds only when first needed."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from cli_helpers import REPO, cli, put, watchlist
from mockserver import MockServer

from monitor.app import App
from monitor.config import load_config
from monitor.errors import ConfigError

PAGE = (REPO / "seeds" / "site" / "index.html").read_text(encoding="utf-8")


def test_a_missing_templates_dir_stops_a_check_before_it_fetches(tmp_path: Path) -> None:
    config = watchlist(
        tmp_path, "  - name: Outlet\n    homepage: https://example.org/\n", "mail: {templates_dir: nope}\n"
    )
    with pytest.raises(ConfigError, match=r"templates_dir: .*nope is not a directory"):
        App.open(load_config(config))
    ran = cli("check", "--once", "--config", str(config))
    assert ran.code != 0
    assert "is not a directory" in ran.err


_CHECK_AND_REPORT = """
import sys
from monitor.app import App
from monitor.check import check_once
from monitor.config import load_config
from monitor.crawl import run

app = App.open(load_config(sys.argv[1]))
summary = run(lambda: check_once(app, app.config.outlets))
print(summary.fetched, "renderer" in vars(app), "channel" in vars(app), "jinja2" in sys.modules)
"""


def test_a_check_with_nothing_to_send_builds_no_renderer(tmp_path: Path, mockserver: MockServer) -> None:
    """Jinja2 and the CSS inliner are loaded for the first message, not for every check; the channel is
    built all the same, so a broken mail setup fails the check (tests/test_mail_e2e.py). A check is its own
    process here: Twisted's reactor runs once per process."""
    url = mockserver.url(f"/mutable/{uuid.uuid4().hex}")
    put(url, PAGE)
    config = watchlist(tmp_path, f"  - name: Outlet\n    homepage: {url}\n")
    ran = subprocess.run(
        [sys.executable, "-c", _CHECK_AND_REPORT, str(config)], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["1", "False", "True", "False"]


_PACK = (
    "pack: mine\nrules:\n  - id: my-appeal\n    category: donation_appeal\n    anchors: [kofi]\n"
    "    patterns: ['{pattern}']\n"
)


def _rules_version(tmp_path: Path, where: str, pattern: str) -> str:
    pack = tmp_path / where / "mine.yaml"
    pack.parent.mkdir(parents=True)
    pack.write_text(_PACK.format(pattern=pattern), encoding="utf-8")
    outlets = "  - name: Outlet\n    homepage: https://example.org/\n"
    config = watchlist(tmp_path / where, outlets, f"detection: {{extra_packs: [{pack}]}}\n")
    app = App.open(load_config(config))
    try:
        return app.rules_version(app.config.outlets[0])
    finally:
        app.close()


def test_the_same_rules_installed_elsewhere_keep_their_version_and_an_edited_rule_does_not(tmp_path: Path) -> None:
    # A new version re-detects every stored page: moving an install must not, editing a rule must.
    here = _rules_version(tmp_path, "install-a", "buy us a kofi")
    assert _rules_version(tmp_path, "install-b", "buy us a kofi") == here
    assert _rules_version(tmp_path, "install-c", "buy me a kofi") != here
