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
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from monitor.app import App
from monitor.archive import PendingRecord
from monitor.compress import zlib_later
from monitor.config import Outlet
from monitor.coverage import record_coverage_events
from monitor.coverage import snapshots as coverage_snapshots
from monitor.crawl import FetchRequest, fetch_each
from monitor.extract import ParsedPage, decode_html
from monitor.models import Event, FetchResult, Finding
from monitor.notify.deliver import drain
from monitor.notify.routing import recipients
from monitor.observe import PageState, SiteTemplate, describe_failure, observe, recognise
from monitor.reader import PageReader, Reading, ReadJob, Recorder, detect
from monitor.store import OutletSpec, PageInfo
from monitor.store.observations import BLOB_LEVEL

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
        if isinstance(step, Reading):
            recorder.now(lambda: record(step))
        else:  # the body is read by the reader (maybe a worker process), and recorded when it is back
            reader.submit(step, recorder.later(lambda future: record(reading_of(reader, step, future))))

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
        sent = (await drain(app.store, app.channel, app.renderer, sender=app.config.mail.sender, now=utcnow)).sent
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


@dataclass
class Observation:
    """One fetch between its arrival and its record: what was known of the page, and the archive and
    body compression already running in the background while the body is read."""

    app: App
    outlet: Outlet
    result: FetchResult
    previous: PageState | None
    last_hash: str | None
    version: str
    archive: PendingRecord | None
    body: Future[bytes] | None
    template: SiteTemplate | None = None

    def read_inline(self, app: App, *, is_feed: bool) -> Reading | ReadJob:
        """The reading when it needs no parse (a failure, a 304, a feed), else the job that reads the body."""
        result, previous = self.result, self.previous
        if not result.ok:
            return Reading(failure=describe_failure(result))
        same_rules = previous is not None and previous.rules == self.version
        if previous is not None and self.template is not None and self.template.moved(result.url, previous):
            same_rules = False  # the other pages now repeat other blocks of it: read the same content again
        template = self.template.for_page(result.url, previous) if self.template is not None else None
        job = ReadJob(result, tuple(app.outlet_rules(self.outlet)), template=template)
        if result.not_modified and previous is not None:
            return reuse_or_redetect(app, job, previous, self.last_hash, same_rules=same_rules)
        if is_feed:
            return Reading(None, [])
        return replace(job, reuse_hash=self.last_hash if previous is not None and same_rules else None)

    def record(self, reading: Reading) -> list[Event]:
        """Fold the reading into the page's state, store the observation, return its events (once confirmed)."""
        app, result, previous, version = self.app, self.result, self.previous, self.version
        if reading.reused and previous is not None:  # same content fingerprint, same rules: same findings
            reading = replace(reading, findings=last_seen(previous), reused=False)
        if previous is not None and reading.findings is not None and previous.rules != version:
            # The rules changed, not the page: the new findings become the baseline, without events.
            previous = replace(previous, baselined=False, pending=None, pending_count=0)
        previous, folded = recognise(previous, reading.lifted)
        detection = app.config.detection
        state, changes = observe(
            previous,
            fetch_ok=reading.failure is None,
            findings=reading.findings,
            failure=reading.failure,
            confirmations=detection.confirmations,
            unreachable_after=detection.unreachable_after,
        )
        if reading.findings is not None:
            state = replace(state, rules=version)
        if self.template is not None:
            self.template.recognised.update(f.category for f in folded)
            seen = reading.findings is not None
            state = self.template.remember(result.url, state, reading.keys, reading.repeated, seen=seen)
        return app.store.record_observation(
            outlet=self.outlet.name,
            url=result.url,
            fetch=result,
            content_hash=reading.content_hash,
            # The findings table has no column for template evidence (the page state keeps it).
            findings=None if reading.findings is None else [replace(f, template_pages=0) for f in reading.findings],
            state=state,
            changes=changes,
            archive_ref=self.archive.finish() if self.archive is not None else None,
            compressed_body=self.body.result() if self.body is not None else None,
            route=lambda event: recipients_for(app, event),
        )


def begin_observation(
    app: App, outlet: Outlet, result: FetchResult, info: PageInfo | None, template: SiteTemplate | None = None
) -> Observation:
    """Start turning one fetch into a stored observation. ``info`` is what the store knew of the page
    before this fetch (None for a page never seen)."""
    # The body's compression (database) and its WARC records run on a background thread meanwhile.
    pending = app.archive.begin(result) if archivable(result) else None
    body = zlib_later(result.body, BLOB_LEVEL) if result.ok and result.body and not result.not_modified else None
    return Observation(
        app,
        outlet,
        result,
        previous=info.state if info is not None else None,
        last_hash=info.content_hash if info is not None else None,
        version=app.rules_version(outlet),
        archive=pending,
        body=body,
        template=template,
    )


def archivable(result: FetchResult) -> bool:
    """Whether the response goes to the WARC archive. A 304 does not: the store points its snapshot at the
    last archived response, which it re-confirms (the evidence behind an event confirmed by a 304)."""
    return result.status is not None and not result.not_modified


def not_attempted(result: FetchResult) -> bool:
    """A placeholder for a request our own crawl limit stopped before it reached the network."""
    return result.status is None and (result.error or "").startswith(("crawl time limit", "not fetched"))


def reuse_or_redetect(
    app: App, job: ReadJob, previous: PageState, last_hash: str | None, *, same_rules: bool
) -> Reading:
    """A 304: the page is what we stored. Its findings stand, unless the rules changed since they were made
    (a disabled rule, a new pack, an upgrade) or the site template moved: then the stored body is read again."""
    body = None if same_rules or last_hash is None else app.store.body(last_hash)
    if body is None:
        return Reading(last_hash, last_seen(previous))
    page = ParsedPage.parse(decode_html(body, job.result.headers.get("content-type")))
    return detect(app.detector, page, last_hash, job)


def last_seen(state: PageState) -> list[Finding]:
    """The findings of the latest successful observation: the pending candidate if any, else the confirmed."""
    return list(state.pending if state.pending is not None else state.confirmed)


def recipients_for(app: App, event: Event) -> list[str]:
    outlet = next((o for o in app.config.outlets if o.name == event.outlet), None)
    return recipients(
        event,
        app.config.subscribers,
        "immediate",
        outlet_tags=tuple(outlet.tags) if outlet else (),
        jurisdiction=outlet.jurisdiction if outlet else None,
    )


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
