"""The SQLAlchemy store: SQLite (WAL) by default, any SQLAlchemy URL accepted."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from types import TracebackType

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from monitor.errors import StoreError
from monitor.models import Event, FetchResult, Finding, FindingChange
from monitor.observe import PageState
from monitor.store import evidence, outbox
from monitor.store import observations as obs
from monitor.store import state as states
from monitor.store.engine import MigrationError, begin_immediate, make_engine, migrate
from monitor.store.outlets import OutletEventStore
from monitor.store.queries import find_events, to_events
from monitor.store.records import (
    CategoryState,
    Delivery,
    OutletCoverage,
    OutletSpec,
    PageInfo,
    PagePresence,
    PageSummary,
)
from monitor.store.registry import RegistryStore
from monitor.store.schema import DeliveryRow, EventRow, OutletRow, PageRow, SnapshotRow

log = logging.getLogger(__name__)
_IN_CHUNK = 500  # URLs per IN (...) list: well under SQLite's bound-parameter limit


class Store:
    """Snapshots, findings, page state, events and the outbox in one SQL database.

    Every method runs in its own transaction; :meth:`record_observation` writes a whole check
    (snapshot, findings, state, events, deliveries) atomically.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._sqlite = engine.url.get_backend_name() == "sqlite"
        self._local = threading.local()  # .batch: the session of this thread's open batch()

    @classmethod
    def open(cls, url: str) -> Store:
        """Open (creating the file and parent folder for SQLite) and migrate to the newest schema."""
        try:
            engine = make_engine(url)
        except (SQLAlchemyError, OSError, ValueError) as exc:
            raise StoreError(f"cannot open database {_redact(url)}: {exc}") from exc
        except ImportError as exc:  # e.g. postgresql:// without its driver installed
            raise StoreError(f"cannot open database {_redact(url)}: driver not installed ({exc.name or exc})") from exc
        try:
            migrate(engine)
        except (SQLAlchemyError, OSError, MigrationError) as exc:
            engine.dispose()
            raise StoreError(f"cannot open or migrate database {_redact(url)}: {exc}") from exc
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Every store call inside shares ONE write transaction: a group commit for observations that are
        ready at the same moment (a commit and a lock round-trip per page cost as much as the page's rows).

        All or nothing: an error rolls the whole group back. Never hold a batch across an ``await``:
        another writer on the same thread would wait for the lock the batch holds.
        """
        if self._batch is not None:
            yield
            return
        with self._tx(write=True) as session:
            self._local.batch = session
            try:
                yield
            finally:
                self._local.batch = None

    @property
    def _batch(self) -> Session | None:
        return getattr(self._local, "batch", None)

    @contextmanager
    def _tx(self, *, write: bool = False) -> Iterator[Session]:
        """A session in one transaction; ``write`` takes SQLite's write lock at the start."""
        if self._batch is not None:  # inside batch(): its transaction already holds the write lock
            yield self._batch
            return
        try:
            with self._sessions() as session, session.begin():
                if write and self._sqlite:
                    begin_immediate(session.connection())
                yield session
        except SQLAlchemyError as exc:
            raise StoreError(f"database error: {exc}") from exc

    @property
    def outlets(self) -> OutletEventStore:
        """Outlet-level events such as label coverage crossing its threshold (:mod:`monitor.store.outlets`)."""
        return OutletEventStore(self._tx)

    @property
    def registry(self) -> RegistryStore:
        """Registry rows, their sources and events (:mod:`monitor.store.registry`)."""
        return RegistryStore(self._tx)

    # -- outlets and pages ---------------------------------------------------------------------

    def sync_outlets(self, outlets: Sequence[OutletSpec]) -> None:
        """Make the outlets table match the watchlist; outlets no longer listed become inactive."""
        with self._tx(write=True) as s:
            rows = {row.name: row for row in s.scalars(select(OutletRow))}
            for row in rows.values():
                row.active = False  # until the watchlist names it below
            for spec in outlets:
                row = rows.get(spec.name)
                if row is None:
                    row = rows[spec.name] = OutletRow(name=spec.name)
                    s.add(row)
                row.homepage, row.jurisdiction = spec.homepage, spec.jurisdiction
                row.tags, row.active = list(spec.tags), True
            s.flush()  # the new outlets' ids
            # A URL listed under two outlets belongs to the last one, as the watchlist reads top to bottom.
            obs.link_pages(s, {url: rows[spec.name].id for spec in outlets for url in spec.urls})

    def _page(self, s: Session, url: str) -> PageRow | None:
        return s.scalars(select(PageRow).where(PageRow.url == url)).one_or_none()

    def page_infos(self, urls: Sequence[str]) -> dict[str, PageInfo]:
        """Validators, state and content hash of every known page among ``urls``, in one read.

        A check reads this once for its whole watchlist instead of three queries per page."""
        infos: dict[str, PageInfo] = {}
        columns = (PageRow.url, PageRow.etag, PageRow.last_modified, PageRow.content_hash, PageRow.state)
        with self._tx() as s:
            for start in range(0, len(urls), _IN_CHUNK):
                rows = s.execute(select(*columns).where(PageRow.url.in_(list(urls[start : start + _IN_CHUNK]))))
                for url, etag, modified, content_hash, state in rows:
                    page_state = None if state is None else PageState.from_dict(state)
                    infos[url] = PageInfo(etag, modified, content_hash, page_state)
        return infos

    def page_info(self, url: str) -> PageInfo | None:
        return self.page_infos([url]).get(url)

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """The last ETag and Last-Modified seen for ``url`` (for a conditional GET)."""
        info = self.page_info(url)
        return (None, None) if info is None else (info.etag, info.last_modified)

    def page_state(self, url: str) -> PageState | None:
        info = self.page_info(url)
        return None if info is None else info.state

    def last_content_hash(self, url: str) -> str | None:
        info = self.page_info(url)
        return None if info is None else info.content_hash

    def last_archive_ref(self, url: str) -> str | None:
        """The WARC reference of the page's latest archived response (what a 304 re-confirms)."""
        with self._tx() as s:
            page_id = s.scalars(select(PageRow.id).where(PageRow.url == url)).first()
            return None if page_id is None else obs.last_archive_ref(s, page_id)

    def latest_findings(self, url: str) -> list[Finding] | None:
        """The findings of the page's latest successful observation (None if never observed)."""
        with self._tx() as s:
            page = self._page(s, url)
            if page is None or page.finding_set_id is None:
                return None
            return obs.load_findings(s, page.finding_set_id)

    def body(self, content_hash: str) -> bytes | None:
        """The stored response body for ``content_hash``."""
        with self._tx() as s:
            return obs.load_blob(s, content_hash)

    # -- observations --------------------------------------------------------------------------

    def record_observation(
        self,
        *,
        outlet: str,
        url: str,
        fetch: FetchResult,
        content_hash: str | None,
        findings: Sequence[Finding] | None,
        state: PageState,
        changes: Sequence[FindingChange],
        archive_ref: str | None = None,
        compressed_body: bytes | None = None,
        route: Callable[[Event], Sequence[str]] | None = None,
    ) -> list[Event]:
        """Write one check in ONE transaction and return its events (with ids).

        A 304 (``fetch.not_modified``) without a hash, findings or archive reference inherits the
        page's last ones.
        The body is stored once per ``content_hash`` (``compressed_body``: already
        :func:`~monitor.compress.pack_body`'d); ``route(event)`` names the recipients of an
        immediate alert for each event, written to the outbox in the same transaction.
        """
        with self._tx(write=True) as s:
            # Without changes to announce, a linked page needs no ORM object: plain columns and statements.
            known = None if changes else obs.page_facts(s, url)
            page = None if known is not None and known.outlet_id is not None else obs.get_page(s, url, outlet)
            if page is not None and page.id is None:
                s.flush()  # a new page: its id is needed below
            if page is not None:
                page_id, last_hash, last_set = page.id, page.content_hash, page.finding_set_id
            else:
                assert known is not None
                page_id, last_hash, last_set = known.id, known.content_hash, known.finding_set_id
            if fetch.not_modified:
                # A 304 re-confirms the page's last stored content, findings and archived response.
                content_hash = content_hash if content_hash is not None else last_hash
                archive_ref = archive_ref if archive_ref is not None else obs.last_archive_ref(s, page_id)
            if content_hash is not None and fetch.body and not fetch.not_modified:
                obs.store_blob(s, content_hash, fetch.body, compressed_body)
            set_id = obs.finding_set(s, findings) if findings is not None else None
            if set_id is None and fetch.not_modified:
                set_id = last_set
            if page is None:
                obs.write_quiet(s, page_id, fetch, content_hash, set_id, archive_ref, state)
                return []
            snapshot = obs.add_snapshot(s, page, fetch, content_hash, set_id, archive_ref, flush=bool(changes))
            obs.update_page(page, fetch, content_hash, set_id, state)
            if not changes:
                return []
            befores = [evidence.before_snapshot(s, snapshot, change) for change in changes]
            events = to_events(s, obs.add_events(s, page, outlet, snapshot, changes, befores))
            if route is not None:
                outbox.add_alerts(s, events, route, fetch.fetched_at)
        return events

    # -- events --------------------------------------------------------------------------------

    def events(
        self,
        *,
        outlet: str | None = None,
        since: datetime | None = None,
        category: str | None = None,
        change: str | None = None,
        limit: int | None = None,
    ) -> list[Event]:
        """Events oldest first; ``limit`` keeps the newest ``limit`` matching ones."""
        with self._tx() as s:
            return find_events(s, limit, outlet=outlet, since=since, category=category, change=change)

    def event(self, event_id: int) -> Event | None:
        with self._tx() as s:
            row = s.get(EventRow, event_id)
            return None if row is None else to_events(s, [row])[0]

    def event_archive_refs(self, event_id: int) -> tuple[str | None, str | None]:
        """WARC references of the evidence behind an event: (before, after).

        ``after`` is the snapshot that confirmed the event; ``before`` the last earlier snapshot
        that still showed the old state (for ``unreachable``: the last good fetch).
        """
        with self._tx() as s:
            return evidence.archive_refs(s, event_id)

    def archive_refs(self) -> set[str]:
        """Every WARC reference a snapshot still points at (what archive retention must keep)."""
        with self._tx() as s:
            query = select(SnapshotRow.archive_ref).where(SnapshotRow.archive_ref.is_not(None))
            return {ref for ref in s.scalars(query) if ref}

    def prune(self, older_than: datetime) -> evidence.PruneReport:
        """Delete snapshots older than ``older_than`` except the evidence behind events and each
        page's latest one, then bodies and finding sets nothing references any more."""
        with self._tx(write=True) as s:
            report = evidence.prune(s, older_than)
        log.info(
            "event=prune snapshots=%d blobs=%d finding_sets=%d", report.snapshots, report.blobs, report.finding_sets
        )
        return report

    # -- outbox --------------------------------------------------------------------------------

    def due_deliveries(self, now: datetime) -> list[Delivery]:
        with self._tx() as s:
            return outbox.due(s, now)

    def any_due(self, now: datetime) -> bool:
        """Whether some delivery is due now (without loading it)."""
        with self._tx() as s:
            return outbox.any_due(s, now)

    def deliveries(self, *, status: str | None = None) -> list[Delivery]:
        """All deliveries (optionally of one status), oldest first."""
        with self._tx() as s:
            query = select(DeliveryRow).order_by(DeliveryRow.id)
            if status is not None:
                query = query.where(DeliveryRow.status == status)
            return outbox.to_deliveries(s, list(s.scalars(query)))

    def mark_sent(self, delivery_id: int, now: datetime) -> None:
        with self._tx(write=True) as s:
            outbox.mark(s, delivery_id, "sent", sent_at=now)

    def mark_retry(self, delivery_id: int, error: str, next_attempt_at: datetime, *, count: bool = True) -> None:
        """Try again at ``next_attempt_at``; ``count=False`` when the channel was down (not this message's fault)."""
        with self._tx(write=True) as s:
            outbox.mark(s, delivery_id, "pending", error=error, next_attempt_at=next_attempt_at, count=count)

    def mark_failed(self, delivery_id: int, error: str) -> None:
        with self._tx(write=True) as s:
            outbox.mark(s, delivery_id, "failed", error=error)

    def create_digest(self, recipient: str, period: str, events: Sequence[Event], now: datetime) -> Delivery | None:
        """A digest delivery of ``events``; the next :meth:`undigested_events` starts after them."""
        with self._tx(write=True) as s:
            delivery_id = outbox.create_digest(s, recipient, period, events, now)
            if delivery_id is None:
                return None
            return outbox.to_deliveries(s, [s.get_one(DeliveryRow, delivery_id)])[0]

    def undigested_events(self, recipient: str, period: str, since: datetime | None = None) -> list[Event]:
        with self._tx() as s:
            return outbox.undigested(s, recipient, period, since)

    def outbox_counts(self) -> dict[str, int]:
        with self._tx() as s:
            return outbox.counts(s)

    # -- state and status --------------------------------------------------------------------------------

    def category_states(self, outlet: str | None = None) -> list[CategoryState]:
        """The current matrix: per checked page and category, present or not, since when, wording."""
        with self._tx() as s:
            return states.category_states(s, outlet)

    def page_presence(self, outlet: str | None = None) -> list[PagePresence]:
        """Per baselined page: the categories it carries now (what label coverage counts)."""
        with self._tx() as s:
            return states.page_presence(s, outlet)

    def coverage(self, outlet: str | None = None) -> list[OutletCoverage]:
        """Per outlet and category, on how many checked pages it is present now."""
        return states.coverage(self.page_presence(outlet))

    def page_summaries(self) -> list[PageSummary]:
        """Every known page with its latest check, ordered by outlet then URL."""
        with self._tx() as s:
            counted = s.execute(select(SnapshotRow.page_id, func.count()).group_by(SnapshotRow.page_id))
            checks = {page_id: n for page_id, n in counted}
            rows = s.execute(
                select(PageRow, OutletRow.name, OutletRow.active)
                .outerjoin(OutletRow, PageRow.outlet_id == OutletRow.id)
                .order_by(OutletRow.name, PageRow.url)
            )
            return [
                PageSummary(
                    outlet=name,
                    url=page.url,
                    last_checked_at=page.last_checked_at,
                    last_status=page.last_status,
                    last_error=page.last_error,
                    consecutive_failures=page.consecutive_failures,
                    unreachable=page.unreachable,
                    checks=checks.get(page.id, 0),
                    active=True if active is None else bool(active),
                )
                for page, name, active in rows
            ]


def _redact(url: str) -> str:
    """The URL for messages, password masked (it may come from the environment)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (SQLAlchemyError, ValueError):
        return "<unparseable database URL>"
