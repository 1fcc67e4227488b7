"""Evidence behind events, and retention that never touches it.

Each event points at two snapshots: the one that confirmed it (``snapshot_id``) and the last one
that still showed the old state (``before_snapshot_id``). :func:`prune` deletes old snapshots
except those, and the latest of each page; bodies and finding sets nobody references go with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, union
from sqlalchemy.orm import Session

from monitor.diff import diff_findings
from monitor.models import Change, FindingChange
from monitor.observe import AVAILABILITY
from monitor.store.observations import load_findings
from monitor.store.schema import BlobRow, EventRow, FindingRow, FindingSetRow, PageRow, SnapshotRow

#: How far back to look for the snapshot that showed the old state of a category.
BEFORE_LOOKBACK = 200


@dataclass(frozen=True, slots=True)
class PruneReport:
    """What :func:`prune` deleted."""

    snapshots: int
    blobs: int
    finding_sets: int


def before_snapshot(session: Session, snapshot: SnapshotRow, change: FindingChange) -> int | None:
    """The id of the latest earlier snapshot of the page that showed the state before ``change``."""
    earlier = (
        select(SnapshotRow.id, SnapshotRow.finding_set_id)
        .where(SnapshotRow.page_id == snapshot.page_id, SnapshotRow.id < snapshot.id)
        .order_by(SnapshotRow.id.desc())
    )
    if change.category == AVAILABILITY:
        # Unreachable: the last good fetch; recovered: the last failed one (no findings were read).
        failed = change.change is Change.RECOVERED
        condition = SnapshotRow.finding_set_id.is_(None) if failed else SnapshotRow.finding_set_id.is_not(None)
        return session.scalars(earlier.where(condition).limit(1)).first()
    if snapshot.finding_set_id is None:
        return None
    now = [f for f in load_findings(session, snapshot.finding_set_id) if f.category == change.category]
    verdicts: dict[int, bool] = {}
    rows = session.execute(earlier.where(SnapshotRow.finding_set_id.is_not(None)).limit(BEFORE_LOOKBACK))
    for snapshot_id, set_id in rows:
        if set_id not in verdicts:
            then = [f for f in load_findings(session, set_id) if f.category == change.category]
            verdicts[set_id] = bool(diff_findings(then, now))
        if verdicts[set_id]:
            return int(snapshot_id)
    return None


def archive_refs(session: Session, event_id: int) -> tuple[str | None, str | None]:
    """WARC references of an event's evidence: (before, after)."""
    row = session.get(EventRow, event_id)
    if row is None:
        return None, None

    def ref(snapshot_id: int | None) -> str | None:
        snapshot = session.get(SnapshotRow, snapshot_id) if snapshot_id is not None else None
        return None if snapshot is None else snapshot.archive_ref

    return ref(row.before_snapshot_id), ref(row.snapshot_id)


def prune(session: Session, older_than: datetime) -> PruneReport:
    """Delete snapshots fetched before ``older_than`` that no event needs and that are not a
    page's latest; then the bodies and finding sets no longer referenced."""
    protected = union(
        select(EventRow.snapshot_id).where(EventRow.snapshot_id.is_not(None)),
        select(EventRow.before_snapshot_id).where(EventRow.before_snapshot_id.is_not(None)),
        select(func.max(SnapshotRow.id)).group_by(SnapshotRow.page_id),
    )
    snapshots = session.execute(
        delete(SnapshotRow).where(SnapshotRow.fetched_at < older_than, SnapshotRow.id.not_in(protected))
    ).rowcount
    used_hashes = union(
        select(SnapshotRow.content_hash).where(SnapshotRow.content_hash.is_not(None)),
        select(PageRow.content_hash).where(PageRow.content_hash.is_not(None)),
    )
    blobs = session.execute(delete(BlobRow).where(BlobRow.hash.not_in(used_hashes))).rowcount
    used_sets = union(
        select(SnapshotRow.finding_set_id).where(SnapshotRow.finding_set_id.is_not(None)),
        select(PageRow.finding_set_id).where(PageRow.finding_set_id.is_not(None)),
    )
    orphan_sets = select(FindingSetRow.id).where(FindingSetRow.id.not_in(used_sets))
    session.execute(delete(FindingRow).where(FindingRow.set_id.in_(orphan_sets)))
    sets = session.execute(delete(FindingSetRow).where(FindingSetRow.id.not_in(used_sets))).rowcount
    return PruneReport(snapshots=snapshots, blobs=blobs, finding_sets=sets)
