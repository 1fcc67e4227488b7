"""drain() over the real SQLite Store and a real SMTP server: the outbox arrives exactly as promised."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from smtp_server import SmtpTestServer

from monitor.models import Change, FetchResult, Finding, FindingChange
from monitor.notify import SmtpChannel, SmtpSettings
from monitor.notify.deliver import drain
from monitor.notify.render import Renderer
from monitor.observe import PageState
from monitor.store import Store

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
URL = "https://meduza.example/news/1"
HOSTILE = "<script>alert(1)</script> НАСТОЯЩИЙ МАТЕРИАЛ ПРОИЗВЕДЕН ИНОСТРАННЫМ АГЕНТОМ"
LABEL = Finding("foreign_agent_label", HOSTILE, "ru", "fa", "h1 + p")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'monitor.db'}")
    yield s
    s.close()


def _record_label(store: Store) -> None:
    """One check that confirms a new label and routes its alert to two editors (one transaction)."""
    fetch = FetchResult(URL, URL, 200, {"Content-Type": "text/html"}, b"<html>x</html>", T0)
    store.record_observation(
        outlet="Meduza",
        url=URL,
        fetch=fetch,
        content_hash="h1",
        findings=[LABEL],
        state=PageState(confirmed=(LABEL,), baselined=True),
        changes=[FindingChange("foreign_agent_label", Change.ADDED, None, HOSTILE)],
        route=lambda event: ["ed1@example.org", "ed2@example.org"],
    )


@pytest.mark.asyncio
async def test_store_outbox_survives_an_outage_and_arrives_once(store: Store) -> None:
    _record_label(store)
    now = {"t": T0}
    server = await SmtpTestServer().start()
    port = server.port
    await server.stop()

    def channel() -> SmtpChannel:
        return SmtpChannel(SmtpSettings(host="127.0.0.1", port=port, security="none", timeout=5))

    report = await drain(store, channel(), Renderer(), sender="pm@example.org", now=lambda: now["t"])
    assert (report.sent, report.retried, report.deferred) == (0, 1, 1)

    async with SmtpTestServer(port=port) as server:
        now["t"] = T0 + timedelta(hours=1)
        for _ in range(2):
            await drain(store, channel(), Renderer(), sender="pm@example.org", now=lambda: now["t"])
        first, second = await server.next_message(), await server.next_message()
    assert len(server.messages) == 2
    assert sorted(str(m["To"]) for m in (first, second)) == ["ed1@example.org", "ed2@example.org"]
    ids = {d.message_id for d in store.deliveries(status="sent")}
    assert {str(m["Message-ID"]) for m in server.messages} == ids
    assert len(ids) == 2
    html = first.get_body(("html",)).get_content()
    assert "&lt;script&gt;" in html
    assert "<script>" not in html
    assert first["Subject"] == "Meduza: foreign-agent label added"


@pytest.mark.asyncio
async def test_digest_from_the_store_is_sent_once(store: Store) -> None:
    _record_label(store)
    events = store.undigested_events("ed1@example.org", "daily")
    delivery = store.create_digest("ed1@example.org", "daily", events, T0)
    assert delivery is not None
    assert (
        store.create_digest("ed1@example.org", "daily", store.undigested_events("ed1@example.org", "daily"), T0) is None
    )
    async with SmtpTestServer() as server:
        channel = SmtpChannel(SmtpSettings(host=server.host, port=server.port, security="none"))
        for _ in range(2):
            await drain(store, channel, Renderer(), sender="pm@example.org", now=lambda: T0)
    digests = [m for m in server.messages if "digest" in str(m["Subject"])]
    assert [str(m["Subject"]) for m in digests] == ["press-monitor daily digest: 1 change at 1 outlet"]
    assert str(digests[0]["Message-ID"]) == delivery.message_id
