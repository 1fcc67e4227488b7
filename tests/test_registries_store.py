"""Registry rows in the store: baseline, first/last seen, events with outbox deliveries, failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.models import FetchResult
from monitor.registries.rows import RegistryRow
from monitor.store import Store

URL = "https://reestrs.example/rest/registry/fa/values"
T0 = datetime(2026, 1, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    with Store.open(f"sqlite:///{tmp_path / 'monitor.db'}") as s:
        yield s


def _fetch(at: datetime) -> FetchResult:
    return FetchResult(URL, URL, 200, {"Content-Type": "application/json"}, b"{}", at)


def _row(reg_no: str, name: str, **fields: str) -> RegistryRow:
    return RegistryRow(f"reg:{reg_no}", {"name": name, "reg_no": reg_no, **fields})


def _apply(store: Store, rows: list[RegistryRow], at: datetime, route=None):
    names = {"101": "Meduza"}
    return store.registry.apply(
        "minjust-fa",
        _fetch(at),
        rows,
        outlet_for=lambda r: names.get(r.fields.get("reg_no", ""), "minjust-fa"),
        route=route,
    )


def test_first_fetch_is_a_baseline_then_changes_are_events_with_deliveries(store):
    meduza, other = _row("101", "Медуза", included="2021-04-23"), _row("102", "Другой")
    assert _apply(store, [meduza, other], T0) == []
    excluded = _row("101", "Медуза", included="2021-04-23", excluded="2026-01-09")
    newcomer = _row("103", "Новый", included="2026-01-09")
    events = _apply(store, [excluded, newcomer], T0 + timedelta(days=7), route=lambda e: ["desk@example.org"])
    by_change = {(e.change, e.outlet) for e in events}
    assert by_change == {("removed", "Meduza"), ("added", "minjust-fa"), ("removed", "minjust-fa")}
    exclusion = next(e for e in events if e.outlet == "Meduza")
    assert exclusion.category == "registry_entry"
    assert exclusion.url == URL
    assert exclusion.detail == "excluded from the registry on 2026-01-09"
    assert "Медуза (reg. no. 101)" in exclusion.after
    # every event reaches the outbox in the same transaction (alerts may batch several events)
    assert sorted(i for d in store.deliveries() for i in d.event_ids) == sorted(e.id for e in events)
    assert [e.id for e in store.events(category="registry_entry")] == [e.id for e in events]


def test_entries_keep_first_and_last_seen_and_removal(store):
    _apply(store, [_row("101", "A"), _row("102", "B")], T0)
    _apply(store, [_row("101", "A")], T0 + timedelta(days=1))
    _apply(store, [_row("101", "A"), _row("102", "B")], T0 + timedelta(days=2))
    entries = {e.key: e for e in store.registry.entries("minjust-fa")}
    assert entries["reg:101"].first_seen == T0
    assert entries["reg:101"].last_seen == T0 + timedelta(days=2)
    assert entries["reg:102"].removed_at is None  # listed again
    events = store.events(category="registry_entry")
    assert [(e.change, e.created_at) for e in events] == [
        ("removed", T0 + timedelta(days=1)),
        ("added", T0 + timedelta(days=2)),
    ]


def test_a_failed_fetch_changes_no_rows_and_is_reported(store):
    _apply(store, [_row("101", "A")], T0)
    store.registry.record_failure("minjust-fa", _fetch(T0 + timedelta(hours=1)), "not JSON (starts with '<html>')")
    (source,) = store.registry.sources()
    assert (source.baselined, source.rows, source.consecutive_failures) == (True, 1, 1)
    assert source.last_error.startswith("not JSON")
    assert [e.key for e in store.registry.entries()] == ["reg:101"]
    assert _apply(store, [_row("101", "A")], T0 + timedelta(hours=2)) == []
    assert store.registry.sources()[0].consecutive_failures == 0


def test_same_rows_in_another_order_make_no_events(store):
    rows = [_row(str(n), f"N{n}") for n in range(5)]
    _apply(store, rows, T0)
    assert _apply(store, list(reversed(rows)), T0 + timedelta(hours=1)) == []


def test_events_of_unlinked_entries_carry_the_registry_tags(store):
    fetch = _fetch(T0)
    store.registry.apply("minjust-fa", fetch, [_row("102", "B")], outlet_for=lambda r: "minjust-fa", tags=["russia"])
    later = _fetch(T0 + timedelta(days=1))
    (event,) = store.registry.apply("minjust-fa", later, [], outlet_for=lambda r: "minjust-fa", tags=["russia"])
    assert event.tags == ("russia",)
    assert store.category_states() == []  # the tag holder is not an outlet


def test_a_registry_that_keeps_failing_is_unreachable_once_then_recovered(store):
    _apply(store, [_row("101", "A")], T0)
    fails = [
        store.registry.record_failure(
            "minjust-fa", _fetch(T0 + n * timedelta(hours=1)), "HTTP 503", unreachable_after=2
        )
        for n in (1, 2, 3)
    ]
    assert [len(events) for events in fails] == [0, 1, 0]
    (down,) = fails[1]
    assert (down.category, down.change, down.outlet, down.after) == (
        "availability",
        "unreachable",
        "minjust-fa",
        "HTTP 503",
    )
    back = store.registry.apply(
        "minjust-fa", _fetch(T0 + timedelta(hours=4)), [_row("101", "A")], outlet_for=str, unreachable_after=2
    )
    assert [(e.change, e.before) for e in back] == [("recovered", "HTTP 503")]
