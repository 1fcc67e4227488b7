"""Who gets an event, and how: subscribers, their modes and their filters.

A subscriber has an address, one or more modes (``immediate``, ``daily``, ``weekly``) and filters
on outlets, tags, categories, changes (event kinds such as ``unreachable``) and jurisdictions.
An empty filter matches everything; a non-empty one must match. The config loader maps its
pydantic models onto :class:`SubscriberLike`; :class:`Subscriber` is a ready-made implementation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from monitor.models import Event

MODES: tuple[str, ...] = ("immediate", "daily", "weekly")


class SubscriberLike(Protocol):
    """What routing reads from a subscriber (read-only, so pydantic models and dataclasses both fit)."""

    @property
    def email(self) -> str: ...
    @property
    def modes(self) -> Sequence[str]: ...
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


@dataclass(frozen=True)
class Subscriber:
    """A subscriber as routing sees it; every filter empty means "everything"."""

    email: str
    modes: tuple[str, ...] = ("immediate",)
    outlets: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    changes: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()


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
    if subscriber.outlets and event.outlet.casefold() not in _fold(subscriber.outlets):
        return False
    if subscriber.categories and event.category.casefold() not in _fold(subscriber.categories):
        return False
    if subscriber.changes and str(event.change).casefold() not in _fold(subscriber.changes):
        return False
    if subscriber.tags and not _fold(subscriber.tags) & _fold([*outlet_tags, *event.tags]):
        return False
    return not (
        subscriber.jurisdictions
        and (jurisdiction is None or jurisdiction.casefold() not in _fold(subscriber.jurisdictions))
    )


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
