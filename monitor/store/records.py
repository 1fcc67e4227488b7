"""Plain records the store takes and returns (frozen dataclasses; no ORM objects leak out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from monitor.models import Event
from monitor.observe import PageState

DELIVERY_KINDS = ("alert", "daily", "weekly")
DELIVERY_STATUSES = ("pending", "sent", "failed")


@dataclass(frozen=True, slots=True)
class OutletSpec:
    """An outlet as the watchlist describes it, and the page URLs watched for it."""

    name: str
    homepage: str | None = None
    tags: tuple[str, ...] = ()
    jurisdiction: str | None = None
    urls: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PageInfo:
    """What a check needs to know of a page before fetching it: its validators, state and content hash."""

    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    state: PageState | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One outbox message: an immediate alert or a digest for one recipient.

    ``message_id`` is assigned once, at creation, so a retried send carries the same Message-ID
    and mail clients de-duplicate a message that was in fact delivered twice.
    """

    id: int
    recipient: str
    kind: str
    event_ids: tuple[int, ...]
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    message_id: str
    created_at: datetime
    sent_at: datetime | None = None
    events: tuple[Event, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class PageSummary:
    """The latest known condition of one watched page (what ``press-monitor status`` shows)."""

    outlet: str | None
    url: str
    last_checked_at: datetime | None
    last_status: int | None
    last_error: str | None
    consecutive_failures: int
    unreachable: bool
    checks: int
    active: bool = True

    @property
    def last_result(self) -> str:
        """``never checked``, ``ok``, ``HTTP 451`` or the error text."""
        if self.last_checked_at is None:
            return "never checked"
        if self.last_error:
            return self.last_error
        if self.last_status is not None and not 200 <= self.last_status < 400:
            return f"HTTP {self.last_status}"
        return "ok"


@dataclass(frozen=True, slots=True)
class CategoryState:
    """Whether one page currently carries one category (confirmed findings), and since when.

    ``since`` is the time of the latest ``added``/``removed`` event for it, or of the page's first
    check when it has been this way since monitoring began.
    """

    outlet: str
    url: str
    category: str
    present: bool
    since: datetime | None
    wording: tuple[str, ...]
    last_checked_at: datetime | None


@dataclass(frozen=True, slots=True)
class PagePresence:
    """Which categories one baselined page carries now (its confirmed findings): what label coverage counts,
    without the dates and wording of :class:`CategoryState` (a check reads it for every page, twice)."""

    outlet: str
    url: str
    last_checked_at: datetime | None
    categories: frozenset[str]


@dataclass(frozen=True, slots=True)
class OutletCoverage:
    """On how many of an outlet's checked pages a category is present (label coverage)."""

    outlet: str
    category: str
    pages_present: int
    pages_checked: int

    @property
    def share(self) -> float:
        return self.pages_present / self.pages_checked if self.pages_checked else 0.0
