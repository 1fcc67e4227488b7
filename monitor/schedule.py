"""When checks run: APScheduler triggers built from the config's schedules, and each outlet's next run.

The next run is computed from the schedule and the outlet's last recorded check, not asked of a running
scheduler, so ``press-monitor status`` shows it whether or not the daemon runs, and the daemon starts
each outlet's job at exactly that time: a restart neither re-checks everything at once nor forgets a
check that fell due while it was down (that one runs at start, once, however many were missed).
"""

from __future__ import annotations

import json
import random
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from apscheduler.util import undefined

if TYPE_CHECKING:
    from monitor.config import Schedule
    from monitor.store.records import PageSummary

DEFAULT_INTERVAL = 3600.0
#: Every job: one instance at a time, and the runs missed while the process slept or was busy run once.
JOB_DEFAULTS: dict[str, Any] = {"max_instances": 1, "coalesce": True}
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def cron_trigger(expr: str, jitter: float = 0.0) -> CronTrigger:
    """A crontab expression (``minute hour day month weekday``, weekday 0 or 7 = Sunday) as a UTC trigger.

    APScheduler 3.x's ``from_crontab`` reads weekday 0 as *Monday* (its issue 286), so ``0 7 * * 1``
    would silently fire on Tuesdays; numeric weekdays are translated to names first.
    """
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"cron needs 5 fields: minute hour day month weekday (got {len(fields)} in {expr!r})")
    minute, hour, day, month, weekday = fields
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=crontab_weekdays(weekday),
        timezone=UTC,
        jitter=int(jitter) or None,
    )


def crontab_weekdays(field: str) -> str:
    """Crontab's weekday field (numbers, ranges, steps, names) as APScheduler weekday names."""
    if not any(ch.isdigit() for ch in field):
        return field  # "*", "mon-fri", "sat,sun": the same in both
    days: list[int] = []
    for part in field.split(","):
        span, _, step = part.partition("/")
        if span == "*":
            low, high = 0, 6
        elif "-" in span:
            low, high = (_weekday(token) for token in span.split("-", 1))
        else:
            low = high = _weekday(span)
            high = 6 if step else high
        if high < low:
            raise ValueError(f"weekday range {span!r} runs backwards")
        if step and (not step.isdigit() or int(step) < 1):
            raise ValueError(f"weekday step {step!r} is not a positive number")
        days.extend(range(low, high + 1, int(step or 1)))
    return ",".join(dict.fromkeys(_WEEKDAYS[day % 7] for day in days))


def _weekday(token: str) -> int:
    if token.isdigit() and int(token) <= 7:
        return int(token)
    if token.lower() in _WEEKDAYS:
        return _WEEKDAYS.index(token.lower())
    raise ValueError(f"{token!r} is not a weekday (0-7 or sun..sat)")


def make_trigger(schedule: Schedule) -> IntervalTrigger | CronTrigger:
    if schedule.cron:
        return cron_trigger(schedule.cron, schedule.jitter)
    return IntervalTrigger(
        seconds=schedule.interval or DEFAULT_INTERVAL, jitter=int(schedule.jitter) or None, timezone=UTC
    )


def misfire_grace(trigger: IntervalTrigger | CronTrigger) -> int:
    """How late a run may still start: about one interval (at least a minute); an hour for cron jobs."""
    if isinstance(trigger, IntervalTrigger):
        return max(60, int(trigger.interval.total_seconds()))
    return 3600


def due_at(schedule: Schedule, last_check: datetime | None) -> datetime | None:
    """When the next check falls due after ``last_check``: one interval later, or the next cron time.
    ``None`` when the outlet was never checked (it is due at once)."""
    if last_check is None:
        return None
    if schedule.cron:
        # A cron trigger has one-second resolution: start looking just after the last check.
        after = last_check + timedelta(seconds=1)
        return cron_trigger(schedule.cron).get_next_fire_time(None, after)  # type: ignore[no-any-return]
    return last_check + timedelta(seconds=schedule.interval or DEFAULT_INTERVAL)


def first_run(
    schedule: Schedule, last_check: datetime | None, now: datetime, rng: random.Random | None = None
) -> datetime:
    """When the daemon first runs an outlet's job: when it falls due, or — if that has passed (never
    checked, or missed while the daemon was down) — once now, spread over the jitter so that a start
    does not hit every outlet in the same second."""
    due = due_at(schedule, last_check)
    if due is not None and due > now:
        return due
    return now + timedelta(seconds=(rng or random).uniform(0, schedule.jitter))


def last_checks(pages: Iterable[PageSummary]) -> dict[str, datetime]:
    """Each outlet's last check: the latest check of any of its pages (one pass checks them all)."""
    latest: dict[str, datetime] = {}
    for page in pages:
        if page.outlet is not None and page.last_checked_at is not None:
            when = page.last_checked_at
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            latest[page.outlet] = max(latest.get(page.outlet, when), when)
    return latest


@dataclass(frozen=True)
class JobSpec:
    """One job the daemon wants: what to run, when, and (for checks) its first run."""

    func: Callable[..., Awaitable[None]]
    trigger: BaseTrigger
    args: tuple[Any, ...] = ()
    first_run: Any = undefined  # a datetime, or undefined: the trigger decides


def job_fingerprint(*parts: str) -> str:
    """Changes when an outlet's entry or its effective schedule changes, so reload replaces exactly those jobs."""
    return sha256("\0".join(parts).encode()).hexdigest()[:12]


def previous_fire(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The latest time ``trigger`` fired at or before ``now`` (up to 32 days back). APScheduler 3 only
    looks forward, so this walks forward from a point in the past: an hour back first, then further."""
    for horizon in (timedelta(hours=1), timedelta(days=1), timedelta(days=32)):
        latest, cursor = None, now - horizon
        while (fire := trigger.get_next_fire_time(latest, cursor)) is not None and fire <= now:
            latest, cursor = fire, fire + timedelta(seconds=1)
        if latest is not None:
            return latest
    return None


class RunLog:
    """When each digest period last ran, in a small JSON file beside the lock (written atomically).

    A digest that fell due while the daemon was down runs once at the next start; without this record
    a restart could not tell a missed digest from one already sent at its time. No record (a new
    install) means nothing was missed.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.runs: dict[str, str] = dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            self.runs = {}

    def last(self, key: str) -> datetime | None:
        value = self.runs.get(key)
        return datetime.fromisoformat(value) if value else None

    def record(self, key: str, when: datetime) -> None:
        self.runs[key] = when.isoformat()
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.runs), encoding="utf-8")
        tmp.replace(self.path)

    def missed(self, key: str, trigger: CronTrigger, now: datetime) -> bool:
        """Did ``trigger`` fire since the last recorded run (so that run was missed)?"""
        last = self.last(key)
        if last is None:
            self.record(key, now)  # from now on, missed runs are noticed
            return False
        fired = previous_fire(trigger, now)
        return fired is not None and fired > last
