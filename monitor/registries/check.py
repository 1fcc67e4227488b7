"""One pass over the configured registries: fetch (Scrapy, verified TLS), parse, diff rows, store, notify.

``press-monitor registries check --once`` and the daemon's ``registry:<name>`` jobs run this. A fetch
that is not a complete, well-formed list (an error status, an HTML maintenance page, pages that do not
add up to the announced size) changes no rows and makes no events: it is recorded as a failure.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from monitor.app import App
from monitor.config import Registry
from monitor.crawl import FetchRequest, FetchSettings, fetch
from monitor.models import Event, FetchResult
from monitor.notify.deliver import drain
from monitor.notify.routing import recipients
from monitor.observe import describe_failure
from monitor.registries import fara, minjust
from monitor.registries.links import jurisdiction, linked_outlet
from monitor.registries.rows import RegistryFormatError, RegistryRow
from monitor.registries.tls import load_bundle

log = logging.getLogger(__name__)
MASS_REMOVAL_MIN, MASS_REMOVAL_SHARE = 10, 0.5  # see _plausible
JSON_HEADERS = (("Content-Type", "application/json;charset=UTF-8"), ("Accept", "application/json"))


@dataclass
class RegistrySummary:
    checked: int = 0
    failed: int = 0
    events: list[Event] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)

    def text(self) -> str:
        lines = [f"registries checked: {self.checked}, failed: {self.failed}, events: {len(self.events)}"]
        lines += [f"  failed: {name}: {why}" for name, why in self.failures]
        lines += [f"  event #{e.id}: {e.outlet}: registry entry {e.change} — {e.detail}" for e in self.events]
        return "\n".join(lines)


async def check_registries(app: App, registries: Sequence[Registry], *, send: bool = True) -> RegistrySummary:
    """Check each registry once, record what changed, then (``send``) send what is due.

    The daemon passes ``send=False`` and sends through its own single sender."""
    summary = RegistrySummary()
    for registry in registries:
        events, failure = await check_registry(app, registry)
        summary.checked += 1
        summary.events += events
        if failure is not None:
            summary.failed += 1
            summary.failures.append((registry.name, failure))
    if send:
        await drain(app.store, app.channel, app.renderer, sender=app.config.mail.sender, now=lambda: datetime.now(UTC))
    log.info(
        "event=registries_done checked=%d failed=%d events=%d", summary.checked, summary.failed, len(summary.events)
    )
    return summary


async def check_registry(app: App, registry: Registry) -> tuple[list[Event], str | None]:
    """Fetch and store one registry; (its events, None) or ([], why it failed)."""
    try:
        settings = fetch_settings(app, registry)
    except (OSError, ValueError) as exc:  # an unreadable ca_file: nothing to fetch with
        why = f"ca_file: {exc}"
        log.warning("event=registry_failed registry=%s cause=%s", registry.name, why)
        return [], why
    results, rows = await _fetch_rows(registry, settings)
    first = results[0]
    refs = [app.archive.write(r) if r.status is not None else None for r in results]
    rows = _plausible(app, registry, rows)
    if isinstance(rows, str):
        log.warning("event=registry_failed registry=%s url=%s cause=%s", registry.name, first.url, rows)
        events = app.store.registry.record_failure(
            registry.name,
            first,
            rows,
            archive_ref=refs[0],
            unreachable_after=app.config.detection.unreachable_after,
            route=lambda event: _route(app, registry, event),
        )
        return events, rows
    events = app.store.registry.apply(
        registry.name,
        first,
        rows,
        outlet_for=lambda row: _outlet_name(app, registry, row),
        archive_ref=refs[0],
        route=lambda event: _route(app, registry, event),
        tags=registry.tags,
        unreachable_after=app.config.detection.unreachable_after,
    )
    log.info("event=registry_checked registry=%s rows=%d events=%d", registry.name, len(rows), len(events))
    return events, None


async def fetch_columns(app: App, registry: Registry) -> list[dict[str, str | None]] | str:
    """The MoJ registry's columns from its ``/info`` endpoint (to check ``fields:``), or why not."""
    request = FetchRequest(minjust.info_url(registry.url), headers=(("Accept", "application/json"),))
    (result,) = await fetch([request], fetch_settings(app, registry))
    if not result.ok:
        return describe_failure(result)
    try:
        return minjust.parse_columns(result.body, registry.kind, registry.fields)
    except RegistryFormatError as exc:
        return f"unexpected format: {exc}"


def _plausible(app: App, registry: Registry, rows: list[RegistryRow] | str) -> list[RegistryRow] | str:
    """``rows``, or why not: a list less than half as long as the last one is a broken source, not news
    (the MoJ keeps excluded entries; no register loses half its entries between two checks)."""
    before = next((s.rows for s in app.store.registry.sources() if s.name == registry.name), 0)
    if isinstance(rows, str) or before < MASS_REMOVAL_MIN or len(rows) >= before * MASS_REMOVAL_SHARE:
        return rows
    return f"implausible: {len(rows)} rows where the last fetch had {before}; not recorded"


def fetch_settings(app: App, registry: Registry) -> FetchSettings:
    """The watchlist's fetch settings with TLS verified (against the registry's own CA bundle, if any)."""
    ca_file = str(app.base_dir / registry.ca_file) if registry.ca_file else None
    if ca_file:
        load_bundle(ca_file)  # fail here, with the path, rather than inside the crawl
    return replace(app.fetch_settings, verify_tls=True, ca_file=ca_file)


def _request(registry: Registry, offset: int = 0) -> FetchRequest:
    if registry.kind.startswith("minjust") and registry.format == "json":
        # Later pages get a #offset fragment: the crawl returns one result per URL, and the fragment
        # is never sent to the server.
        url = registry.url if offset == 0 else f"{registry.url}#offset={offset}"
        body = minjust.values_body(offset, registry.page_size)
        return FetchRequest(url, method="POST", body=body, headers=JSON_HEADERS)
    return FetchRequest(registry.url, headers=(("Accept", "application/json, */*"),))


async def _fetch_rows(registry: Registry, settings: FetchSettings) -> tuple[list[FetchResult], list[RegistryRow] | str]:
    """The responses and the complete rows, or the responses and why there are no rows.

    When the MoJ REST endpoint fails and ``fallback_url`` names the XLSX export, the export's rows are
    used instead (same keys, so switching source makes no events); both failures are reported.
    """
    results, rows = await _fetch_primary(registry, settings)
    if not isinstance(rows, str) or registry.fallback_url is None:
        return results, rows
    log.warning("event=registry_fallback registry=%s cause=%s", registry.name, rows)
    (export,) = await fetch([FetchRequest(registry.fallback_url)], settings)
    try:
        if not export.ok:
            return results, f"{rows}; fallback: {describe_failure(export)}"
        return [export], minjust.parse_export(export.body)
    except RegistryFormatError as exc:
        return results, f"{rows}; fallback: unexpected format: {exc}"


async def _fetch_primary(
    registry: Registry, settings: FetchSettings
) -> tuple[list[FetchResult], list[RegistryRow] | str]:
    results = await fetch([_request(registry)], settings)
    try:
        if not results[0].ok:
            return results, describe_failure(results[0])
        if registry.kind.startswith("fara"):
            return results, fara.parse_registrants(results[0].body)
        if registry.format == "xlsx":
            return results, minjust.parse_export(results[0].body)
        pages = [minjust.parse_values(results[0].body, registry.kind, registry.fields)]
        offsets = range(registry.page_size, pages[0][0], registry.page_size)
        if offsets:
            more = await fetch([_request(registry, o) for o in offsets], settings)
            results += more
            failed = next((r for r in more if not r.ok), None)
            if failed is not None:
                return results, f"page {failed.url}: {describe_failure(failed)}"
            pages += [minjust.parse_values(r.body, registry.kind, registry.fields) for r in more]
        return results, minjust.rows_from_pages(pages)
    except RegistryFormatError as exc:
        return results, f"unexpected format: {exc}"


def _outlet_name(app: App, registry: Registry, row: RegistryRow) -> str:
    outlet = linked_outlet(app.config, registry, row)
    return outlet.name if outlet is not None else registry.name


def _route(app: App, registry: Registry, event: Event) -> list[str]:
    outlet = next((o for o in app.config.outlets if o.name == event.outlet), None)
    if outlet is not None:
        return recipients(event, app.config.subscribers, "immediate", outlet.tags, outlet.jurisdiction)
    return recipients(event, app.config.subscribers, "immediate", registry.tags, jurisdiction(registry))
