"""Plain data shared by every stage: what was fetched, what was found, what changed.

Frozen dataclasses only; persistence lives in ``monitor.store`` and rendering in ``monitor.notify``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

CATEGORIES: tuple[str, ...] = (
    "foreign_agent_label",
    "foreign_agent_statement",
    "undesirable_label",
    "donation_appeal",
    "paywall",
    "state_media_label",
)

CATEGORY_TITLES: dict[str, str] = {
    "foreign_agent_label": "foreign-agent label",
    "foreign_agent_statement": "foreign-agent statement",
    "undesirable_label": "undesirable-organization notice",
    "donation_appeal": "donation appeal",
    "paywall": "paywall",
    "state_media_label": "state-media label",
    "availability": "availability",
}


class Change(StrEnum):
    """What happened to a category on a page between two confirmed observations."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    UNREACHABLE = "unreachable"
    RECOVERED = "recovered"
    # Outlet level: the share of an outlet's checked pages carrying a category crossed the threshold.
    COVERAGE_REACHED = "coverage_reached"
    COVERAGE_DROPPED = "coverage_dropped"


@dataclass(frozen=True, slots=True)
class Finding:
    """One banner, statement, appeal or gate found on a page.

    ``text`` is the whole visible text of the element, joined across inline tags; ``location`` a
    short CSS-like path to it; ``rule`` the id of the rule that matched; ``matched`` the span of
    ``text`` the rule's pattern matched; ``template_pages`` on how many of the outlet's current pages
    (this one included) the same block stands, when it is part of the site template (0: not, or a
    single page was judged alone).
    """

    category: str
    text: str
    lang: str
    rule: str
    location: str
    matched: str = ""
    score: float = 1.0
    template_pages: int = 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if not self.template_pages:
            del data["template_pages"]  # single-page output (``detect --json``) stays as it always was
        return data


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The outcome of fetching one URL: a response (any status) or an error without one."""

    url: str
    final_url: str
    status: int | None
    headers: dict[str, str]
    body: bytes
    fetched_at: datetime
    error: str | None = None
    not_modified: bool = False
    source: str | None = None  # for an article followed from a feed or sitemap: that feed's URL

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and (200 <= self.status < 300 or self.not_modified)


@dataclass(frozen=True, slots=True)
class WordOp:
    """One step of a word-level diff: ``equal``, ``insert`` or ``delete`` of ``text``."""

    op: str
    text: str


@dataclass(frozen=True, slots=True)
class FindingChange:
    """A change of one category between two versions of one page (the diff engine's output)."""

    category: str
    change: Change
    before: str | None
    after: str | None
    word_diff: tuple[WordOp, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "change": str(self.change),
            "before": self.before,
            "after": self.after,
            "word_diff": [{"op": w.op, "text": w.text} for w in self.word_diff],
        }


@dataclass(frozen=True, slots=True)
class Event:
    """A recorded event, as history, notifications and exports see it."""

    id: int
    outlet: str
    url: str
    category: str
    change: Change
    created_at: datetime
    before: str | None = None
    after: str | None = None
    word_diff: tuple[WordOp, ...] = ()
    detail: str | None = None
    tags: tuple[str, ...] = field(default=())

    @property
    def title(self) -> str:
        what = CATEGORY_TITLES.get(self.category, self.category)
        return f"{self.outlet}: {what} {self.change}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "outlet": self.outlet,
            "url": self.url,
            "category": self.category,
            "change": str(self.change),
            "created_at": self.created_at.isoformat(),
            "before": self.before,
            "after": self.after,
            "word_diff": [{"op": w.op, "text": w.text} for w in self.word_diff],
            "detail": self.detail,
            "tags": list(self.tags),
        }
