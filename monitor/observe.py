"""The per-page observation state machine: confirmation of content changes and availability (pure).

Each check of a page is one *observation*. :func:`observe` folds it into the page's
:class:`PageState` and returns the changes that became true with it:

* **Baseline.** The first successful observation of a page is recorded as its confirmed state and
  yields no events: nothing is "added" on the day a page is first watched.
* **Confirmation.** A content change becomes events only after ``confirmations`` consecutive
  successful observations agree on it. The default, 2, is the smallest value that stops one flapping
  A/B test, one half-rendered page or one stale CDN node from alerting, while a real change is still
  reported on the next check (30-60 minutes later). Failed fetches between two agreeing observations
  neither confirm nor reset a pending change: they say nothing about the content.
* **Failures never remove.** A failed or incomplete fetch is not an observation of content, so it
  can never produce ``removed``. After ``unreachable_after`` consecutive failures the page becomes
  unreachable (one ``availability``/``unreachable`` event carrying the cause, e.g.
  ``HTTP 451 Unavailable For Legal Reasons``); the next success yields ``recovered``.
* **Recognition is no change.** A block the page already carried, newly recognised as a banner
  because other pages of the outlet now repeat it (the site template grew), is folded into the
  confirmed state without an event (:func:`recognise`); :class:`SiteTemplate` counts the repeats.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from http import HTTPStatus
from typing import Any

from monitor.diff import diff_findings
from monitor.models import Change, FetchResult, Finding, FindingChange

AVAILABILITY = "availability"
DEFAULT_CONFIRMATIONS = 2
DEFAULT_UNREACHABLE_AFTER = 3


@dataclass(frozen=True, slots=True)
class PageState:
    """What we believe about one page between checks.

    ``confirmed``: the last confirmed findings (the baseline, then every confirmed change);
    ``pending``: candidate findings that differ from ``confirmed`` and ``pending_count`` how many
    consecutive observations agreed on them; ``baselined``: a successful observation has happened;
    ``last_failure``: the cause of the latest failed fetch (kept for ``recovered`` events).
    Site template (:class:`SiteTemplate`): ``keys`` identify the candidate blocks at the latest
    detection (None: not known yet, e.g. a state written before template evidence existed);
    ``fresh`` those that first appeared then; ``repeated`` those in the site template then;
    ``rejected`` those the single-page judge rejected only for their placement, which the template
    could lift (None: not known, read as all of ``keys``).
    """

    confirmed: tuple[Finding, ...] = ()
    pending: tuple[Finding, ...] | None = None
    pending_count: int = 0
    consecutive_failures: int = 0
    unreachable: bool = False
    baselined: bool = False
    last_failure: str | None = None
    rules: str | None = None  # the rule set's version that produced the findings (re-detect when it changes)
    keys: tuple[str, ...] | None = None
    fresh: tuple[str, ...] = ()
    repeated: tuple[str, ...] = ()
    rejected: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (the store keeps it as one column)."""
        return {
            "confirmed": [f.to_dict() for f in self.confirmed],
            "pending": None if self.pending is None else [f.to_dict() for f in self.pending],
            "pending_count": self.pending_count,
            "consecutive_failures": self.consecutive_failures,
            "unreachable": self.unreachable,
            "baselined": self.baselined,
            "last_failure": self.last_failure,
            "rules": self.rules,
            "keys": None if self.keys is None else list(self.keys),
            "fresh": list(self.fresh),
            "repeated": list(self.repeated),
            "rejected": None if self.rejected is None else list(self.rejected),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PageState:
        pending = data.get("pending")
        return cls(
            confirmed=tuple(_finding(f) for f in data.get("confirmed", ())),
            pending=None if pending is None else tuple(_finding(f) for f in pending),
            pending_count=int(data.get("pending_count", 0)),
            consecutive_failures=int(data.get("consecutive_failures", 0)),
            unreachable=bool(data.get("unreachable", False)),
            baselined=bool(data.get("baselined", False)),
            last_failure=data.get("last_failure"),
            rules=data.get("rules"),
            keys=None if data.get("keys") is None else _interned(data["keys"]),
            fresh=_interned(data.get("fresh", ())),
            repeated=_interned(data.get("repeated", ())),
            rejected=None if data.get("rejected") is None else _interned(data["rejected"]),
        )


_FINDING_FIELDS = frozenset(f.name for f in fields(Finding))


def _finding(data: dict[str, Any]) -> Finding:
    # State written by another version may carry fields this one does not know: ignore them.
    return Finding(**{k: sys.intern(v) if isinstance(v, str) else v for k, v in data.items() if k in _FINDING_FIELDS})


def _interned(keys: Iterable[str]) -> tuple[str, ...]:
    # A check holds every watched page's state: an outlet's pages share most block keys and label texts
    # (10,000 pages: 115,000 keys, 1,284 distinct), so each is kept once.
    return tuple(sys.intern(k) for k in keys)


def describe_failure(fetch: FetchResult) -> str:
    """A human cause for a failed fetch: ``HTTP 451 Unavailable For Legal Reasons``, or the error."""
    if fetch.error:
        return fetch.error
    if fetch.status is None:
        return "no response"
    try:
        return f"HTTP {fetch.status} {HTTPStatus(fetch.status).phrase}"
    except ValueError:
        return f"HTTP {fetch.status}"


def observe(
    state: PageState | None,
    *,
    fetch_ok: bool,
    findings: Sequence[Finding] | None,
    failure: str | None = None,
    confirmations: int = DEFAULT_CONFIRMATIONS,
    unreachable_after: int = DEFAULT_UNREACHABLE_AFTER,
) -> tuple[PageState, list[FindingChange]]:
    """Fold one observation into ``state``; return the new state and the changes it confirms.

    ``findings=None`` with ``fetch_ok`` means the content was not re-read (HTTP 304): the page
    still shows what the previous successful observation saw.
    """
    state = state or PageState()
    if not fetch_ok:
        return _failed(state, failure or "fetch failed", max(1, unreachable_after))
    changes: list[FindingChange] = []
    if state.unreachable:
        changes.append(FindingChange(AVAILABILITY, Change.RECOVERED, state.last_failure, "reachable"))
    state = replace(state, consecutive_failures=0, unreachable=False)
    state, content_changes = _succeeded(state, findings, max(1, confirmations))
    return state, changes + content_changes


def _failed(state: PageState, cause: str, unreachable_after: int) -> tuple[PageState, list[FindingChange]]:
    failures = state.consecutive_failures + 1
    state = replace(state, consecutive_failures=failures, last_failure=cause)
    if state.unreachable or failures < unreachable_after:
        return state, []
    event = FindingChange(AVAILABILITY, Change.UNREACHABLE, None, cause)
    return replace(state, unreachable=True), [event]


def _succeeded(
    state: PageState, findings: Sequence[Finding] | None, confirmations: int
) -> tuple[PageState, list[FindingChange]]:
    if findings is None:
        # Not modified: the page shows what the last successful observation saw.
        seen = state.pending if state.pending is not None else state.confirmed
    else:
        seen = tuple(findings)
    if not state.baselined:
        return replace(state, confirmed=seen, pending=None, pending_count=0, baselined=True), []
    changes = diff_findings(state.confirmed, seen)
    if not changes:
        return replace(state, pending=None, pending_count=0), []
    agrees = state.pending is not None and not diff_findings(state.pending, seen)
    count = state.pending_count + 1 if agrees else 1
    if count < confirmations:
        return replace(state, pending=seen, pending_count=count), []
    return replace(state, confirmed=seen, pending=None, pending_count=0), changes


def with_keys(
    state: PageState, keys: Iterable[str], repeated: Iterable[str], rejected: Iterable[str] = ()
) -> PageState:
    """``state`` after a detection that saw candidate blocks ``keys``, ``repeated`` of them in the template,
    ``rejected`` of them by the single-page judge."""
    now = sorted(set(keys))
    before = set(state.keys or ())
    fresh = [] if state.keys is None else [k for k in now if k not in before]
    return replace(
        state,
        keys=tuple(now),
        fresh=tuple(fresh),
        repeated=tuple(sorted(set(repeated))),
        rejected=tuple(sorted(set(rejected))),
    )


def recognise(state: PageState | None, lifted: Mapping[Finding, str]) -> tuple[PageState | None, list[Finding]]:
    """Fold into ``state`` the findings that only the site template made of blocks the page already
    carried (``lifted``: finding -> its block's key), so that recognition alone yields no event.

    A block is already carried when its key was among the page's keys at the previous detection and
    had not just appeared there; a label new on the page goes through confirmation like any other.
    A state without keys (written before template evidence) counts every lifted block as carried:
    the first detection with template evidence must not announce the outlet's old banners as new.
    Returns the state and the findings folded into it.
    """
    if state is None or not state.baselined or not lifted:
        return state, []
    carried = None if state.keys is None else set(state.keys) - set(state.fresh)
    quiet = [f for f, key in lifted.items() if (carried is None or key in carried) and f not in state.confirmed]
    pending = state.pending
    if pending is not None:
        pending = pending + tuple(f for f in quiet if f not in pending)
    return replace(state, confirmed=state.confirmed + tuple(quiet), pending=pending), quiet


class SiteTemplate:
    """The candidate-block keys of an outlet's current pages, counted: a key on two or more pages is in
    the outlet's site template. Built once per check from the stored states, updated page by page."""

    def __init__(self, states: Mapping[str, PageState | None]) -> None:
        # Per page its keys as given (the state's own tuple, shared): a frozenset per page of 10,000 cost 10 MB.
        self._keys: dict[str, tuple[str, ...]] = {}
        self._counts: Counter[str] = Counter()
        self._common: set[str] = set()  # keys on two or more pages: the template itself
        # Categories some page of the outlet newly shows by recognition alone in this check: the outlet's
        # coverage of them moved without any page changing, so it is a new baseline, not an event.
        self.recognised: set[str] = set()
        for url, state in states.items():
            if state is not None and state.keys:
                self.update(url, state.keys)

    def update(self, url: str, keys: Iterable[str]) -> None:
        """``url`` now carries the candidate blocks ``keys`` (replacing what it carried before)."""
        given = tuple(keys)
        old, new = set(self._keys.get(url, ())), set(given)
        for key, step in [(k, -1) for k in old - new] + [(k, 1) for k in new - old]:
            count = self._counts[key] = self._counts[key] + step
            if count >= 2:
                self._common.add(key)
            else:
                self._common.discard(key)
                if count <= 0:
                    del self._counts[key]
        self._keys[url] = given

    def _others(self, url: str, key: str) -> int:
        return self._counts.get(key, 0) - (key in self._keys.get(url, ()))

    def for_page(self, url: str, state: PageState | None) -> dict[str, int]:
        """What a detection of ``url`` needs: key -> on how many other pages that block stands, for the
        page's blocks at its last detection and the template's. Bounded (it may cross to a worker
        process), unlike every key of every page: a block that is new on this page and on one other
        page only is recognised at the next check, when both pages' keys are known."""
        wanted = self._common.union(state.keys or ()) if state is not None else self._common
        counts = {k: self._others(url, k) for k in wanted}
        return {k: n for k, n in counts.items() if n >= 1}

    def repeated(self, url: str, keys: Iterable[str]) -> frozenset[str]:
        """Those of ``keys`` that other pages of the outlet carry too."""
        return frozenset(k for k in keys if self._others(url, k) >= 1)

    def moved(self, url: str, state: PageState) -> bool:
        """Whether the other pages now repeat another set of the page's candidate blocks than at its last
        detection (or its blocks are not known yet): its unchanged content must be read again.

        Only blocks the single-page judge rejected for their placement count: a block accepted on its
        own is a finding whatever the other pages show, one rejected for what it is (a menu link, a
        teaser) stays rejected, and a block with a counter in it (an appeal's "raised so far") changes
        its key on every fetch, which must not re-read every unchanged page."""
        if state.keys is None:
            return state.baselined
        sensitive = frozenset(state.keys if state.rejected is None else state.rejected)
        return self.repeated(url, sensitive) != frozenset(state.repeated) & sensitive

    def remember(
        self,
        url: str,
        state: PageState,
        keys: Iterable[str] | None,
        repeated: Iterable[str],
        rejected: Iterable[str] = (),
        *,
        seen: bool,
    ) -> PageState:
        """``state`` after an observation: a detection's candidate blocks ``keys`` (``repeated`` of them in
        the template), or, for content ``seen`` again without detection, the same blocks, no longer new.
        The outlet's counts follow (a followed article's stored keys count once it is seen again)."""
        if keys is not None:
            state = with_keys(state, keys, repeated, rejected)
        elif seen and state.fresh:
            state = replace(state, fresh=())
        if seen and state.keys is not None:
            self.update(url, state.keys)
        return state
