"""Alerts are grouped per observation and recipient: one mail for a page that changed in two ways."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from monitor.models import FetchResult, Finding
from monitor.observe import observe
from monitor.store import Store

T0 = datetime(2026, 3, 1, tzinfo=UTC)
LABEL = Finding("foreign_agent_label", "НАСТОЯЩИЙ МАТЕРИАЛ ПРОИЗВЕДЕН ИНОСТРАННЫМ АГЕНТОМ", "ru", "fa", "div")
APPEAL = Finding("donation_appeal", "Поддержите нас: даже 300 рублей в месяц помогают", "ru", "da", "aside")


def test_two_changes_on_one_page_are_one_alert_per_recipient(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'm.db'}")
    url = "https://outlet.example/"
    state = None
    for i, findings in enumerate(([], [LABEL, APPEAL])):
        state, changes = observe(state, fetch_ok=True, findings=findings, confirmations=1)
        fetch = FetchResult(url, url, 200, {}, f"body {i}".encode(), T0)
        events = store.record_observation(
            outlet="O", url=url, fetch=fetch, content_hash=f"h{i}", findings=findings, state=state, changes=changes,
            route=lambda event: ["a@example.org", "b@example.org"],
        )  # fmt: skip
    assert len(events) == 2
    deliveries = store.due_deliveries(T0)
    assert sorted(d.recipient for d in deliveries) == ["a@example.org", "b@example.org"]
    assert all(len(d.events) == 2 for d in deliveries)
    store.close()
