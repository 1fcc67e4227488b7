"""Registries end to end: ``press-monitor registries check --once`` against a local registry host.

The host (tests/fixtures/registries/server.py) serves the MoJ REST API (POST /values, paged), the XLSX
export and FARA JSON from the fixture files. A first pass is the baseline; then an entity is added, one
is excluded (MoJ sets the exclusion date) and one leaves the FARA active list: each becomes an event, an
immediate alert and a digest entry.
"""

from __future__ import annotations

import email
import email.policy
import json
import ssl
from pathlib import Path

import pytest
import trustme
from cli_helpers import cli, watchlist
from fixtures.registries.server import FA_ID, RegistryServer

OUTLETS = """\
  - name: Meduza
    homepage: https://meduza.io/
    registry: [{registry: minjust-fa, reg_no: "101"}]
"""


def _config(tmp_path: Path, server: RegistryServer, registries: str) -> Path:
    extra = (
        "subscribers:\n  - {email: desk@example.org, modes: [immediate, daily]}\n"
        "registries:\n" + registries.replace("BASE", server.url(""))
    )
    return watchlist(tmp_path, OUTLETS, extra)


def _mails(tmp_path: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for p in sorted((tmp_path / "outbox").glob("*.eml"))
    ]


@pytest.fixture
def server():
    with RegistryServer() as s:
        yield s


MOJ_AND_FARA = f"""\
  - {{name: minjust-fa, kind: minjust_foreign_agents, page_size: 3,
     url: "BASE/rest/registry/{FA_ID}/values"}}
  - {{name: fara-active, kind: fara_active, url: "BASE/api/v1/Registrants/json/Active", tags: [us]}}
"""


def test_baseline_then_added_excluded_and_removed_entries_become_events_alerts_and_a_digest(tmp_path, server):
    config = _config(tmp_path, server, MOJ_AND_FARA)
    first = cli("registries", "check", "--once", "--config", str(config))
    assert first.code == 0, first.err
    assert "registries checked: 2, failed: 0, events: 0" in first.out
    posts = [r for r in server.requests if r["method"] == "POST"]
    assert [json.loads(r["body"])["offset"] for r in posts] == [0, 3]  # 4 rows, pages of 3
    assert posts[0]["headers"]["Content-Type"].startswith("application/json")
    assert "#" not in posts[1]["path"]

    server.minjust[FA_ID][0]["field_5_s"] = "20.11.2026"  # Meduza excluded
    server.minjust[FA_ID].append({"field_2_s": "Новое СМИ", "field_4_s": "21.11.2026", "field_8_s": "105"})
    server.fara["Active"]["REGISTRANTS_ACTIVE"]["ROW"].pop(1)  # Smith leaves the active list
    second = cli("registries", "check", "--once", "--config", str(config))
    assert second.code == 0, second.err
    assert "events: 3" in second.out

    history = cli("history", "--category", "registry_entry", "--json", "--config", str(config)).json()
    changes = {(e["outlet"], e["change"]) for e in history}
    assert changes == {("Meduza", "removed"), ("minjust-fa", "added"), ("fara-active", "removed")}
    meduza = next(e for e in history if e["outlet"] == "Meduza")
    assert meduza["detail"] == "excluded from the registry on 2026-11-20"
    assert meduza["url"] == server.url(f"/rest/registry/{FA_ID}/values")

    alerts = " ".join(m.get_body(("plain",)).get_content() for m in _mails(tmp_path))
    for name in ("Медуза", "Новое СМИ", "Smith, Jane Q."):
        assert name in alerts
    assert "Registry entry removed" in alerts

    digest = cli("digest", "--send", "--period", "daily", "--config", str(config))
    assert digest.code == 0, digest.err
    (daily,) = [m for m in _mails(tmp_path) if "digest" in m["Subject"]]
    text = daily.get_body(("plain",)).get_content()
    assert "Новое СМИ" in text
    assert "Smith, Jane Q." in text

    third = cli("registries", "check", "--once", "--config", str(config))
    assert "events: 0" in third.out
    listing = cli("registries", "list", "--registry", "minjust-fa", "--json", "--config", str(config)).json()
    assert len(listing) == 5
    assert {e["key"] for e in listing if e["fields"].get("excluded")} == {"reg:101", "reg:103"}


def test_xlsx_export_rebuilt_on_every_download_makes_no_events(tmp_path, server):
    config = _config(
        tmp_path,
        server,
        "  - {name: minjust-fa, format: xlsx, kind: minjust_foreign_agents,\n"
        f'     url: "BASE/rest/registry/{FA_ID}/export"}}\n',
    )
    assert "events: 0" in cli("registries", "check", "--once", "--config", str(config)).out
    again = cli("registries", "check", "--once", "--config", str(config))
    assert "failed: 0, events: 0" in again.out
    server.minjust[FA_ID][1]["field_6_s"] = "tvrain.ru"
    changed = cli("registries", "check", "--once", "--config", str(config))
    assert "events: 1" in changed.out
    assert "domain: tvrain.tv → tvrain.ru" in changed.out


def test_an_html_error_page_or_a_short_page_changes_nothing(tmp_path, server):
    config = _config(
        tmp_path,
        server,
        f'  - {{name: minjust-fa, kind: minjust_foreign_agents, url: "BASE/rest/registry/{FA_ID}/values"}}\n',
    )
    cli("registries", "check", "--once", "--config", str(config))
    server.override = (200, "text/html", b"<html><body>Technical works</body></html>")
    broken = cli("registries", "check", "--once", "--config", str(config))
    assert "failed: 1, events: 0" in broken.out
    assert "unexpected format: not JSON" in broken.out
    server.override = (503, "text/plain", b"busy")
    assert "failed: 1, events: 0" in cli("registries", "check", "--once", "--config", str(config)).out
    status = cli("registries", "status", "--json", "--config", str(config)).json()
    assert status[0]["consecutive_failures"] == 2
    assert status[0]["rows"] == 4
    server.override = None
    assert "failed: 0, events: 0" in cli("registries", "check", "--once", "--config", str(config)).out


def test_tls_is_verified_against_the_registry_ca_bundle(tmp_path):
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    ca.cert_pem.write_to_path(str(tmp_path / "registry-ca.pem"))
    with RegistryServer(tls=context) as server:
        target = f'url: "BASE/rest/registry/{FA_ID}/values"'
        config = _config(
            tmp_path,
            server,
            f"  - {{name: minjust-fa, kind: minjust_foreign_agents, {target}, ca_file: registry-ca.pem}}\n"
            f"  - {{name: untrusted, kind: minjust_foreign_agents, {target}}}\n"
            f"  - {{name: no-bundle, kind: minjust_foreign_agents, {target}, ca_file: missing.pem}}\n",
        )
        ran = cli("registries", "check", "--once", "--config", str(config))
    assert ran.code == 0, ran.err
    assert "registries checked: 3, failed: 2" in ran.out
    assert "failed: no-bundle: ca_file:" in ran.out
    assert "failed: untrusted:" in ran.out
    assert "failed: minjust-fa" not in ran.out


def test_the_xlsx_export_stands_in_when_the_rest_endpoint_fails(tmp_path, server):
    values, export = server.url(f"/rest/registry/{FA_ID}/values"), server.url(f"/rest/registry/{FA_ID}/export")
    registry = f"  - {{name: minjust-fa, kind: minjust_foreign_agents, url: '{values}', fallback_url: '{export}'}}\n"
    config = _config(tmp_path, server, registry)
    assert "failed: 0, events: 0" in cli("registries", "check", "--once", "--config", str(config)).out
    server.failing = {"/values"}
    server.minjust[FA_ID].append({"field_2_s": "Новое СМИ", "field_4_s": "21.11.2026", "field_8_s": "105"})
    fell_back = cli("registries", "check", "--once", "--config", str(config))
    assert "failed: 0, events: 1" in fell_back.out  # only the new entry: same keys from either source
    assert "Новое СМИ" in fell_back.out
    server.failing = {"/values", "/export"}
    both = cli("registries", "check", "--once", "--config", str(config))
    assert "failed: minjust-fa: HTTP 503" in both.out
    assert "fallback: HTTP 503" in both.out


def test_a_list_half_as_long_as_the_last_is_not_recorded(tmp_path, server):
    server.minjust[FA_ID] = [{"field_2_s": f"СМИ {n}", "field_8_s": str(n)} for n in range(12)]
    url = server.url(f"/rest/registry/{FA_ID}/values")
    config = _config(tmp_path, server, f"  - {{name: minjust-fa, kind: minjust_foreign_agents, url: '{url}'}}\n")
    cli("registries", "check", "--once", "--config", str(config))
    server.minjust[FA_ID] = server.minjust[FA_ID][:5]
    shrunk = cli("registries", "check", "--once", "--config", str(config))
    assert "failed: minjust-fa: implausible: 5 rows where the last fetch had 12" in shrunk.out
    assert "events: 0" in shrunk.out
    assert len(cli("registries", "list", "--json", "--config", str(config)).json()) == 12


def test_columns_shows_what_each_moj_column_is_mapped_to(tmp_path, server):
    url = server.url(f"/rest/registry/{FA_ID}/values")
    config = _config(tmp_path, server, f"  - {{name: minjust-fa, kind: minjust_foreign_agents, url: '{url}'}}\n")
    columns = cli("registries", "columns", "minjust-fa", "--json", "--config", str(config))
    assert columns.code == 0, columns.err
    by_id = {c["id"]: c for c in columns.json()}
    assert by_id["field_2_s"] == {
        "id": "field_2_s",
        "title": "Полное наименование / ФИО",
        "suggests": "name",
        "mapped_to": "name",
    }
    assert by_id["field_4_s"]["suggests"] == by_id["field_4_s"]["mapped_to"] == "included"
    assert by_id["field_1_i"]["mapped_to"] is None
