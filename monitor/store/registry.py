"""Registry rows with first/last seen, and the events their changes become (one transaction per fetch).

A registry's URL is a page row like any other (its fetches are snapshots, archived as WARC), so its
events carry evidence, reach the outbox in the same transaction, and show up in ``history``, digests
and ``status``. The first successful fetch is the baseline: rows are stored, no events.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from monitor.models import Event, FetchResult
from monitor.observe import AVAILABILITY
from monitor.registries.rows import RegistryRow, RowChange, diff_rows
from monitor.store import observations as obs
from monitor.store import outbox
from monitor.store.queries import to_events
from monitor.store.schema import Base, EventRow, OutletRow, PageRow, SnapshotRow

CATEGORY = "registry_entry"


class RegistryEntryRow(Base):
    """One registry entry as last seen; ``removed_at`` is set while it is no longer listed."""

    __tablename__ = "registry_entries"
    __table_args__ = (UniqueConstraint("source", "key", name="uq_registry_entries_source_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(200), index=True)  # the registry's name in config
    key: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    removed_at: Mapped[datetime | None]


class RegistrySourceRow(Base):
    """One watched registry: whether it has a baseline, and its last fetch."""

    __tablename__ = "registry_sources"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id"))
    baselined: Mapped[bool] = mapped_column(Boolean, default=False)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    last_checked_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)


@dataclass(frozen=True, slots=True)
class RegistryEntry:
    registry: str
    key: str
    fields: dict[str, str]
    first_seen: datetime
    last_seen: datetime
    removed_at: datetime | None

    @property
    def row(self) -> RegistryRow:
        return RegistryRow(self.key, self.fields)


@dataclass(frozen=True, slots=True)
class RegistrySource:
    name: str
    url: str
    baselined: bool
    rows: int
    last_checked_at: datetime | None
    last_error: str | None
    consecutive_failures: int


@dataclass(frozen=True, slots=True)
class PageLabels:
    """One checked page of an outlet: when first checked, its label events (oldest first)."""

    url: str
    first_checked: datetime
    changes: tuple[tuple[str, datetime], ...]  # (added|removed, when)


Tx = Callable[..., AbstractContextManager[Session]]
Naming = Callable[[RegistryRow], str]
Route = Callable[[Event], Sequence[str]]


class RegistryStore:
    """The store's registry side; ``Store.registry`` hands one out over the store's transactions."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def apply(
        self,
        registry: str,
        fetch: FetchResult,
        rows: Sequence[RegistryRow],
        *,
        outlet_for: Naming,
        archive_ref: str | None = None,
        route: Route | None = None,
        tags: Sequence[str] = (),
        unreachable_after: int = 0,
    ) -> list[Event]:
        """Store a successful fetch of ``registry`` (all its rows) and return the events it makes.

        ``tags`` are the registry's: events of entries no outlet links to carry them, so subscribers'
        tag filters select them in digests as in alerts. After ``unreachable_after`` failures in a row
        (an ``unreachable`` event was made), this success also makes a ``recovered`` event.
        """
        with self._tx(write=True) as s:
            source, page = _source(s, registry, fetch.url)
            _tag(s, registry, tags)
            current = {e.key: e for e in s.scalars(select(RegistryEntryRow).where(RegistryEntryRow.source == registry))}
            listed = [RegistryRow(e.key, e.fields) for e in current.values() if e.removed_at is None]
            changes = diff_rows(listed, rows) if source.baselined else []
            _upsert(s, registry, current, rows, fetch.fetched_at)
            snapshot = obs.add_snapshot(s, page, fetch, _digest(rows), None, archive_ref)
            was_down, last_error = 0 < unreachable_after <= source.consecutive_failures, source.last_error
            _checked(source, page, fetch, None, len(rows))
            source.baselined = True
            event_rows = [_event(page, snapshot, change, outlet_for) for change in changes]
            if was_down:
                event_rows.insert(0, _availability(page, snapshot, registry, "recovered", last_error, "reachable"))
            s.add_all(event_rows)
            s.flush()
            events = to_events(s, event_rows)
            if route is not None:
                outbox.add_alerts(s, events, route, fetch.fetched_at)
        return events

    def record_failure(
        self,
        registry: str,
        fetch: FetchResult,
        error: str,
        *,
        archive_ref: str | None = None,
        unreachable_after: int = 0,
        route: Route | None = None,
    ) -> list[Event]:
        """A fetch that gave no complete list: kept as a snapshot with its error; rows untouched.

        The ``unreachable_after``-th failure in a row makes one ``unreachable`` event (category
        ``availability``), so a registry that silently stops answering cannot hide designations.
        """
        with self._tx(write=True) as s:
            source, page = _source(s, registry, fetch.url)
            snapshot = obs.add_snapshot(s, page, fetch, None, None, archive_ref)
            _checked(source, page, fetch, error, source.rows)
            if not 0 < unreachable_after == source.consecutive_failures:
                return []
            row = _availability(page, snapshot, registry, "unreachable", None, error)
            s.add(row)
            s.flush()
            events = to_events(s, [row])
            if route is not None:
                outbox.add_alerts(s, events, route, fetch.fetched_at)
        return events

    def entries(self, registry: str | None = None) -> list[RegistryEntry]:
        with self._tx() as s:
            query = select(RegistryEntryRow).order_by(RegistryEntryRow.source, RegistryEntryRow.id)
            if registry is not None:
                query = query.where(RegistryEntryRow.source == registry)
            return [
                RegistryEntry(e.source, e.key, dict(e.fields), e.first_seen, e.last_seen, e.removed_at)
                for e in s.scalars(query)
            ]

    def sources(self) -> list[RegistrySource]:
        with self._tx() as s:
            rows = s.execute(
                select(RegistrySourceRow, PageRow.url).join(PageRow, RegistrySourceRow.page_id == PageRow.id)
            )
            return [
                RegistrySource(
                    r.name, url, r.baselined, r.rows, r.last_checked_at, r.last_error, r.consecutive_failures
                )
                for r, url in rows
            ]

    def label_history(self, outlet: str, category: str) -> list[PageLabels]:
        """Per checked page of ``outlet``: first check and the ``category`` added/removed events, oldest first."""
        with self._tx() as s:
            return list(_label_history(s, outlet, category))


def _source(s: Session, registry: str, url: str) -> tuple[RegistrySourceRow, PageRow]:
    page = obs.get_page(s, url)
    s.flush()
    source = s.get(RegistrySourceRow, registry)
    if source is None:
        source = RegistrySourceRow(name=registry, page_id=page.id, baselined=False, rows=0, consecutive_failures=0)
        s.add(source)
    source.page_id = page.id  # the URL may have changed in config; the history stays with the name
    return source, page


def _tag(s: Session, registry: str, tags: Sequence[str]) -> None:
    """An inactive outlet row named after the registry holds its tags (never an outlet's own row)."""
    row = s.scalars(select(OutletRow).where(OutletRow.name == registry)).one_or_none()
    if row is None:
        row = obs.ensure_outlet(s, registry)
        row.active = False
    if not row.active:
        row.tags = list(tags)


def _upsert(
    s: Session, registry: str, current: dict[str, RegistryEntryRow], rows: Sequence[RegistryRow], now: datetime
) -> None:
    seen = set()
    for row in rows:
        seen.add(row.key)
        entry = current.get(row.key)
        if entry is None:
            s.add(
                RegistryEntryRow(
                    source=registry,
                    key=row.key,
                    name=row.name,
                    fields=dict(row.fields),
                    first_seen=now,
                    last_seen=now,
                    removed_at=None,
                )
            )
            continue
        entry.name, entry.fields, entry.last_seen, entry.removed_at = row.name, dict(row.fields), now, None
    for key, entry in current.items():
        if key not in seen and entry.removed_at is None:
            entry.removed_at = now


def _checked(source: RegistrySourceRow, page: PageRow, fetch: FetchResult, error: str | None, rows: int) -> None:
    source.last_checked_at = page.last_checked_at = fetch.fetched_at
    source.last_error = page.last_error = error
    source.consecutive_failures = page.consecutive_failures = 0 if error is None else source.consecutive_failures + 1
    source.rows = rows
    page.last_status = fetch.status


def _event(page: PageRow, snapshot: SnapshotRow, change: RowChange, outlet_for: Naming) -> EventRow:
    row = change.after or change.before
    assert row is not None
    return EventRow(
        page_id=page.id,
        snapshot_id=snapshot.id,
        before_snapshot_id=None,
        outlet=outlet_for(row),
        url=page.url,
        category=CATEGORY,
        change=change.change,
        before=change.before.summary() if change.before else None,
        after=change.after.summary() if change.after else None,
        word_diff=[],
        detail=change.detail,
        created_at=snapshot.fetched_at,
    )


def _availability(
    page: PageRow, snapshot: SnapshotRow, registry: str, change: str, before: str | None, after: str | None
) -> EventRow:
    return EventRow(
        page_id=page.id, snapshot_id=snapshot.id, before_snapshot_id=None, outlet=registry, url=page.url,
        category=AVAILABILITY, change=change, before=before, after=after, word_diff=[],
        detail=f"registry {registry}", created_at=snapshot.fetched_at,
    )  # fmt: skip


def _digest(rows: Sequence[RegistryRow]) -> str:
    """What the rows say, independent of the file's bytes and of row order."""
    canonical = json.dumps(sorted([r.key, sorted(r.fields.items())] for r in rows), ensure_ascii=False)
    return "rows:" + hashlib.sha256(canonical.encode()).hexdigest()


def _label_history(s: Session, outlet: str, category: str) -> Iterator[PageLabels]:
    pages = s.execute(
        select(PageRow.id, PageRow.url, func.min(SnapshotRow.fetched_at))
        .join(OutletRow, PageRow.outlet_id == OutletRow.id)
        .join(SnapshotRow, SnapshotRow.page_id == PageRow.id)
        .where(OutletRow.name == outlet, PageRow.state.is_not(None))
        .group_by(PageRow.id, PageRow.url)
        .order_by(PageRow.url)
    )
    for page_id, url, first in pages:
        flips = s.execute(
            select(EventRow.change, EventRow.created_at)
            .where(
                EventRow.page_id == page_id, EventRow.category == category, EventRow.change.in_(["added", "removed"])
            )
            .order_by(EventRow.id)
        )
        yield PageLabels(url, first, tuple((change, at) for change, at in flips))
