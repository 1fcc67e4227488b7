"""Scheduling without waiting for the clock: crontab semantics, when each outlet falls due, what the daemon
schedules at start and on reload, coalescing of missed runs, and the per-outlet view of ``status``."""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from apscheduler.util import undefined
from cli_helpers import REPO, cli, put, watchlist
from mockserver import MockServer

from monitor.app import App
from monitor.commands.show import OutletStatus, describe_schedule, outlet_statuses
from monitor.config import DaemonSettings, Schedule, load_config, parse_duration
from monitor.daemon import Daemon
from monitor.errors import ConfigError
from monitor.schedule import (
    JOB_DEFAULTS,
    RunLog,
    cron_trigger,
    crontab_weekdays,
    due_at,
    first_run,
    make_trigger,
    misfire_grace,
    previous_fire,
)
from monitor.store.records import PageSummary

SUNDAY = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
PAGE = (REPO / "seeds" / "site" / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("field", "names"),
    [
        ("1", "mon"),
        ("0", "sun"),
        ("7", "sun"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("5-7", "fri,sat,sun"),
        ("*/2", "sun,tue,thu,sat"),
        ("0,6", "sun,sat"),
        ("mon-fri", "mon-fri"),
        ("*", "*"),
    ],
)
def test_crontab_weekday_numbers_mean_what_crontab_means(field: str, names: str) -> None:
    assert crontab_weekdays(field) == names


def test_cron_and_interval_schedules_carry_their_jitter() -> None:
    assert make_trigger(Schedule(cron="0 7 * * *", jitter=120)).jitter == 120
    assert make_trigger(Schedule(interval=1800, jitter=60)).jitter == 60
    assert make_trigger(Schedule(interval=1800)).jitter is None


def test_weekday_one_is_monday_not_tuesday() -> None:
    """APScheduler 3's own from_crontab would fire ``0 7 * * 1`` on Tuesday."""
    fire = cron_trigger("0 7 * * 1").get_next_fire_time(None, SUNDAY)
    assert fire == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    assert fire.strftime("%A") == "Monday"


@pytest.mark.parametrize("cron", ["99 * * * *", "0 7 * * 3-1", "0 7 * *", "0 7 * * funday"])
def test_bad_cron_is_a_config_error_with_its_line(tmp_path: Path, cron: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(f"outlets:\n  - name: A\n    homepage: https://a.example/\n    schedule: {{cron: '{cron}'}}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{path}:4:")
    assert "outlets[0].schedule" in problem


def test_interval_floor_refuses_impolite_schedules(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("schedule: {interval: 10s}\n")
    with pytest.raises(ConfigError, match="at least 60s"):
        load_config(path)


def test_an_outlet_falls_due_one_period_after_its_last_check() -> None:
    hourly = Schedule(interval=3600, jitter=120)
    last = SUNDAY - timedelta(minutes=10)
    assert due_at(hourly, None) is None
    assert due_at(hourly, last) == last + timedelta(hours=1)
    assert due_at(Schedule(cron="*/30 * * * *"), last) == SUNDAY
    assert due_at(Schedule(cron="0 7 * * *"), SUNDAY) == SUNDAY + timedelta(hours=19)


def test_previous_fire_and_missed_digests(tmp_path: Path) -> None:
    daily, weekly = cron_trigger("0 7 * * *"), cron_trigger("0 7 * * 1")
    assert previous_fire(daily, SUNDAY) == SUNDAY.replace(hour=7)
    assert previous_fire(weekly, SUNDAY) == datetime(2026, 11, 16, 7, 0, tzinfo=UTC)
    assert previous_fire(cron_trigger("*/5 * * * *"), SUNDAY) == SUNDAY
    runs = RunLog(tmp_path / "digests.json")
    assert runs.missed("daily", daily, SUNDAY) is False  # no record: a new install missed nothing
    assert runs.missed("daily", daily, SUNDAY + timedelta(hours=2)) is False  # 07:00 was before the record
    assert runs.missed("daily", daily, SUNDAY + timedelta(days=1)) is True  # Monday 07:00 passed unsent
    runs.record("daily", SUNDAY + timedelta(days=1))
    assert RunLog(tmp_path / "digests.json").missed("daily", daily, SUNDAY + timedelta(days=1, hours=1)) is False


def test_first_run_resumes_the_schedule_or_catches_up_once_within_the_jitter() -> None:
    hourly, rng = Schedule(interval=3600, jitter=120), random.Random(1)  # noqa: S311 (a seeded spread, not a secret)
    resumed = first_run(hourly, SUNDAY - timedelta(minutes=10), SUNDAY, rng)
    assert resumed == SUNDAY + timedelta(minutes=50)  # due in the future: exactly then
    for last in (None, SUNDAY - timedelta(days=3)):  # never checked, or missed while down: now, spread
        start = first_run(hourly, last, SUNDAY, rng)
        assert SUNDAY <= start <= SUNDAY + timedelta(seconds=120)


@pytest.mark.asyncio
async def test_missed_runs_are_coalesced_into_one() -> None:
    """A job whose runs were missed (the machine slept ten intervals) runs once, then resumes the schedule."""
    scheduler, ran = AsyncIOScheduler(timezone=UTC), []
    done = asyncio.Event()

    async def job() -> None:
        ran.append(datetime.now(UTC))
        done.set()

    trigger = IntervalTrigger(seconds=60, timezone=UTC)
    missed = datetime.now(UTC) - timedelta(minutes=10)
    scheduler.start()
    try:
        scheduler.add_job(
            job, trigger, id="j", next_run_time=missed, misfire_grace_time=misfire_grace(trigger), **JOB_DEFAULTS
        )
        await asyncio.wait_for(done.wait(), 10)
        for _ in range(20):  # let any further (wrongly) submitted runs start
            await asyncio.sleep(0)
        assert len(ran) == 1
        assert scheduler.get_job("j").next_run_time > datetime.now(UTC)
    finally:
        scheduler.shutdown(wait=False)


def outlet_yaml(url: str, name: str = "Outlet", extra: str = "") -> str:
    return f"  - name: {name}\n    homepage: '{url}'\n    pages: ['{url}']\n{extra}"


@pytest.mark.asyncio
async def test_daemon_jobs_resume_from_the_last_check_and_reload_replaces_changed_ones(
    tmp_path: Path, mockserver: MockServer
) -> None:
    url = mockserver.url(f"/mutable/{uuid.uuid4().hex}")
    put(url, PAGE)
    outlets = (
        outlet_yaml(url) + outlet_yaml(url + "?b", "Fresh") + outlet_yaml(url + "?c", "Paused", "    enabled: false\n")
    )
    extra = "subscribers:\n  - {email: d@example.org, modes: [immediate, weekly]}\n"
    config_path = watchlist(tmp_path, outlets, extra)
    assert cli("check", "--once", "--outlet", "Outlet", "--config", str(config_path)).code == 0
    daemon = Daemon(config_path, load_config(config_path), rng=random.Random(0))  # noqa: S311
    try:
        jobs = daemon.wanted_jobs()
        checks = {spec.args[0]: spec.first_run for job_id, spec in jobs.items() if job_id.startswith("check:")}
        assert set(checks) == {"Outlet", "Fresh"}  # a disabled outlet has no job
        (last,) = (p.last_checked_at for p in daemon.app.store.page_summaries() if p.last_checked_at)
        assert checks["Outlet"] == last + timedelta(hours=1)  # resumed, not re-checked at start
        assert checks["Fresh"] <= datetime.now(UTC)  # never checked: at once
        assert [j for j in jobs if j.startswith("digest:")] == ["digest:weekly:0 7 * * mon"]  # nobody wants daily
        assert jobs["send"].first_run <= datetime.now(UTC)  # the backlog goes out at start
        assert jobs["digest:weekly:0 7 * * mon"].first_run is undefined  # first start: nothing was missed
        daemon.digest_runs.record("weekly", datetime.now(UTC) - timedelta(days=8))  # down over a Monday 07:00
        assert daemon.wanted_jobs()["digest:weekly:0 7 * * mon"].first_run <= datetime.now(UTC)  # once, at start

        text = config_path.read_text().replace("schedule: {interval: 1h}", "schedule: {interval: 2h}")
        config_path.write_text(text)
        old, daemon.app = daemon.app, App.open(load_config(config_path))
        old.close()
        changed = daemon.wanted_jobs()
        assert not {j for j in jobs if j.startswith("check:")} & set(changed)  # the global schedule changed
        assert "send" in changed
    finally:
        daemon.app.close()


def page(outlet: str, url: str, at: datetime | None, error: str | None = None, failures: int = 0) -> PageSummary:
    return PageSummary(outlet, url, at, 200 if at and not error else None, error, failures, False, 1 if at else 0)


def test_status_per_outlet_next_run_result_and_failures(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "schedule: {interval: 1h, jitter: 2m}\noutlets:\n"
        "  - {name: A, homepage: 'https://a.example/', pages: ['https://a.example/', 'https://a.example/x']}\n"
        "  - {name: B, homepage: 'https://b.example/', schedule: {cron: '0 7 * * 1'}}\n"
        "  - {name: C, homepage: 'https://c.example/'}\n"
        "  - {name: D, homepage: 'https://d.example/', enabled: false}\n"
        "  - {name: E, homepage: 'https://e.example/'}\n"
    )
    config = load_config(path)
    pages = [
        page("A", "https://a.example/", SUNDAY - timedelta(minutes=20)),
        page("A", "https://a.example/x", SUNDAY - timedelta(minutes=21), "HTTP 503", failures=2),
        page("B", "https://b.example/", SUNDAY - timedelta(days=1)),
        page("E", "https://e.example/", SUNDAY - timedelta(hours=5), "timeout", failures=5),
    ]
    status = {s.outlet: s for s in outlet_statuses(config, pages, SUNDAY)}
    a, b, c, d, e = (status[name] for name in "ABCDE")
    assert (a.next_run, a.due, a.consecutive_failures) == (SUNDAY + timedelta(minutes=40), False, 2)
    assert a.result == "1 of 2 pages failed: HTTP 503"
    assert a.schedule == "every 1h ±2m"
    assert (b.next_run, b.due, b.schedule) == (datetime(2026, 11, 23, 7, 0, tzinfo=UTC), False, "cron 0 7 * * 1")
    assert (c.last_checked_at, c.result, c.due) == (None, "never checked", True)
    assert (d.enabled, d.next_run, d.due) == (False, None, False)
    assert (e.due, e.next_run, e.result, e.consecutive_failures) == (True, SUNDAY, "timeout", 5)
    assert describe_schedule(Schedule(interval=5400)) == "every 1h30m"


def unit_settings(path: Path) -> dict[str, str]:
    return dict(
        line.split("=", 1)
        for line in path.read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.startswith("#")
    )


def test_the_systemd_unit_stops_gracefully_and_reloads_with_sighup() -> None:
    unit = unit_settings(REPO / "contrib" / "press-monitor.service")
    assert unit["KillSignal"] == "SIGTERM"
    assert unit["Restart"] == "on-failure"
    assert unit["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert unit["User"] == "press-monitor"
    assert unit["WorkingDirectory"].startswith("/")
    assert " run --config " in unit["ExecStart"]
    # systemd must not SIGKILL a daemon that is still letting its checks finish.
    assert parse_duration(unit["TimeoutStopSec"]) > DaemonSettings().shutdown_timeout


def test_the_documented_status_json_names_every_key() -> None:
    docs = (REPO / "docs" / "daemon.md").read_text(encoding="utf-8")
    for key in [f.name for f in fields(OutletStatus)] + ["running", "pid", "started", "next_attempt_at", "event_ids"]:
        assert key in docs, key
