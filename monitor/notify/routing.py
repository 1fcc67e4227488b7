"""Who gets an event, and how: subscribers, their modes and their filters.

A subscriber has an address, one or more modes (``immediate``, ``daily``, ``weekly``) and filters
(``filters``) on outlets, tags, categories, changes (event kinds such as ``unreachable``) and
jurisdictions. An empty filter matches everything; a non-empty one must match. ``config.Subscriber``
fits :class:`SubscriberLike` as it is; :class:`Subscriber` is a flat stand-in for code and tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from monitor.models import Event

MODES: tuple[str, ...] = ("immediate", "daily", "weekly")


class Filters(Protocol):
    """A subscriber's filters (read-only, so pydantic models and dataclasses both fit)."""

    @property
    def outlets(self) -> Sequence[str]: ...
    @property
    def tags(self) -> Sequence[str]: ...
    @property
    def categories(self) -> Sequence[str]: ...
    @property
    def changes(self) -> Sequence[str]: ...
    @property
    def jurisdictions(self) -> Sequence[str]: ...


class SubscriberLike(Protocol):
    """What routing reads from a subscriber: the shape of ``config.Subscriber``."""

    @property
    def email(self) -> str: ...
    @property
    def modes(self) -> Sequence[str]: ...
    @property
    def filters(self) -> Filters: ...


@dataclass(frozen=True)
class Subscriber:
    """A subscriber with its filters inline; every filter empty means "everything"."""

    email: str
    modes: tuple[str, ...] = ("immediate",)
    outlets: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    changes: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()

    @property
    def filters(self) -> Subscriber:
        return self


def _fold(values: Sequence[str]) -> set[str]:
    return {v.casefold() for v in values}


def matches(
    event: Event,
    subscriber: SubscriberLike,
    *,
    outlet_tags: Sequence[str] = (),
    jurisdiction: str | None = None,
) -> bool:
    """Whether every non-empty filter of ``subscriber`` accepts ``event`` (names compared case-blind).

    ``outlet_tags`` and ``jurisdiction`` describe the event's outlet (from the watchlist); the
    event's own ``tags`` count as well.
    """
    f = subscriber.filters
    if f.outlets and event.outlet.casefold() not in _fold(f.outlets):
        return False
    if f.categories and event.category.casefold() not in _fold(f.categories):
        return False
    if f.changes and str(event.change).casefold() not in _fold(f.changes):
        return False
    if f.tags and not _fold(f.tags) & _fold([*outlet_tags, *event.tags]):
        return False
    return not (f.jurisdictions and (jurisdiction is None or jurisdiction.casefold() not in _fold(f.jurisdictions)))


def recipients(
    event: Event,
    subscribers: Sequence[SubscriberLike],
    mode: str,
    outlet_tags: Sequence[str] = (),
    jurisdiction: str | None = None,
) -> list[str]:
    """Addresses that should get ``event`` in ``mode``, in subscriber order, each address once."""
    if mode not in MODES:
        raise ValueError(f"unknown delivery mode {mode!r}; expected one of {', '.join(MODES)}")
    found: dict[str, None] = {}
    for subscriber in subscribers:
        if mode not in subscriber.modes:
            continue
        if matches(event, subscriber, outlet_tags=outlet_tags, jurisdiction=jurisdiction):
            found.setdefault(subscriber.email, None)
    return list(found)
