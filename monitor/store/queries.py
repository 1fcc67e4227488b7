"""Reading events back: row -> :class:`monitor.models.Event`, filtered history queries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from monitor.models import Change, Event, FindingChange, WordOp
from monitor.store.schema import EventRow, OutletRow


def word_diff_json(change: FindingChange) -> list[dict[str, str]]:
    return [{"op": w.op, "text": w.text} for w in change.word_diff]


def _word_diff(data: Iterable[Any]) -> tuple[WordOp, ...]:
    return tuple(WordOp(str(item["op"]), str(item["text"])) for item in data or ())


def _change(value: str) -> Change:
    try:
        return Change(value)
    except ValueError:  # a value written by a newer version: keep it readable, not fatal
        return Change.CHANGED


def outlet_tags(session: Session, names: Iterable[str]) -> dict[str, tuple[str, ...]]:
    wanted = set(names)
    if not wanted:
        return {}
    rows = session.execute(select(OutletRow.name, OutletRow.tags).where(OutletRow.name.in_(wanted)))
    return {name: tuple(tags or ()) for name, tags in rows}


def to_events(session: Session, rows: Sequence[EventRow]) -> list[Event]:
    """Domain events for ``rows`` (outlet tags attached), in the order given."""
    tags = outlet_tags(session, (row.outlet for row in rows))
    return [
        Event(
            id=row.id,
            outlet=row.outlet,
            url=row.url,
            category=row.category,
            change=_change(row.change),
            created_at=row.created_at,
            before=row.before,
            after=row.after,
            word_diff=_word_diff(row.word_diff),
            detail=row.detail,
            tags=tags.get(row.outlet, ()),
        )
        for row in rows
    ]


def event_query(
    *,
    outlet: str | None = None,
    since: datetime | None = None,
    category: str | None = None,
    change: str | None = None,
) -> Select[tuple[EventRow]]:
    query = select(EventRow)
    if outlet is not None:
        query = query.where(EventRow.outlet == outlet)
    if since is not None:
        query = query.where(EventRow.created_at >= since)
    if category is not None:
        query = query.where(EventRow.category == category)
    if change is not None:
        query = query.where(EventRow.change == str(change))
    return query


def find_events(session: Session, limit: int | None = None, **filters: Any) -> list[Event]:
    """Matching events, oldest first; with ``limit``, the newest ``limit`` of them (still oldest first)."""
    query = event_query(**filters)
    if limit is not None:
        rows = list(session.scalars(query.order_by(EventRow.id.desc()).limit(limit)))
        rows.reverse()
    else:
        rows = list(session.scalars(query.order_by(EventRow.id)))
    return to_events(session, rows)
