"""Pure helpers that shape events for the mail templates: wording, grouping, diffs, safe links.

Kept apart from ``render`` so they are plain functions a test (or a template filter) can call.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from monitor.models import CATEGORY_TITLES, Event, WordOp

_AVAILABILITY = {"unreachable": "page unreachable", "recovered": "page reachable again"}
_COVERAGE = {"coverage_reached": "now on most pages", "coverage_dropped": "no longer on most pages"}
# A diff segment that starts with one of these hugs the word before it ("label." not "label .").
_NO_SPACE_BEFORE = tuple(",.;:!?)]»”%")
_NO_SPACE_AFTER = tuple("([«“")
_SUBJECT_MAX = 180
_DIFF_PIECE_MAX = 600  # an inserted/deleted run longer than this is clipped: a whole article is not a diff
# C0 controls (but tab/newline), DEL, C1 controls, and the bidi overrides that can make text lie.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202d\u202e]")
_SURROGATE = re.compile("[\ud800-\udfff]")  # left by lossy decoding; cannot be encoded as UTF-8


def when(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime (SQLite hands back naive ones, which we store as UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def stamp(value: datetime) -> str:
    """A timestamp as mails print it: ``2026-11-25 08:30 UTC``."""
    return when(value).strftime("%Y-%m-%d %H:%M UTC")


def headline(event: Event) -> str:
    """What happened, without the outlet: "foreign-agent label changed", "page unreachable"."""
    change = str(event.change)
    if event.category == "availability":
        return _AVAILABILITY.get(change, f"availability {change}")
    what = CATEGORY_TITLES.get(event.category, event.category.replace("_", " "))
    if change in _COVERAGE:
        return f"{what} {_COVERAGE[change]}"
    return f"{what} {change}"


def _one_line(text: str) -> str:
    """Headers must not carry line breaks; outlet names come from config but are still trimmed."""
    line = " ".join(printable(text).split())
    return line if len(line) <= _SUBJECT_MAX else line[: _SUBJECT_MAX - 1] + "…"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def alert_subject(events: Sequence[Event]) -> str:
    """Subject of an alert.

    One event: "Meduza: foreign-agent label changed"; one outlet: "Meduza: paywall added and
    2 more changes"; several outlets: "press-monitor: 3 changes at 2 outlets".
    """
    outlets = {e.outlet for e in events}
    first = events[0]
    if len(events) == 1:
        return _one_line(f"{first.outlet}: {headline(first)}")
    if len(outlets) == 1:
        return _one_line(f"{first.outlet}: {headline(first)} and {_plural(len(events) - 1, 'more change')}")
    return _one_line(f"press-monitor: {len(events)} changes at {len(outlets)} outlets")


def digest_subject(events: Sequence[Event], period: str) -> str:
    """ "press-monitor daily digest: 312 changes at 14 outlets"."""
    if not events:
        return _one_line(f"press-monitor {period} digest: no changes")
    outlets = len({e.outlet for e in events})
    return _one_line(f"press-monitor {period} digest: {_plural(len(events), 'change')} at {_plural(outlets, 'outlet')}")


@dataclass(frozen=True)
class OutletGroup:
    """The events of one outlet as a mail shows them: ``events`` shown, ``hidden`` left out."""

    outlet: str
    events: tuple[Event, ...]
    hidden: int
    summary: tuple[tuple[str, int], ...]  # (headline, count) over all of the outlet's events

    @property
    def total(self) -> int:
        return len(self.events) + self.hidden


def group_by_outlet(events: Iterable[Event], *, limit: int | None) -> list[OutletGroup]:
    """Events per outlet (outlets alphabetically, events in the given order), at most ``limit`` each."""
    per_outlet: dict[str, list[Event]] = {}
    for event in events:
        per_outlet.setdefault(event.outlet, []).append(event)
    groups = []
    for outlet in sorted(per_outlet, key=str.casefold):
        items = per_outlet[outlet]
        shown = items if limit is None else items[:limit]
        summary = Counter(headline(e) for e in items).most_common()
        groups.append(OutletGroup(outlet, tuple(shown), len(items) - len(shown), tuple(summary)))
    return groups


def printable(text: str) -> str:
    """Page text made safe to encode and show: no control characters, lone surrogates replaced."""
    return _SURROGATE.sub("\ufffd", _UNPRINTABLE.sub("", text))


def clip(text: str | None, limit: int = 400) -> str:
    """``text`` cut at a word boundary near ``limit`` characters, with an ellipsis if cut."""
    if not text:
        return ""
    text = " ".join(printable(text).split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut + " …"


def safe_href(url: str | None) -> str | None:
    """``url`` if it is an http(s) URL a mail client may link to; ``None`` (render as text) otherwise."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def _shorten(text: str, keep: int, *, first: bool, last: bool) -> str:
    """A long unchanged run cut down to the words next to the changes around it."""
    words = text.split()
    if len(words) <= 2 * keep + 1:
        return text
    if first:
        return "… " + " ".join(words[-keep:])
    if last:
        return " ".join(words[:keep]) + " …"
    return " ".join(words[:keep]) + " … " + " ".join(words[-keep:])


def _needs_space(before: str, after: str) -> bool:
    if not before or not after or before[-1].isspace() or after[0].isspace():
        return False
    return not (after.startswith(_NO_SPACE_BEFORE) or before.endswith(_NO_SPACE_AFTER))


def diff_segments(word_diff: Sequence[WordOp], keep: int = 8) -> list[tuple[str, str]]:
    """``(op, text)`` pairs ready to print: words spaced, long unchanged stretches shortened."""
    pieces: list[tuple[str, str]] = []
    last = len(word_diff) - 1
    for i, op in enumerate(word_diff):
        text = printable(op.text)
        if op.op == "equal":
            text = _shorten(text, keep, first=i == 0, last=i == last)
        elif len(text) > _DIFF_PIECE_MAX:
            text = clip(text, _DIFF_PIECE_MAX)
        if not text:
            continue
        if pieces and _needs_space(pieces[-1][1], text):
            pieces.append(("equal", " "))
        pieces.append((op.op if op.op in ("insert", "delete") else "equal", text))
    return pieces


def diff_text(word_diff: Sequence[WordOp], keep: int = 8) -> str:
    """The plain-text diff: ``[-deleted-]`` and ``{+inserted+}`` (the wdiff convention)."""
    marks = {"insert": ("{+", "+}"), "delete": ("[-", "-]"), "equal": ("", "")}
    return "".join(f"{marks[op][0]}{text}{marks[op][1]}" for op, text in diff_segments(word_diff, keep))


def format_message_id(raw: str) -> str:
    """A stable id as a Message-ID header value: ``<id@domain>``, no spaces or angle brackets inside."""
    core = re.sub(r"[\s<>]", "", raw.strip())
    if not core:
        raise ValueError("message_id is empty")
    if "@" not in core:
        core += "@press-monitor"
    return f"<{core}>"
