"""The outbox: deliveries (alerts and digests) and what each recipient has been sent.

A delivery row is written in the same transaction as the events it carries, so an event can
never exist without the alerts it routes to (nor an alert without its event). Senders then poll
:func:`due` and record outcomes; nothing here talks to SMTP.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from monitor.errors import StoreError
from monitor.models import Event
from monitor.store.queries import to_events
from monitor.store.records import DELIVERY_KINDS, DELIVERY_STATUSES, Delivery
from monitor.store.schema import DeliveryEventRow, DeliveryRow, DigestMarkRow, EventRow

Route = Callable[[Event], Sequence[str]]


def _message_id(kind: str) -> str:
    return f"<{kind}.{uuid.uuid4().hex}@press-monitor.invalid>"


def add_delivery(session: Session, recipient: str, kind: str, event_ids: Sequence[int], now: datetime) -> int:
    if kind not in DELIVERY_KINDS:
        raise StoreError(f"unknown delivery kind {kind!r} (expected one of {', '.join(DELIVERY_KINDS)})")
    row = DeliveryRow(
        recipient=recipient,
        kind=kind,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        message_id=_message_id(kind),
        created_at=now,
    )
    session.add(row)
    session.flush()
    session.add_all(DeliveryEventRow(delivery_id=row.id, event_id=eid) for eid in dict.fromkeys(event_ids))
    return row.id


def add_alerts(session: Session, events: Sequence[Event], route: Route, now: datetime) -> None:
    """One ``alert`` delivery per recipient, holding every event of this observation ``route(event)``
    sends it: a page that gains a label and an appeal at once is one mail, not two."""
    per_recipient: dict[str, list[int]] = {}
    for event in events:
        for recipient in route(event):
            per_recipient.setdefault(recipient, []).append(event.id)
    for recipient, event_ids in per_recipient.items():
        add_delivery(session, recipient, "alert", event_ids, now)


def to_deliveries(session: Session, rows: Sequence[DeliveryRow]) -> list[Delivery]:
    ids = [row.id for row in rows]
    links: dict[int, list[int]] = defaultdict(list)
    for delivery_id, event_id in session.execute(
        select(DeliveryEventRow.delivery_id, DeliveryEventRow.event_id)
        .where(DeliveryEventRow.delivery_id.in_(ids))
        .order_by(DeliveryEventRow.event_id)
    ):
        links[delivery_id].append(event_id)
    wanted = {eid for eids in links.values() for eid in eids}
    event_rows = session.scalars(select(EventRow).where(EventRow.id.in_(wanted)).order_by(EventRow.id))
    events = {event.id: event for event in to_events(session, list(event_rows))}
    return [
        Delivery(
            id=row.id,
            recipient=row.recipient,
            kind=row.kind,
            event_ids=tuple(links[row.id]),
            status=row.status,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            last_error=row.last_error,
            message_id=row.message_id,
            created_at=row.created_at,
            sent_at=row.sent_at,
            events=tuple(events[eid] for eid in links[row.id] if eid in events),
        )
        for row in rows
    ]


def due(session: Session, now: datetime) -> list[Delivery]:
    rows = session.scalars(_due(now).order_by(DeliveryRow.next_attempt_at, DeliveryRow.id))
    return to_deliveries(session, list(rows))


def any_due(session: Session, now: datetime) -> bool:
    return session.scalars(_due(now).limit(1)).first() is not None


def _due(now: datetime) -> Select[tuple[DeliveryRow]]:
    return select(DeliveryRow).where(DeliveryRow.status == "pending", DeliveryRow.next_attempt_at <= now)


def _row(session: Session, delivery_id: int) -> DeliveryRow:
    row = session.get(DeliveryRow, delivery_id)
    if row is None:
        raise StoreError(f"no delivery with id {delivery_id}")
    return row


def mark(
    session: Session,
    delivery_id: int,
    status: str,
    *,
    error: str | None = None,
    next_attempt_at: datetime | None = None,
    sent_at: datetime | None = None,
    count: bool = True,
) -> None:
    """Record one send attempt's outcome; ``count`` says whether it uses up one of the message's attempts."""
    row = _row(session, delivery_id)
    row.status = status
    row.attempts += int(count)
    if error is not None:
        row.last_error = error
    if next_attempt_at is not None:
        row.next_attempt_at = next_attempt_at
    if sent_at is not None:
        row.sent_at = sent_at


def create_digest(session: Session, recipient: str, period: str, events: Sequence[Event], now: datetime) -> int | None:
    """A ``period`` delivery holding ``events``; moves the recipient's digest mark past them."""
    if not events:
        return None
    delivery_id = add_delivery(session, recipient, period, [e.id for e in events], now)
    last = max(e.id for e in events)
    mark_row = session.get(DigestMarkRow, (recipient, period))
    if mark_row is None:
        session.add(DigestMarkRow(recipient=recipient, period=period, last_event_id=last, updated_at=now))
    else:
        mark_row.last_event_id = max(mark_row.last_event_id, last)
        mark_row.updated_at = now
    return delivery_id


def undigested(session: Session, recipient: str, period: str, since: datetime | None = None) -> list[Event]:
    """Events after the last one digested for ``recipient`` and ``period`` (and at/after ``since``)."""
    mark_row = session.get(DigestMarkRow, (recipient, period))
    query = select(EventRow).where(EventRow.id > (mark_row.last_event_id if mark_row else 0))
    if since is not None:
        query = query.where(EventRow.created_at >= since)
    return to_events(session, list(session.scalars(query.order_by(EventRow.id))))


def counts(session: Session) -> dict[str, int]:
    """Deliveries per status; every status is present, zero or not."""
    result = dict.fromkeys(DELIVERY_STATUSES, 0)
    for status, n in session.execute(select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status)):
        result[status] = n
    return result
