"""The compliance table on a seeded history: designation dates from a registry, labels from page checks."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from cli_helpers import cli

from monitor.config import Config
from monitor.models import FetchResult, Finding
from monitor.observe import observe
from monitor.registries.compliance import compliance
from monitor.registries.rows import RegistryRow
from monitor.store import Store

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
REGISTRY_URL = "https://reestrs.example/rest/registry/fa/values"
LABEL = Finding("foreign_agent_label", "ДАННОЕ СООБЩЕНИЕ (МАТЕРИАЛ) СОЗДАНО ИНОАГЕНТОМ", "ru", "fa", "header p")
ROWS = [
    ("101", "Медуза", "2021-04-23", None),
    ("102", "Дождь", "2026-03-01", None),
    ("103", "Excluded  Outlet", "2022-01-01", "2026-02-01"),
    ("104", "Молчащее СМИ", "2025-12-01", None),
    ("106", "Дубль", "2024-01-01", None),
    ("107", "Дубль", "2024-02-01", None),
    ("108", "Бывший баннер", "2023-05-05", None),
]
OUTLETS = [  # name, link, {page: [label present at T0, T0+1d, ...]}
    ("Meduza", {"reg_no": "101"}, {"a": [1, 1, 1], "b": [0, 0, 0]}),
    ("TV Rain", {"inn": "7700000102"}, {"a": [0, 0, 1, 1]}),
    ("Gone", {"name": "excluded outlet"}, {"a": [1, 1]}),
    ("Silent", {"reg_no": "104"}, {"a": [0, 0]}),
    ("Fresh", {"reg_no": "106"}, {}),
    ("Twins", {"name": "Дубль"}, {"a": [0]}),
    ("Stopped", {"reg_no": "108"}, {"a": [1, 0]}),
    ("Unknown", {"reg_no": "999"}, {"a": [1]}),
]


def _url(outlet: str, page: str) -> str:
    return f"https://{outlet.lower().replace(' ', '')}.example/{page}"


def _seed(store: Store) -> None:
    rows = []
    for reg_no, name, included, excluded in ROWS:
        fields = {"name": name, "reg_no": reg_no, "inn": f"7700000{reg_no}", "included": included}
        rows.append(RegistryRow(f"reg:{reg_no}", fields | ({"excluded": excluded} if excluded else {})))
    fetch = FetchResult(REGISTRY_URL, REGISTRY_URL, 200, {}, b"{}", T0 - DAY)
    store.registry.apply("minjust-fa", fetch, rows, outlet_for=lambda row: "minjust-fa")
    for outlet, _, pages in OUTLETS:
        for page, series in pages.items():
            url = _url(outlet, page)
            for day, present in enumerate(series):
                _observe(store, outlet, url, T0 + day * DAY, [LABEL] if present else [])


def _observe(store: Store, outlet: str, url: str, at: datetime, findings: list[Finding]) -> None:
    result = FetchResult(url, url, 200, {"Content-Type": "text/html"}, b"<html/>", at)
    state, changes = observe(store.page_state(url), fetch_ok=True, findings=findings, confirmations=1)
    store.record_observation(
        outlet=outlet, url=url, fetch=result, content_hash=str(len(findings)), findings=findings, state=state,
        changes=changes,
    )  # fmt: skip


def _config(db: str) -> dict[str, object]:
    return {
        "storage": {"url": db},
        "registries": [{"name": "minjust-fa", "kind": "minjust_foreign_agents", "url": REGISTRY_URL}],
        "outlets": [
            {"name": name, "homepage": _url(name, ""), "registry": [{"registry": "minjust-fa", **link}]}
            for name, link, _ in OUTLETS
        ],
    }


@pytest.fixture
def seeded(tmp_path):
    db = f"sqlite:///{tmp_path / 'monitor.db'}"
    with Store.open(db) as store:
        _seed(store)
        yield Config.model_validate(_config(db)), store


def test_compliance_rows_per_linked_outlet(seeded):
    config, store = seeded
    rows = {row.outlet: row for row in compliance(config, store)}
    assert {name: row.status for name, row in rows.items()} == {
        "Meduza": "labelling",
        "TV Rain": "labelling",
        "Gone": "labelling_after_exclusion",
        "Silent": "never_labelled",
        "Fresh": "not_checked",
        "Twins": "ambiguous",
        "Stopped": "stopped_labelling",
        "Unknown": "unlinked",
    }
    meduza = rows["Meduza"]
    assert (meduza.designated, meduza.first_label, meduza.label_at_first_check) == ("2021-04-23", T0.isoformat(), True)
    assert meduza.days_to_label is None  # labelled before monitoring began: the lag is unknown
    assert (meduza.pages_labelled, meduza.pages_checked, meduza.share) == (1, 2, 0.5)
    rain = rows["TV Rain"]
    assert (rain.first_label, rain.label_at_first_check, rain.days_to_label) == ((T0 + 2 * DAY).isoformat(), False, 2)
    assert rows["Gone"].excluded == "2026-02-01"
    assert rows["Gone"].entry == "Excluded  Outlet"  # matched by a case- and space-blind exact name
    assert rows["Silent"].first_label is None
    assert rows["Stopped"].label_at_first_check is True
    assert rows["Unknown"].designated is None


def test_an_entry_no_longer_listed_counts_as_excluded(seeded):
    config, store = seeded
    rows = [RegistryRow(e.key, e.fields) for e in store.registry.entries() if e.key != "reg:101"]
    fetch = FetchResult(REGISTRY_URL, REGISTRY_URL, 200, {}, b"{}", T0 + 10 * DAY)
    store.registry.apply("minjust-fa", fetch, rows, outlet_for=lambda row: "minjust-fa")
    meduza = next(r for r in compliance(config, store) if r.outlet == "Meduza")
    assert meduza.status == "labelling_after_exclusion"
    assert meduza.excluded == (T0 + 10 * DAY).date().isoformat()


def test_compliance_command_prints_csv_and_json(seeded, tmp_path):
    config, _ = seeded
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(_config(config.storage.url), allow_unicode=True), encoding="utf-8")
    as_csv = cli("compliance", "--csv", "--config", str(path))
    assert as_csv.code == 0, as_csv.err
    table = list(csv.DictReader(io.StringIO(as_csv.out)))
    assert [r["outlet"] for r in table] == [name for name, _, _ in OUTLETS]
    assert table[1]["days_to_label"] == "2"
    assert table[0]["share"] == "0.5"
    as_json = cli("compliance", "--json", "--config", str(path)).json()
    assert as_json[2]["status"] == "labelling_after_exclusion"
    text = cli("compliance", "--config", str(path))
    assert "Meduza" in text.out
