"""Current state, not only changes: per page and category, present or absent, since when, wording.

Researchers report state ("12 of 15 outlets carry the label today, since ..."), so this reads the
confirmed findings kept in each page's :class:`~monitor.observe.PageState` and dates them with the
latest ``added``/``removed`` event, or with the page's first check when nothing changed since.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.models import CATEGORIES, Change
from monitor.observe import PageState
from monitor.store.records import CategoryState, OutletCoverage, PagePresence
from monitor.store.schema import EventRow, OutletRow, PageRow, SnapshotRow


def _first_checks(session: Session) -> dict[int, datetime]:
    rows = session.execute(select(SnapshotRow.page_id, func.min(SnapshotRow.fetched_at)).group_by(SnapshotRow.page_id))
    return {page_id: at for page_id, at in rows}


def _last_flips(session: Session) -> dict[tuple[int, str], tuple[datetime, str]]:
    """(page, category) -> time and kind of the latest added/removed event."""
    rows = session.execute(
        select(EventRow.page_id, EventRow.category, EventRow.change, EventRow.created_at)
        .where(EventRow.change.in_([str(Change.ADDED), str(Change.REMOVED)]))
        .order_by(EventRow.id)
    )
    return {(page_id, category): (at, change) for page_id, category, change, at in rows}


def category_states(session: Session, outlet: str | None = None) -> list[CategoryState]:
    """One row per checked page of an active outlet and category (all known categories)."""
    query = (
        select(PageRow, OutletRow.name)
        .join(OutletRow, PageRow.outlet_id == OutletRow.id)
        .where(OutletRow.active.is_(True), PageRow.state.is_not(None))
        .order_by(OutletRow.name, PageRow.url)
    )
    if outlet is not None:
        query = query.where(OutletRow.name == outlet)
    first, flips = _first_checks(session), _last_flips(session)
    result: list[CategoryState] = []
    for page, name in session.execute(query):
        state = PageState.from_dict(page.state or {})
        if not state.baselined:
            continue
        wording: dict[str, list[str]] = defaultdict(list)
        for finding in state.confirmed:
            if finding.text not in wording[finding.category]:
                wording[finding.category].append(finding.text)
        extra = sorted(set(wording) - set(CATEGORIES))
        for category in [*CATEGORIES, *extra]:
            flip = flips.get((page.id, category))
            result.append(
                CategoryState(
                    outlet=name,
                    url=page.url,
                    category=category,
                    present=bool(wording.get(category)),
                    since=flip[0] if flip else first.get(page.id),
                    wording=tuple(wording.get(category, ())),
                    last_checked_at=page.last_checked_at,
                )
            )
    return result


def page_presence(session: Session, outlet: str | None = None) -> list[PagePresence]:
    """Per baselined page of an active outlet: the categories of its confirmed findings. Two JSON paths of
    the state, not the whole state (its block keys are most of it) nor an ORM row."""
    query = (
        select(OutletRow.name, PageRow.url, PageRow.last_checked_at)
        .add_columns(PageRow.state["baselined"], PageRow.state["confirmed"])
        .join(OutletRow, PageRow.outlet_id == OutletRow.id)
        .where(OutletRow.active.is_(True), PageRow.state.is_not(None))
    )
    if outlet is not None:
        query = query.where(OutletRow.name == outlet)
    shared: dict[frozenset[str], frozenset[str]] = {}  # most pages carry one of a few category sets
    result = []
    for name, url, checked_at, baselined, confirmed in session.execute(query):
        if not baselined:
            continue
        categories = frozenset(finding["category"] for finding in confirmed or ())
        result.append(PagePresence(name, url, checked_at, shared.setdefault(categories, categories)))
    return result


def coverage(pages: Sequence[PagePresence]) -> list[OutletCoverage]:
    """Per outlet and category, on how many of its pages the category is present: every known category and
    any other one a page carries, out of all the outlet's pages."""
    by_outlet: dict[str, list[PagePresence]] = defaultdict(list)
    for page in pages:
        by_outlet[page.outlet].append(page)
    result = []
    for outlet, its_pages in by_outlet.items():
        carried = Counter(category for page in its_pages for category in page.categories)
        categories = [*CATEGORIES, *sorted(set(carried) - set(CATEGORIES))]
        result.extend(OutletCoverage(outlet, c, carried[c], len(its_pages)) for c in categories)
    return result
