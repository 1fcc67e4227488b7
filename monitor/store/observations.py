"""Writing one observation: page row, body blob, finding set, snapshot and events (inside a session)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.orm import Session

from monitor.compress import pack_body, unpack_body
from monitor.models import FetchResult, Finding, FindingChange
from monitor.observe import PageState
from monitor.store.queries import word_diff_json
from monitor.store.schema import BlobRow, EventRow, FindingRow, FindingSetRow, OutletRow, PageRow, SnapshotRow

#: Response headers worth keeping in the database (lower-case). The full headers are in the WARC
#: record; per-request noise (Date, Set-Cookie, CSP, tracing ids) would cost bytes on every check.
KEPT_HEADERS = (
    "content-type",
    "content-language",
    "etag",
    "last-modified",
    "location",
    "retry-after",
    "server",
    "x-robots-tag",
)


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup."""
    name = name.lower()
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def kept_headers(headers: Mapping[str, str]) -> dict[str, str] | None:
    kept = {k.lower(): v for k, v in headers.items() if k.lower() in KEPT_HEADERS}
    return kept or None


def get_page(session: Session, url: str, outlet: str | None = None) -> PageRow:
    """The page row for ``url``, created (and linked to ``outlet`` if known) on first sight."""
    page = session.scalars(select(PageRow).where(PageRow.url == url)).one_or_none()
    if page is None:
        page = PageRow(url=url, consecutive_failures=0, unreachable=False)
        session.add(page)
    if outlet is not None and page.outlet_id is None:
        page.outlet_id = ensure_outlet(session, outlet).id
    return page


# The statements of every observation, built once on the tables (Core: compiled once, cached; no ORM
# statement building per page, which cost more than the SQL itself).
_PAGES, _SNAPSHOTS = PageRow.__table__, SnapshotRow.__table__
_PAGE_FACTS = select(_PAGES.c.id, _PAGES.c.content_hash, _PAGES.c.finding_set_id, _PAGES.c.outlet_id).where(
    _PAGES.c.url == bindparam("url")
)
_LAST_ARCHIVE_REF = (
    # Newest first along ix_snapshots_page_fetched: no sort of the page's whole history per 304.
    select(_SNAPSHOTS.c.archive_ref)
    .where(_SNAPSHOTS.c.page_id == bindparam("page_id"), _SNAPSHOTS.c.archive_ref.is_not(None))
    .order_by(_SNAPSHOTS.c.fetched_at.desc(), _SNAPSHOTS.c.id.desc())
    .limit(1)
)
_FINDING_SET_ID = select(FindingSetRow.__table__.c.id).where(FindingSetRow.__table__.c.digest == bindparam("digest"))
_INSERT_SNAPSHOT = _SNAPSHOTS.insert()
_BLOBS = BlobRow.__table__
_BLOB_EXISTS = select(_BLOBS.c.hash).where(_BLOBS.c.hash == bindparam("hash"))
_INSERT_BLOB = _BLOBS.insert()
_UPDATE_PAGE = _PAGES.update().where(_PAGES.c.id == bindparam("page_key"))  # SET: the parameters given


def page_facts(session: Session, url: str) -> Row[tuple[int, str | None, int | None, int | None]] | None:
    """The page's id, content hash, finding set and outlet, as plain columns (no state parsed, no ORM object)."""
    session.flush()  # Core statements do not autoflush: an earlier observation of this batch may be pending
    return session.execute(_PAGE_FACTS, {"url": url}).first()


def write_quiet(
    session: Session,
    page_id: int,
    fetch: FetchResult,
    content_hash: str | None,
    set_id: int | None,
    archive_ref: str | None,
    state: PageState,
) -> None:
    """An observation with nothing to announce (most of them): its snapshot and the page's new facts as two
    plain statements, without the ORM's unit of work (which cost more than the SQL itself)."""
    session.execute(_INSERT_SNAPSHOT, snapshot_values(page_id, fetch, content_hash, set_id, archive_ref))
    session.execute(_UPDATE_PAGE, {**page_values(fetch, content_hash, set_id, state), "page_key": page_id})
    # A row of this page already loaded in the batch's session (an earlier observation with events) is now
    # stale: expired, a later ORM write of the page re-reads it instead of inheriting or skipping old values.
    cached = session.identity_map.get(session.identity_key(PageRow, page_id))
    if cached is not None:
        session.expire(cached)


def ensure_outlet(session: Session, name: str) -> OutletRow:
    row = session.scalars(select(OutletRow).where(OutletRow.name == name)).one_or_none()
    if row is None:
        row = OutletRow(name=name, tags=[], active=True)
        session.add(row)
        session.flush()
    return row


def last_archive_ref(session: Session, page_id: int) -> str | None:
    """The WARC reference of the page's latest archived response (what a 304 re-confirms)."""
    return session.execute(_LAST_ARCHIVE_REF, {"page_id": page_id}).scalar()


def link_pages(session: Session, owners: Mapping[str, int], chunk: int = 500) -> None:
    """Each URL's page row linked to its outlet id, created if new: plain rows, a few statements per
    ``chunk`` URLs, never an ORM object per page (a watchlist of 10,000 pages loaded every page's state)."""
    urls = list(owners)
    linked: dict[str, tuple[int, int | None]] = {}
    for start in range(0, len(urls), chunk):
        rows = session.execute(
            select(PageRow.url, PageRow.id, PageRow.outlet_id).where(PageRow.url.in_(urls[start : start + chunk]))
        )
        linked.update((url, (page_id, outlet_id)) for url, page_id, outlet_id in rows)
    moved = [{"id": page_id, "outlet_id": owners[url]} for url, (page_id, was) in linked.items() if was != owners[url]]
    if moved:
        session.execute(update(PageRow), moved)  # bulk UPDATE by primary key
    new = [
        {"url": url, "outlet_id": outlet_id, "consecutive_failures": 0, "unreachable": False}
        for url, outlet_id in owners.items()
        if url not in linked
    ]
    if new:
        session.execute(insert(PageRow), new)


def store_blob(session: Session, content_hash: str, body: bytes, compressed: bytes | None = None) -> None:
    """Keep ``body`` once per ``content_hash``: an unchanged page costs no body bytes.

    ``compressed``: ``pack_body(body)`` if the caller already has it."""
    # Plain statements, run at once: a later page of the same batch with the same body sees the row.
    if session.execute(_BLOB_EXISTS, {"hash": content_hash}).first() is None:
        data = compressed if compressed is not None else pack_body(body)
        session.execute(_INSERT_BLOB, {"hash": content_hash, "size": len(body), "body": data})


def load_blob(session: Session, content_hash: str) -> bytes | None:
    row = session.get(BlobRow, content_hash)
    return None if row is None else unpack_body(row.body)


def finding_set(session: Session, findings: Sequence[Finding]) -> int:
    """The id of the stored set equal to ``findings`` (same order and fields), adding it if new."""
    canonical = json.dumps([f.to_dict() for f in findings], ensure_ascii=False, sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    existing = session.execute(_FINDING_SET_ID, {"digest": digest}).scalar()
    if existing is not None:
        return existing
    row = FindingSetRow(digest=digest)
    session.add(row)
    session.flush()
    session.add_all(FindingRow(set_id=row.id, position=i, **f.to_dict()) for i, f in enumerate(findings))
    return row.id


def load_findings(session: Session, set_id: int) -> list[Finding]:
    rows = session.scalars(select(FindingRow).where(FindingRow.set_id == set_id).order_by(FindingRow.position))
    return [Finding(r.category, r.text, r.lang, r.rule, r.location, matched=r.matched, score=r.score) for r in rows]


def page_values(fetch: FetchResult, content_hash: str | None, set_id: int | None, state: PageState) -> dict[str, Any]:
    """The page's running facts (validators, hash, state, last result) after this observation."""
    values: dict[str, Any] = {}
    if fetch.ok and not fetch.not_modified:
        # A 200 without validators means the server stopped sending them: forget the old ones.
        values["etag"] = header(fetch.headers, "etag")
        values["last_modified"] = header(fetch.headers, "last-modified")
    if content_hash is not None:
        values["content_hash"] = content_hash
    if set_id is not None:
        values["finding_set_id"] = set_id
    values.update(
        state=state.to_dict(),
        last_checked_at=fetch.fetched_at,
        last_status=fetch.status,
        last_error=fetch.error,
        consecutive_failures=state.consecutive_failures,
        unreachable=state.unreachable,
    )
    return values


def update_page(
    page: PageRow, fetch: FetchResult, content_hash: str | None, set_id: int | None, state: PageState
) -> None:
    """Move the page's running facts to this observation (see :func:`page_values`)."""
    for name, value in page_values(fetch, content_hash, set_id, state).items():
        setattr(page, name, value)


def snapshot_values(
    page_id: int, fetch: FetchResult, content_hash: str | None, set_id: int | None, archive_ref: str | None
) -> dict[str, Any]:
    return {
        "page_id": page_id,
        "fetched_at": fetch.fetched_at,
        "status": fetch.status,
        "not_modified": fetch.not_modified,
        "final_url": fetch.final_url if fetch.final_url and fetch.final_url != fetch.url else None,
        "error": fetch.error,
        "headers": kept_headers(fetch.headers),
        "content_hash": content_hash,
        "finding_set_id": set_id,
        "archive_ref": archive_ref,
    }


def add_snapshot(
    session: Session,
    page: PageRow,
    fetch: FetchResult,
    content_hash: str | None,
    set_id: int | None,
    archive_ref: str | None,
    *,
    flush: bool = True,
) -> SnapshotRow:
    """A snapshot row; ``flush=False`` leaves the INSERT to the commit when nobody needs its id."""
    row = SnapshotRow(**snapshot_values(page.id, fetch, content_hash, set_id, archive_ref))
    session.add(row)
    if flush:
        session.flush()
    return row


def add_events(
    session: Session,
    page: PageRow,
    outlet: str,
    snapshot: SnapshotRow,
    changes: Sequence[FindingChange],
    befores: Sequence[int | None],
) -> list[EventRow]:
    """Event rows for ``changes``; ``befores`` holds each one's "old state" snapshot id."""
    rows = [
        EventRow(
            page_id=page.id,
            snapshot_id=snapshot.id,
            before_snapshot_id=before,
            outlet=outlet,
            url=page.url,
            category=c.category,
            change=str(c.change),
            before=c.before,
            after=c.after,
            word_diff=word_diff_json(c),
            detail=None,
            created_at=snapshot.fetched_at,
        )
        for c, before in zip(changes, befores, strict=True)
    ]
    session.add_all(rows)
    session.flush()
    return rows
