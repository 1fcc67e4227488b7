"""The daemon: APScheduler's AsyncIOScheduler on the asyncio loop that also drives Scrapy's reactor and aiosmtplib.

One process, one loop (see README "Architecture"): the Twisted reactor cannot be restarted, so it is
installed once and every scheduled crawl runs inside it. Jobs are rebuilt from config.yaml at start and
on reload (SIGHUP), reconciled by id: one job per outlet (``check:<name>``), one per digest period, and
the outbox sender. ``max_instances=1`` keeps one check per outlet at a time; ``coalesce`` plus a
misfire grace of one interval turns the runs missed while the machine slept into one.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.app import App, lock_path
from monitor.check import check_once, utcnow
from monitor.config import Config, Outlet, Schedule, load_config
from monitor.errors import ConfigError, MonitorError
from monitor.notify.deliver import drain

log = logging.getLogger(__name__)
SHUTDOWN_TIMEOUT = 60.0
SEND_INTERVAL = 60.0


class Daemon:
    def __init__(self, config_path: Path, config: Config) -> None:
        self.config_path = config_path
        self.app = App.open(config)
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.stopping = asyncio.Event()
        self.running: set[asyncio.Task[Any]] = set()

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.stopping.set)
        loop.add_signal_handler(signal.SIGINT, self.stopping.set)
        loop.add_signal_handler(signal.SIGHUP, self.reload)
        self.scheduler.start(paused=True)
        self.reconcile_jobs(first=True)
        self.scheduler.resume()
        log.info("event=daemon_started outlets=%d config=%s", len(self.app.config.outlets), self.config_path)
        await self.stopping.wait()
        await self.shutdown()

    def reconcile_jobs(self, *, first: bool = False) -> None:
        """Make the scheduler's jobs match the config: add new, replace changed, remove stale (FlexGet style)."""
        wanted: dict[str, tuple[Any, Any, tuple[Any, ...]]] = {}
        for outlet in self.app.config.outlets:
            if outlet.enabled:
                trigger = make_trigger(self.app.config.schedule_for(outlet))
                wanted[f"check:{outlet.name}:{job_fingerprint(outlet)}"] = (self.check_job, trigger, (outlet.name,))
        for period in ("daily", "weekly"):
            cron = getattr(self.app.config.digests, period)
            wanted[f"digest:{period}:{cron}"] = (self.digest_job, CronTrigger.from_crontab(cron, UTC), (period,))
        wanted["send"] = (self.send_job, IntervalTrigger(seconds=SEND_INTERVAL), ())
        for job in self.scheduler.get_jobs():
            if job.id not in wanted:
                job.remove()
        for job_id, (func, trigger, args) in wanted.items():
            if self.scheduler.get_job(job_id) is None:
                start_now = first and job_id.startswith("check:")
                self.scheduler.add_job(
                    self.track(func),
                    trigger,
                    args=args,
                    id=job_id,
                    name=job_id,
                    max_instances=1,
                    coalesce=True,
                    misfire_grace_time=misfire_grace(trigger),
                    next_run_time=utcnow() if start_now else None,
                    replace_existing=True,
                )

    def track(self, func: Any) -> Any:
        """Wrap a job so shutdown can wait for it, and so one failing job never kills the daemon."""

        async def tracked(*args: Any) -> None:
            task = asyncio.current_task()
            assert task is not None
            self.running.add(task)
            try:
                await func(*args)
            except MonitorError as exc:
                log.error("event=job_failed job=%s error=%s", func.__name__, exc)
            except Exception:
                log.exception("event=job_crashed job=%s", func.__name__)
            finally:
                self.running.discard(task)

        tracked.__name__ = func.__name__
        return tracked

    async def check_job(self, outlet_name: str) -> None:
        if self.stopping.is_set():
            return
        outlet = self.app.config.outlet(outlet_name)
        summary = await check_once(self.app, [outlet])
        log.info(
            "event=check outlet=%s fetched=%d unchanged=%d failed=%d events=%d",
            outlet.name,
            summary.fetched,
            summary.unchanged,
            summary.failed,
            len(summary.events),
        )
        for url, why in summary.failures:
            log.warning("event=unreachable outlet=%s url=%s cause=%s", outlet.name, url, why)

    async def digest_job(self, period: str) -> None:
        from monitor.digest import queue_digests

        queued = queue_digests(self.app, period, now=utcnow())
        log.info("event=digest period=%s queued=%d", period, queued)
        await self.send_job()

    async def send_job(self) -> None:
        app = self.app
        report = await drain(app.store, app.channel, app.renderer, sender=app.config.mail.sender, now=utcnow)
        if report.sent or report.retried or report.failed or report.deferred:
            log.info(
                "event=send sent=%d retried=%d failed=%d deferred=%d",
                report.sent,
                report.retried,
                report.failed,
                report.deferred,
            )

    def reload(self) -> None:
        """SIGHUP: re-read config.yaml; an invalid one keeps the running config and says why."""
        try:
            config = load_config(self.config_path)
        except ConfigError as exc:
            log.error("event=reload_rejected problems=%s", "; ".join(exc.problems))
            return
        old = self.app
        self.app = App.open(config)
        self.reconcile_jobs()
        log.info("event=reloaded outlets=%d", len(config.outlets))
        if not self.running:
            old.close()

    async def shutdown(self) -> None:
        """Stop scheduling, let running checks finish (bounded), then close the store."""
        log.info("event=daemon_stopping running_jobs=%d", len(self.running))
        self.scheduler.shutdown(wait=False)
        if self.running:
            _done, pending = await asyncio.wait(set(self.running), timeout=SHUTDOWN_TIMEOUT)
            for task in pending:
                task.cancel()
        self.app.close()
        log.info("event=daemon_stopped")


def make_trigger(schedule: Schedule) -> IntervalTrigger | CronTrigger:
    jitter = int(schedule.jitter) or None
    if schedule.cron:
        return CronTrigger.from_crontab(schedule.cron, UTC)  # jitter for cron is added below by APScheduler
    return IntervalTrigger(seconds=schedule.interval or 3600, jitter=jitter, timezone=UTC)


def misfire_grace(trigger: Any) -> int:
    if isinstance(trigger, IntervalTrigger):
        return max(60, int(trigger.interval.total_seconds()))
    return int(timedelta(hours=1).total_seconds())


def job_fingerprint(outlet: Outlet) -> str:
    """Changes when the outlet's entry changes, so reload replaces exactly the jobs whose config changed."""
    return sha256(outlet.model_dump_json().encode()).hexdigest()[:12]


@contextlib.contextmanager
def single_instance(lock_path: Path) -> Iterator[None]:
    """One daemon per database: an exclusive, non-blocking flock; the kernel drops it if we die."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise MonitorError(
                f"another press-monitor daemon is already running on this database (lock: {lock_path})"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{datetime.now(UTC).isoformat()}\n")
        handle.flush()
        yield


def run_daemon(config_path: str | Path) -> int:
    from monitor.crawl import run

    path = Path(config_path)
    config = load_config(path)

    async def main() -> None:
        with single_instance(lock_path(config)):
            daemon = Daemon(path, config)
            await daemon.serve()

    run(main)
    return 0
