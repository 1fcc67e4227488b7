"""One fetch on its way to the store: what was known of the page, its reading, and its record.

:func:`begin_observation` starts the WARC record's and the body's compression in the background;
:meth:`Observation.read_inline` settles what needs no parse (a failure, a 304, a feed) or returns the
job that reads the body (possibly in a worker process, see :mod:`monitor.reader`);
:meth:`Observation.record` folds the reading into the page's state and writes it with its events.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import Any

from monitor.app import App
from monitor.archive import PendingRecord
from monitor.compress import pack_body_later
from monitor.config import Outlet
from monitor.models import Event, FetchResult, Finding
from monitor.notify.routing import recipients
from monitor.observe import PageState, SiteTemplate, describe_failure, observe, recognise
from monitor.reader import Reading, ReadJob
from monitor.store import PageInfo


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
        revisit = result.not_modified and previous is not None
        if revisit and (same_rules or self.last_hash is None):  # the common 304: its findings stand as stored
            return Reading(self.last_hash, last_seen(previous))
        if is_feed and not revisit:
            return Reading(None, [])
        template = self.template.for_page(result.url, previous) if self.template is not None else None
        job = ReadJob(result, tuple(app.outlet_rules(self.outlet)), template=template)
        if revisit:
            return reuse_or_redetect(app, job, previous, self.last_hash)
        return replace(job, reuse_hash=self.last_hash if previous is not None and same_rules else None)

    def compressing(self) -> list[Future[Any]]:
        """The background work :meth:`record` needs: the WARC record's and the body's compression."""
        return [f for f in (self.archive.built if self.archive is not None else None, self.body) if f is not None]

    def _archive(self, content: str | None, equivalent: bool) -> str | None:
        """Append the fetch's records; ``content`` is the fingerprint of what they hold (None: no content)."""
        return None if self.archive is None else self.archive.finish(content=content, equivalent=equivalent)

    def record(self, reading: Reading) -> list[Event]:
        """Fold the reading into the page's state, store the observation, return its events (once confirmed)."""
        app, result, previous, version = self.app, self.result, self.previous, self.version
        # Same content fingerprint, same rules: same findings, and only noise left to archive.
        equivalent = reading.reused and previous is not None and not app.config.storage.archive_noise
        if reading.reused and previous is not None:
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
            state = self.template.remember(
                result.url, state, reading.keys, reading.repeated, reading.rejected, seen=seen
            )
        return app.store.record_observation(
            outlet=self.outlet.name,
            url=result.url,
            fetch=result,
            content_hash=reading.content_hash,
            # The findings table has no column for template evidence (the page state keeps it).
            findings=None if reading.findings is None else [replace(f, template_pages=0) for f in reading.findings],
            state=state,
            changes=changes,
            archive_ref=self._archive(reading.content_hash if reading.failure is None else None, equivalent),
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
    body = pack_body_later(result.body) if result.ok and result.body and not result.not_modified else None
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


def reuse_or_redetect(app: App, job: ReadJob, previous: PageState, last_hash: str) -> Reading | ReadJob:
    """A 304 after the rules changed since its findings were made (a disabled rule, a new pack, an upgrade)
    or the site template moved: the job that reads the stored body again (the stored findings stand
    without one). After an upgrade every page takes this path once: it goes to the reader like a new body."""
    body = app.store.body(last_hash)
    if body is None:
        return Reading(last_hash, last_seen(previous))
    return replace(job, result=replace(job.result, body=body), stored_hash=last_hash)


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
