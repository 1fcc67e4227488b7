"""Compliance timing: from an outlet's designation to the first day its pages carried the mandated label.

For every registry link in the watchlist (``outlets[].registry``): the entry's designation and exclusion
dates, the first time any of the outlet's checked pages carried the category the designation mandates
(``foreign_agent_label``; ``undesirable_label`` for the undesirable list), whether that was already so
at the first check (monitoring began after it: the lag is then unknown, at most the given days), and on
what share of its checked pages the label is now. ``status`` names the cases researchers ask about.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from monitor.config import Config, Outlet, Registry, RegistryLink
from monitor.registries.links import KIND_CATEGORY, find
from monitor.store import Store
from monitor.store.registry import PageLabels, RegistryEntry

STATUSES = {
    "labelling": "designated and labelling now",
    "stopped_labelling": "designated, labelled before but not now",
    "never_labelled": "designated, never seen labelling",
    "labelling_after_exclusion": "excluded from the registry, still labelling",
    "excluded": "excluded from the registry, not labelling",
    "not_checked": "no page of the outlet checked yet",
    "unlinked": "the link matches no registry entry (check reg_no / inn / name)",
    "ambiguous": "the link matches several registry entries: name it by reg_no or inn",
}


@dataclass(frozen=True, slots=True)
class ComplianceRow:
    outlet: str
    registry: str
    link: str
    status: str
    entry: str | None = None
    designated: str | None = None
    excluded: str | None = None
    category: str = "foreign_agent_label"
    first_label: str | None = None
    label_at_first_check: bool = False
    days_to_label: int | None = None
    pages_labelled: int = 0
    pages_checked: int = 0

    @property
    def share(self) -> float:
        return self.pages_labelled / self.pages_checked if self.pages_checked else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "share": round(self.share, 3)}


def compliance(config: Config, store: Store) -> list[ComplianceRow]:
    """One row per registry link of every outlet, in watchlist order."""
    entries = store.registry.entries()
    result = []
    for outlet in config.outlets:
        for link in outlet.registry:
            registry = config.registry(link.registry)
            rows = [e for e in entries if e.registry == registry.name]
            result.append(_row(store, outlet, registry, link, rows))
    return result


def _describe(link: RegistryLink) -> str:
    for key in ("reg_no", "inn", "name"):
        value = getattr(link, key)
        if value is not None:
            return f"{key} {value}"
    return ""


def _row(
    store: Store, outlet: Outlet, registry: Registry, link: RegistryLink, entries: list[RegistryEntry]
) -> ComplianceRow:
    base = ComplianceRow(outlet.name, registry.name, _describe(link), "unlinked", category=KIND_CATEGORY[registry.kind])
    by_key = {e.key: e for e in entries}
    found = find(link, [e.row for e in entries])
    if len(found) != 1:
        return base if not found else _with(base, status="ambiguous")
    entry = by_key[found[0].key]
    excluded = entry.fields.get("excluded") or (entry.removed_at.date().isoformat() if entry.removed_at else None)
    base = _with(base, entry=entry.fields.get("name"), designated=entry.fields.get("included"), excluded=excluded)
    states = [s for s in store.category_states(outlet.name) if s.category == base.category]
    if not states:
        return _with(base, status="not_checked")
    labelled = sum(s.present for s in states)
    first, at_start = first_label(
        store.registry.label_history(outlet.name, base.category), {s.url for s in states if s.present}
    )
    days = _days(base.designated, first) if first is not None and not at_start else None
    status = _status(labelled > 0, first is not None, excluded is not None)
    first_text = first.isoformat() if first else None
    return _with(
        base,
        status=status,
        first_label=first_text,
        label_at_first_check=at_start,
        days_to_label=days,
        pages_labelled=labelled,
        pages_checked=len(states),
    )


def first_label(pages: Sequence[PageLabels], present_now: set[str]) -> tuple[datetime | None, bool]:
    """The earliest time any page carried the label, and whether that was already at its first check.

    A page whose first label event is ``removed`` (or that shows the label now without any event) had it
    when monitoring began; otherwise its first ``added`` event is when the label appeared.
    """
    candidates: list[tuple[datetime, bool]] = []
    for page in pages:
        first_change = page.changes[0][0] if page.changes else None
        if first_change == "removed" or (first_change is None and page.url in present_now):
            candidates.append((page.first_checked, True))
        elif first_change == "added":
            candidates.append((page.changes[0][1], False))
    if not candidates:
        return None, False
    when, at_start = min(candidates, key=lambda c: c[0])
    return when, at_start


def _days(designated: str | None, first: datetime) -> int | None:
    try:
        return (first.date() - date.fromisoformat(designated or "")).days
    except ValueError:
        return None


def _status(labelling: bool, ever: bool, excluded: bool) -> str:
    if excluded:
        return "labelling_after_exclusion" if labelling else "excluded"
    if labelling:
        return "labelling"
    return "stopped_labelling" if ever else "never_labelled"


def _with(row: ComplianceRow, **changes: Any) -> ComplianceRow:
    return ComplianceRow(**{**asdict(row), **changes})
