"""drain(): retries, backoff, permanent failures, and at-least-once with a stable Message-ID.

The store is a small in-memory fake of the DeliveryStore seam (monitor.store implements the real
one); the channels are real: aiosmtpd on the test loop, and the on-disk outbox.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from smtp_server import SmtpTestServer

from monitor.errors import PermanentDeliveryError
from monitor.models import Change, Event
from monitor.notify import OutboxChannel, SmtpChannel, SmtpSettings
from monitor.notify.deliver import MAX_DELAY, backoff, drain
from monitor.notify.render import Renderer

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@dataclass
class FakeDelivery:
    id: int
    recipient: str
    kind: str
    events: list[Event]
    message_id: str
    attempts: int = 0
    state: str = "pending"
    next_attempt_at: datetime = T0
    errors: list[str] = field(default_factory=list)


class FakeStore:
    """In-memory DeliveryStore; ``crash_on_mark_sent`` simulates dying right after a send."""

    def __init__(self, deliveries: list[FakeDelivery]) -> None:
        self.rows = {d.id: d for d in deliveries}
        self.crash_on_mark_sent = 0

    def due_deliveries(self, now: datetime) -> list[FakeDelivery]:
        return [d for d in self.rows.values() if d.state == "pending" and d.next_attempt_at <= now]

    def mark_sent(self, delivery_id: int, now: datetime) -> None:
        if self.crash_on_mark_sent:
            self.crash_on_mark_sent -= 1
            raise KeyboardInterrupt  # the process dies: nothing recorded
        self.rows[delivery_id].state = "sent"

    def mark_retry(self, delivery_id: int, error: str, next_attempt_at: datetime, *, count: bool = True) -> None:
        row = self.rows[delivery_id]
        row.attempts += int(count)
        row.errors.append(error)
        row.next_attempt_at = next_attempt_at

    def mark_failed(self, delivery_id: int, error: str) -> None:
        row = self.rows[delivery_id]
        row.state = "failed"
        row.errors.append(error)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def _event(i: int, outlet: str = "Meduza") -> Event:
    return Event(i, outlet, f"https://{outlet.lower()}.example/{i}", "paywall", Change.ADDED, T0)


def _deliveries(n: int, kind: str = "alert") -> list[FakeDelivery]:
    return [
        FakeDelivery(i, f"ed{i}@example.org", kind, [_event(i)], message_id=f"delivery-{i}.test@pm") for i in range(n)
    ]


def _ids(messages: list[EmailMessage]) -> list[str]:
    return sorted(str(m["Message-ID"]) for m in messages)


def _eml_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.eml"))


def _smtp(server: SmtpTestServer, port: int | None = None) -> SmtpChannel:
    return SmtpChannel(SmtpSettings(host=server.host, port=port or server.port, security="none", timeout=5))


@pytest.mark.asyncio
async def test_server_down_then_up_delivers_each_exactly_once() -> None:
    store, clock, renderer = FakeStore(_deliveries(3)), Clock(), Renderer(clock=lambda: T0)
    server = await SmtpTestServer().start()
    port = server.port
    await server.stop()

    report = await drain(store, _smtp(server, port), renderer, sender="pm@example.org", now=clock)
    # The first failure shows the channel is down: one attempt is counted, the rest wait untouched.
    assert (report.sent, report.retried, report.failed, report.deferred) == (0, 1, 0, 2)
    assert [d.attempts for d in store.rows.values()] == [0, 0, 0]  # an outage uses up no attempt
    assert store.rows[0].next_attempt_at > T0

    async with SmtpTestServer(port=port) as server:
        report = await drain(store, _smtp(server), renderer, sender="pm@example.org", now=clock)
        assert report.sent == 2  # delivery 0 is not due yet
        clock.now = T0 + timedelta(hours=1)
        report = await drain(store, _smtp(server), renderer, sender="pm@example.org", now=clock)
        assert report.sent == 1
        assert (await drain(store, _smtp(server), renderer, sender="pm@example.org", now=clock)).sent == 0
    assert _ids(server.messages) == [f"<delivery-{i}.test@pm>" for i in range(3)]
    assert all(d.state == "sent" for d in store.rows.values())


@pytest.mark.asyncio
async def test_4xx_retries_then_succeeds_and_5xx_fails_at_once() -> None:
    store, clock = FakeStore(_deliveries(2)), Clock()
    async with SmtpTestServer() as server:
        server.fail_next("451 4.3.0 greylisted")
        server.fail_next("550 5.1.1 no such mailbox")
        report = await drain(store, _smtp(server), Renderer(), sender="pm@example.org", now=clock)
        assert (report.sent, report.retried, report.failed) == (0, 1, 1)
        assert store.rows[1].state == "failed"
        assert "550" in store.rows[1].errors[0]
        clock.now += timedelta(minutes=5)
        report = await drain(store, _smtp(server), Renderer(), sender="pm@example.org", now=clock)
        assert report.sent == 1
    assert _ids(server.messages) == ["<delivery-0.test@pm>"]
    assert store.rows[0].state == "sent"
    assert store.rows[1].state == "failed"


@pytest.mark.asyncio
async def test_gives_up_after_max_attempts() -> None:
    store, clock = FakeStore(_deliveries(1)), Clock()
    async with SmtpTestServer() as server:
        server.fail_next("452 4.2.2 mailbox full", times=10)
        for _ in range(3):
            await drain(store, _smtp(server), Renderer(), sender="pm@example.org", now=clock, max_attempts=3)
            clock.now += timedelta(days=1)
    row = store.rows[0]
    assert (row.state, row.attempts) == ("failed", 2)
    assert "gave up after 3 attempts" in row.errors[-1]
    assert len(server.handler.rejected) == 3


@pytest.mark.asyncio
async def test_crash_after_send_resends_the_same_message_id(tmp_path: Path) -> None:
    """At-least-once: the re-send carries the same Message-ID, and the outbox keeps one copy."""
    store, clock = FakeStore(_deliveries(1)), Clock()
    store.crash_on_mark_sent = 1
    outbox = OutboxChannel(tmp_path)
    async with SmtpTestServer() as server:
        with pytest.raises(KeyboardInterrupt):
            await drain(store, _smtp(server), Renderer(), sender="pm@example.org", now=clock)
        await drain(store, _smtp(server), Renderer(), sender="pm@example.org", now=clock)
    assert _ids(server.messages) == ["<delivery-0.test@pm>"] * 2

    store = FakeStore(_deliveries(1))
    store.crash_on_mark_sent = 1
    with pytest.raises(KeyboardInterrupt):
        await drain(store, outbox, Renderer(), sender="pm@example.org", now=clock)
    report = await drain(store, outbox, Renderer(), sender="pm@example.org", now=clock)
    assert report.sent == 1
    assert len(_eml_files(tmp_path)) == 1


@pytest.mark.asyncio
async def test_big_digest_is_sent_once_grouped_and_truncated() -> None:
    events = [_event(i, outlet=f"Outlet {i % 7}") for i in range(350)]
    store = FakeStore([FakeDelivery(1, "ed@example.org", "weekly", events, message_id="weekly-1@pm")])
    async with SmtpTestServer() as server:
        for _ in range(2):
            await drain(store, _smtp(server), Renderer(), sender="pm@example.org", now=Clock())
        received = await server.next_message()
    assert len(server.messages) == 1
    assert received["Subject"] == "press-monitor weekly digest: 350 changes at 7 outlets"
    text = received.get_body(("plain",)).get_content()
    assert text.count("more changes at Outlet") == 7
    assert "and 30 more changes at Outlet 0" in text


@pytest.mark.asyncio
async def test_an_outage_never_exhausts_a_delivery() -> None:
    """Channel down says nothing about the message: it keeps its place instead of failing."""
    store, clock = FakeStore(_deliveries(2)), Clock()
    store.rows[0].attempts = 50
    server = await SmtpTestServer().start()
    port = server.port
    await server.stop()
    for _ in range(3):
        await drain(store, _smtp(server, port), Renderer(), sender="pm@example.org", now=clock, max_attempts=3)
        clock.now += MAX_DELAY * 1.1
    assert [row.state for row in store.rows.values()] == ["pending", "pending"]
    async with SmtpTestServer(port=port) as server:
        report = await drain(store, _smtp(server), Renderer(), sender="pm@example.org", now=clock)
    assert report.sent == 2


class Exploding:
    async def send(self, message: EmailMessage) -> None:
        raise RuntimeError("bug in a channel")


class Rejecting:
    def __init__(self) -> None:
        self.seen = 0

    async def send(self, message: EmailMessage) -> None:
        self.seen += 1
        raise PermanentDeliveryError("554 rejected")


@pytest.mark.asyncio
async def test_odd_deliveries_and_buggy_channels_do_not_wedge_the_queue() -> None:
    rows = [*_deliveries(1, kind="hourly"), FakeDelivery(5, "ed@example.org", "daily", [], message_id="d5")]
    store = FakeStore(rows)
    rejecting = Rejecting()
    report = await drain(store, rejecting, Renderer(), sender="pm@example.org", now=Clock())
    assert report.failed == 2
    assert rejecting.seen == 0  # nothing rendered, nothing sent
    assert "unknown delivery kind" in store.rows[0].errors[0]
    assert "no events" in store.rows[5].errors[0]

    store = FakeStore(_deliveries(2))
    report = await drain(store, Exploding(), Renderer(), sender="pm@example.org", now=Clock())
    assert report.retried == 2
    assert all("RuntimeError" in d.errors[0] for d in store.rows.values())


def test_backoff_grows_exponentially_with_bounded_jitter_and_a_cap() -> None:
    rng = random.Random(7)  # noqa: S311  (seeded for a repeatable test; jitter is not crypto)
    delays = [backoff(n, 60.0, rng) for n in range(1, 6)]
    for n, delay in enumerate(delays, start=1):
        base = timedelta(seconds=60 * 2 ** (n - 1))
        assert base <= delay <= base * 1.1
    assert backoff(40, 60.0, rng) <= MAX_DELAY * 1.1
