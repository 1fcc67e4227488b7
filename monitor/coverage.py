"""Label coverage: on what share of an outlet's checked pages a category is present, and when that share
crosses ``detection.coverage_threshold`` — an outlet-level event ("Meduza: foreign-agent label now on most
pages"), distinct from any one page's change.

Feeds and sitemaps are how articles are found, not pages that carry banners, so they are left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from monitor.config import Config, Outlet
from monitor.models import CATEGORIES, Change, Event, FindingChange
from monitor.store import OutletCoverage as Coverage
from monitor.store import PagePresence
from monitor.store.state import coverage as count_coverage

if TYPE_CHECKING:
    from monitor.app import App

# Below this many checked pages a share says little ("1 of 1 pages") — no outlet-level event.
MIN_PAGES = 2


def content_pages(
    pages: Sequence[PagePresence], outlet: Outlet, fresh_since: datetime | None = None
) -> list[PagePresence]:
    """The pages of ``outlet`` without its feed and sitemap URLs, and — with ``fresh_since`` — only pages
    checked since then: an article that left the feed long ago no longer says what the outlet prints today."""
    discovery = set(outlet.feeds) | set(outlet.sitemaps)
    return [
        p
        for p in pages
        if p.outlet == outlet.name
        and p.url not in discovery
        and (fresh_since is None or (p.last_checked_at is not None and _utc(p.last_checked_at) >= fresh_since))
    ]


def fresh_since(config: Config, outlet: Outlet, now: datetime) -> datetime:
    """Pages checked within two of the outlet's intervals count as its current pages (two days for cron)."""
    interval = config.schedule_for(outlet).interval
    return now - (timedelta(seconds=2 * interval) if interval else timedelta(days=2))


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def coverage(pages: Sequence[PagePresence]) -> dict[str, Coverage]:
    """One outlet's pages → its coverage per category (the store's own count, keyed by category)."""
    return {c.category: c for c in count_coverage(pages)}


def snapshot(app: App, outlet: Outlet) -> dict[str, Coverage]:
    """The outlet's coverage per category now (confirmed findings of its baselined pages)."""
    since = fresh_since(app.config, outlet, datetime.now(UTC))
    return coverage(content_pages(app.store.page_presence(outlet=outlet.name), outlet, since))


def snapshots(app: App, outlets: Sequence[Outlet]) -> dict[str, dict[str, Coverage]]:
    """:func:`snapshot` of every outlet in ``outlets`` from ONE read of the store: read per outlet, a
    check of 1,000 outlets re-read every page's state (and every snapshot's date) 2,000 times."""
    if len(outlets) == 1:
        return {outlets[0].name: snapshot(app, outlets[0])}
    by_outlet: dict[str, list[PagePresence]] = defaultdict(list)
    for page in app.store.page_presence():
        by_outlet[page.outlet].append(page)
    now = datetime.now(UTC)
    return {
        o.name: coverage(content_pages(by_outlet.get(o.name, []), o, fresh_since(app.config, o, now))) for o in outlets
    }


def crossings(before: dict[str, Coverage], now: dict[str, Coverage], threshold: float) -> list[FindingChange]:
    """The categories whose share crossed ``threshold`` between two snapshots. A first snapshot, or one of
    fewer than MIN_PAGES pages, is a baseline: nothing is "reached" on the day an outlet is first watched."""
    changes = []
    for category in CATEGORIES:
        old, new = before.get(category), now.get(category)
        if old is None or new is None or min(old.pages_checked, new.pages_checked) < MIN_PAGES:
            continue
        above = new.share >= threshold
        if above == (old.share >= threshold):
            continue
        wording = _describe(new, threshold)
        change = Change.COVERAGE_REACHED if above else Change.COVERAGE_DROPPED
        changes.append(FindingChange(category, change, _describe(old, threshold), wording))
    return changes


def _describe(cover: Coverage, threshold: float) -> str:
    share = f"{cover.share:.0%}; threshold {threshold:.0%}"
    return f"on {cover.pages_present} of {cover.pages_checked} checked pages ({share})"


def record_coverage_events(
    app: App,
    outlet: Outlet,
    before: dict[str, Coverage],
    route: Callable[[Event], Sequence[str]],
    after: dict[str, Coverage] | None = None,
) -> list[Event]:
    """After a check of ``outlet``: an outlet-level event for every category whose coverage crossed the
    configured threshold (in either direction) during this check. ``after``: from :func:`snapshots`."""
    now = snapshot(app, outlet) if after is None else after
    changes = crossings(before, now, app.config.detection.coverage_threshold)
    if not changes:
        return []
    anchor = outlet.page_urls()[0] if outlet.page_urls() else outlet.homepage
    return app.store.outlets.record(outlet=outlet.name, url=anchor, changes=changes, at=datetime.now(UTC), route=route)
