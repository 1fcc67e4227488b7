"""Outlet-level events (label coverage crossing a threshold): stored like page events, attached to one of
the outlet's watched pages so history, routing, digests and exports treat them alike."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime

from sqlalchemy.orm import Session

from monitor.models import Event, FindingChange
from monitor.store import outbox
from monitor.store.observations import get_page
from monitor.store.queries import to_events, word_diff_json
from monitor.store.schema import EventRow

Tx = Callable[..., AbstractContextManager[Session]]
Route = Callable[[Event], Sequence[str]]


class OutletEventStore:
    """``Store.outlets``: outlet-level events over the store's transactions."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def record(
        self, *, outlet: str, url: str, changes: Sequence[FindingChange], at: datetime, route: Route | None = None
    ) -> list[Event]:
        """Events for ``changes`` and their alert deliveries, in one transaction."""
        with self._tx(write=True) as s:
            page = get_page(s, url, outlet)
            s.flush()
            rows = [
                EventRow(
                    page_id=page.id,
                    snapshot_id=None,
                    before_snapshot_id=None,
                    outlet=outlet,
                    url=url,
                    category=c.category,
                    change=str(c.change),
                    before=c.before,
                    after=c.after,
                    word_diff=word_diff_json(c),
                    detail="outlet-wide coverage",
                    created_at=at,
                )
                for c in changes
            ]
            s.add_all(rows)
            s.flush()
            events = to_events(s, rows)
            if route is not None:
                outbox.add_alerts(s, events, route, at)
        return events
