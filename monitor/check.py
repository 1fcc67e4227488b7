"""One pass over the watchlist: fetch → decode → detect → observe → store → notify.

``press-monitor check --once`` and every scheduled job of the daemon run this same function.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime

from monitor.app import App
from monitor.config import Outlet
from monitor.coverage import record_coverage_events
from monitor.coverage import snapshots as coverage_snapshots
from monitor.crawl import FetchRequest, fetch_each
from monitor.models import Event, FetchResult
from monitor.notify.deliver import drain
from monitor.observation import begin_observation, recipients_for
from monitor.observe import SiteTemplate
from monitor.reader import PageReader, Reading, ReadJob
from monitor.recorder import Recorder
from monitor.store import OutletSpec, PageInfo

log = logging.getLogger(__name__)


@dataclass
class CheckSummary:
    """What a pass did, for the CLI, the daemon's log and ``status``."""

    fetched: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0
    events: list[Event] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)

    def text(self) -> str:
        skipped = f", not fetched (crawl time limit): {self.skipped}" if self.skipped else ""
        lines = [
            f"pages fetched: {self.fetched}, unchanged: {self.unchanged}, failed: {self.failed}, "
            f"events: {len(self.events)}{skipped}"
        ]
        lines += [f"  failed: {url}: {why}" for url, why in self.failures]
        lines += [f"  event #{e.id}: {e.title} — {e.url}" for e in self.events]
        return "\n".join(lines)


async def check_once(app: App, outlets: Sequence[Outlet], *, send: bool = True) -> CheckSummary:
    """Check every page and feed of ``outlets`` once, record what changed, and send what is due.

    ``send=False`` leaves sending to the caller: the daemon runs checks in parallel and sends from one
    place, since two drains at once could both pick up, and send, the same queued delivery."""
    # The whole watchlist, not just the outlets of this check: the others stay active (``state``, ``status``).
    app.store.sync_outlets([outlet_spec(o) for o in app.config.outlets])
    coverage_before = coverage_snapshots(app, outlets)
    # What the store knows of the watched pages, read once: no per-page queries before each write.
    watched = [url for outlet in outlets for url in outlet.page_urls()]
    known = app.store.page_infos(watched)
    # Per outlet: the candidate blocks its pages carry, so what repeats across them (kept current page by page).
    templates = {o.name: SiteTemplate({u: known[u].state for u in o.page_urls() if u in known}) for o in outlets}
    preloaded = set(watched)
    requests, owners = build_requests(outlets, known)
    summary = CheckSummary()
    kinds = {r.url: r.kind for r in requests}
    reader = app.page_reader(len(watched))
    recorder = Recorder(asyncio.get_running_loop(), group=app.store.batch)  # group commit of ready pages

    def handle(result: FetchResult) -> None:
        recorder.raise_first_error()  # a failed write stops the crawl
        outlet = owners.get(result.url) or owners.get(result.source or "")
        if outlet is None:  # a URL we did not ask for: never store what we cannot attribute
            log.warning("event=unattributed url=%s", result.url)
            return
        if not_attempted(result):  # our own crawl limit, not the site's failure: no observation at all
            log.warning("event=not_fetched url=%s cause=%s", result.url, result.error)
            summary.skipped += 1
            return
        # A followed article was not preloaded; a URL seen twice in one check must see its first write.
        info = known.pop(result.url, None) if result.url in preloaded else app.store.page_info(result.url)
        preloaded.discard(result.url)
        is_feed = kinds.get(result.url, "page") != "page"
        template = None if is_feed else templates[outlet.name]  # a feed is not one of the outlet's pages
        observation = begin_observation(app, outlet, result, info, template)

        def record(reading: Reading) -> None:
            tally(summary, result, reading, observation.record(reading))

        step = observation.read_inline(app, is_feed=is_feed)
        compressing = observation.compressing()  # recorded when these are done too: the loop never waits
        if isinstance(step, Reading):
            recorder.now(lambda: record(step), after=compressing)
        else:  # the body is read by the reader (maybe a worker process), and recorded when it is back
            done = recorder.later(lambda future: record(reading_of(reader, step, future)), after=compressing)
            reader.submit(step, done)

    try:
        # Each result is stored as it arrives: no body waits in memory for the rest of the crawl.
        await fetch_each(requests, app.fetch_settings, handle, validators=app.store.validators)
        await recorder.drained()
    finally:
        reader.close()
    coverage_after = coverage_snapshots(app, outlets)
    route = functools.partial(recipients_for, app)
    for outlet in outlets:
        before, after = coverage_before[outlet.name], coverage_after[outlet.name]
        # What recognition alone moved has no baseline to cross from (the pages did not change).
        before = {c: v for c, v in before.items() if c not in templates[outlet.name].recognised}
        summary.events.extend(record_coverage_events(app, outlet, before, route, after))
    sent = 0
    if send:
        # Built even with nothing to send: a missing SMTP password must fail this check, not the first
        # alert. The renderer (Jinja2, the CSS inliner) waits for a message that is due.
        channel = app.channel
        if app.store.any_due(utcnow()):
            sent = (await drain(app.store, channel, app.renderer, sender=app.config.mail.sender, now=utcnow)).sent
    log.info(
        "event=check_done fetched=%d unchanged=%d failed=%d events=%d sent=%d read_by_worker=%d worker_rss_mb=%.0f",
        summary.fetched,
        summary.unchanged,
        summary.failed,
        len(summary.events),
        sent,
        reader.offloaded,
        reader.worker_peak_mb,
    )
    return summary


def reading_of(reader: PageReader, job: ReadJob, future: Future[Reading]) -> Reading:
    """The worker's reading; if the worker died on this page, the page is read here instead."""
    try:
        return future.result()
    except BrokenProcessPool:
        return reader.recover(job)


def build_requests(
    outlets: Sequence[Outlet], known: Mapping[str, PageInfo]
) -> tuple[list[FetchRequest], dict[str, Outlet]]:
    """One request per page (conditional when the store has its validators), feed and sitemap."""
    requests: list[FetchRequest] = []
    owners: dict[str, Outlet] = {}
    for outlet in outlets:
        for url in outlet.page_urls():
            info = known.get(url) or PageInfo()
            requests.append(FetchRequest(url, etag=info.etag, last_modified=info.last_modified))
            owners[url] = outlet
        for kind, urls in (("feed", outlet.feeds), ("sitemap", outlet.sitemaps)):
            for url in urls:
                requests.append(FetchRequest(url, kind=kind, follow_limit=outlet.follow))
                owners[url] = outlet
    return requests, owners


def not_attempted(result: FetchResult) -> bool:
    """A placeholder for a request our own crawl limit stopped before it reached the network."""
    return result.status is None and (result.error or "").startswith(("crawl time limit", "not fetched"))


def tally(summary: CheckSummary, result: FetchResult, reading: Reading, events: list[Event]) -> None:
    if reading.failure is not None:
        summary.failed += 1
        summary.failures.append((result.url, reading.failure))
    elif result.not_modified:
        summary.unchanged += 1
    else:
        summary.fetched += 1
    summary.events.extend(events)


def outlet_spec(outlet: Outlet) -> OutletSpec:
    return OutletSpec(
        name=outlet.name,
        homepage=outlet.homepage,
        tags=tuple(outlet.tags),
        jurisdiction=outlet.jurisdiction,
        urls=tuple(outlet.page_urls() + outlet.feeds + outlet.sitemaps),
    )


def utcnow() -> datetime:
    return datetime.now(UTC)
