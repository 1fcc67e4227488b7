"""The daemon: APScheduler's AsyncIOScheduler on the asyncio loop that also drives Scrapy's reactor and aiosmtplib.

One process, one loop (see README "Architecture"): the Twisted reactor cannot be restarted, so it is
installed once and every scheduled crawl runs inside it. Jobs are rebuilt from config.yaml at start and
on reload (SIGHUP), reconciled by id (FlexGet style): one job per outlet (``check:<name>:<hash of its
entry and schedule>``), one per digest period someone subscribes to, and the outbox sender. Each check
job first runs when the outlet falls due after its last recorded check (monitor/schedule.py), so a
restart resumes the schedule instead of re-checking everything; ``coalesce`` turns the runs missed
while the machine slept into one. One check per outlet at a time: ``max_instances=1`` per job, plus
the set of outlets in flight, which also covers a reload that replaces a job while it runs.

Stopping (SIGTERM/SIGINT): no new runs start; running checks get ``daemon.shutdown_timeout`` to
finish, then are abandoned unrecorded (see :meth:`Daemon.abandon`). Every page's observation, its
events and their deliveries are written in one transaction, so whatever is cut off is simply checked
again after the restart. All mail goes through one serialised drain (:meth:`Daemon.send_job`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import signal
import time
from collections.abc import Awaitable, Callable
from datetime import UTC
from pathlib import Path
from typing import Any, NoReturn

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from apscheduler.util import undefined

from monitor.app import App, lock_path
from monitor.check import check_once, utcnow
from monitor.config import Config, load_config
from monitor.errors import ConfigError, MonitorError
from monitor.lock import single_instance
from monitor.logs import kv
from monitor.notify.deliver import drain
from monitor.schedule import (
    JOB_DEFAULTS,
    JobSpec,
    RunLog,
    cron_trigger,
    first_run,
    job_fingerprint,
    last_checks,
    make_trigger,
    misfire_grace,
)

log = logging.getLogger(__name__)
SEND_INTERVAL = 60.0
MAX_PARALLEL_CHECKS = 4  # outlets crawled at once: bounds memory and sockets when many fall due together


class Daemon:
    def __init__(
        self, config_path: Path, config: Config, *, fixed_log_level: bool = False, rng: random.Random | None = None
    ) -> None:
        self.config_path = config_path
        self.fixed_log_level = fixed_log_level
        self.app = App.open(config)
        _ = self.app.channel  # a daemon fails at start, not hours later, when the SMTP password is missing
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.stopping = asyncio.Event()
        self.forced = asyncio.Event()
        self.running: set[asyncio.Task[Any]] = set()
        self.checking: set[str] = set()  # outlets whose check is in flight
        self.parallel = asyncio.Semaphore(MAX_PARALLEL_CHECKS)
        self.sending = asyncio.Lock()  # one drain at a time, or two could send the same delivery
        self.rng = rng  # None: the random module (tests pass a seeded one)
        self.closing: set[asyncio.Task[None]] = set()  # apps replaced by a reload, closed when idle
        self.digest_runs = RunLog(lock_path(config).with_suffix(".digests.json"))

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop, sig)
        loop.add_signal_handler(signal.SIGHUP, self.reload)
        self.scheduler.start(paused=True)  # jobs are reconciled before anything can fire
        self.reconcile_jobs()
        self.scheduler.resume()
        backlog = self.app.store.outbox_counts()
        log.info(
            kv(
                "daemon_started",
                outlets=len(self.app.config.outlets),
                pending_deliveries=backlog.get("pending", 0),
                failed_deliveries=backlog.get("failed", 0),
                config=self.config_path,
            )
        )
        await self.stopping.wait()
        await self.shutdown()

    def stop(self, sig: signal.Signals) -> None:
        """The first SIGTERM/SIGINT stops gracefully; a second one stops waiting for running checks."""
        if self.stopping.is_set():
            log.warning(kv("stop_forced", signal=sig.name, running_jobs=len(self.running)))
            self.forced.set()
            return
        log.info(kv("stop_requested", signal=sig.name))
        self.stopping.set()

    # -- jobs ----------------------------------------------------------------------------------

    def wanted_jobs(self) -> dict[str, JobSpec]:
        config, now = self.app.config, utcnow()
        last = last_checks(self.app.store.page_summaries())
        wanted: dict[str, JobSpec] = {}
        for outlet in config.outlets:
            if outlet.enabled:
                schedule = config.schedule_for(outlet)
                job_id = f"check:{outlet.name}:{job_fingerprint(outlet.model_dump_json(), schedule.model_dump_json())}"
                start = first_run(schedule, last.get(outlet.name), now, self.rng)
                wanted[job_id] = JobSpec(self.check_job, make_trigger(schedule), (outlet.name,), start)
        for period in ("daily", "weekly"):
            cron = getattr(config.digests, period)
            if any(period in s.modes for s in config.subscribers):
                trigger = cron_trigger(cron)
                start = now if self.digest_runs.missed(period, trigger, now) else undefined
                wanted[f"digest:{period}:{cron}"] = JobSpec(self.digest_job, trigger, (period,), start)
        wanted.update(self.registry_jobs())
        # The sender first runs at start: whatever a crash or a stop left queued goes out at once.
        wanted["send"] = JobSpec(self.send_job, IntervalTrigger(seconds=SEND_INTERVAL, timezone=UTC), (), now)
        return wanted

    def registry_jobs(self) -> dict[str, JobSpec]:
        """One ``registry:<name>`` job per enabled registry, resumed from its last check like an outlet's."""
        config, now = self.app.config, utcnow()
        last = {source.name: source.last_checked_at for source in self.app.store.registry.sources()}
        jobs: dict[str, JobSpec] = {}
        for registry in (r for r in config.registries if r.enabled):
            schedule = config.schedule_for(registry)
            fingerprint = job_fingerprint(registry.model_dump_json(), schedule.model_dump_json())
            job_id = f"registry:{registry.name}:{fingerprint}"
            start = first_run(schedule, last.get(registry.name), now, self.rng)
            jobs[job_id] = JobSpec(self.registry_job, make_trigger(schedule), (registry.name,), start)
        return jobs

    async def registry_job(self, name: str) -> None:
        """Check one registry (monitor.registries.check); its alerts go out through the one sender."""
        from monitor.registries.check import check_registries

        if self.stopping.is_set():
            return
        summary = await check_registries(self.app, [self.app.config.registry(name)], send=False)
        if summary.events:
            await self.send_job()

    def reconcile_jobs(self) -> None:
        """Make the scheduler's jobs match the config: add new, replace changed, remove stale."""
        wanted = self.wanted_jobs()
        for job in self.scheduler.get_jobs():
            if job.id not in wanted:
                job.remove()
        for job_id, spec in wanted.items():
            if self.scheduler.get_job(job_id) is None:
                self.scheduler.add_job(
                    self.track(spec.func),
                    spec.trigger,
                    args=spec.args,
                    id=job_id,
                    name=job_id,
                    misfire_grace_time=misfire_grace(spec.trigger),  # type: ignore[arg-type]
                    next_run_time=spec.first_run,  # never None: that would add the job paused
                    **JOB_DEFAULTS,
                )
                log.debug(kv("job_added", job=job_id, first_run=spec.first_run))

    def track(self, func: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        """Wrap a job so shutdown can wait for it, and so one failing job never kills the daemon."""

        async def tracked(*args: Any) -> None:
            task = asyncio.current_task()
            assert task is not None
            self.running.add(task)
            try:
                await func(*args)
            except MonitorError as exc:
                log.error(kv("job_failed", job=func.__name__, error=exc))
            except Exception:
                log.exception(kv("job_crashed", job=func.__name__))
            finally:
                self.running.discard(task)

        tracked.__name__ = func.__name__
        return tracked

    async def check_job(self, outlet_name: str) -> None:
        if self.stopping.is_set():
            return
        if outlet_name in self.checking:
            log.warning(kv("check_skipped", outlet=outlet_name, reason="the previous check is still running"))
            return
        app = self.app  # a reload swaps self.app; this check finishes with the one it started with
        outlet = app.config.outlet(outlet_name)
        self.checking.add(outlet_name)
        try:
            async with self.parallel:
                if self.stopping.is_set():
                    return
                log.info(
                    kv("check_started", outlet=outlet.name, pages=len(outlet.page_urls()), feeds=len(outlet.feeds))
                )
                started = time.monotonic()
                summary = await check_once(app, [outlet], send=False)
        finally:
            self.checking.discard(outlet_name)
        log.info(
            kv(
                "check",
                outlet=outlet.name,
                fetched=summary.fetched,
                unchanged=summary.unchanged,
                failed=summary.failed,
                events=len(summary.events),
                seconds=time.monotonic() - started,
            )
        )
        for url, why in summary.failures:
            log.warning(kv("unreachable", outlet=outlet.name, url=url, cause=why))
        for event in summary.events:
            log.info(kv("change", outlet=outlet.name, id=event.id, category=event.category, change=event.change))
        if summary.events:
            await self.send_job()

    async def digest_job(self, period: str) -> None:
        from monitor.digest import queue_digests

        queued = queue_digests(self.app, period, now=utcnow())
        self.digest_runs.record(period, utcnow())
        log.info(kv("digest", period=period, queued=queued))
        await self.send_job()

    async def send_job(self) -> None:
        app = self.app
        async with self.sending:
            report = await drain(app.store, app.channel, app.renderer, sender=app.config.mail.sender, now=utcnow)
        if report.sent or report.retried or report.failed or report.deferred:
            fields = {"sent": report.sent, "retried": report.retried, "failed": report.failed}
            log.info(kv("send", **fields, deferred=report.deferred))

    # -- reload and stop -----------------------------------------------------------------------

    def reload(self) -> None:
        """SIGHUP: re-read config.yaml; an invalid one keeps the running config and says why."""
        if self.stopping.is_set():
            log.warning(kv("reload_ignored", reason="the daemon is stopping"))
            return
        try:
            config = load_config(self.config_path)
            if config.storage.url != self.app.config.storage.url:
                raise ConfigError("storage.url cannot change while the daemon runs (the lock is per database)")
            app = App.open(config)
            _ = app.channel  # the new mail settings must work before they replace the old ones
        except ConfigError as exc:
            log.error(kv("reload_rejected", problems="; ".join(exc.problems)))
            return
        except MonitorError as exc:
            log.error(kv("reload_rejected", problems=exc))
            return
        old, self.app = self.app, app
        if not self.fixed_log_level:
            from monitor.logs import setup_logging

            setup_logging(config.daemon.log_level)
        self.reconcile_jobs()
        log.info(kv("reloaded", outlets=len(config.outlets)))
        busy = set(self.running)
        if busy:  # checks still running use the old app: close it when they are done
            closer = asyncio.ensure_future(_close_after(old, busy))
            self.closing.add(closer)
            closer.add_done_callback(self.closing.discard)
        else:
            old.close()

    async def shutdown(self) -> None:
        """Stop scheduling, let running checks finish (bounded), then close the store.

        The scheduler is paused, not shut down, while checks finish: APScheduler's shutdown cancels
        running jobs, and a crawl cancelled mid-way comes back as "not fetched" pages that would be
        recorded as failures of the outlet. Checks still running at the timeout are abandoned instead.
        """
        timeout = self.app.config.daemon.shutdown_timeout
        log.info(kv("daemon_stopping", running_jobs=len(self.running), timeout=timeout))
        self.scheduler.pause()
        if self.running:
            finished = asyncio.ensure_future(asyncio.wait(set(self.running)))
            forced = asyncio.ensure_future(self.forced.wait())
            await asyncio.wait({finished, forced}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            forced.cancel()
            if not finished.done():
                finished.cancel()
                self.abandon()
        self.scheduler.shutdown(wait=False)
        if self.closing:
            await asyncio.wait(set(self.closing))
        self.app.close()
        log.info(kv("daemon_stopped"))

    def abandon(self) -> NoReturn:
        """End the process now, leaving running checks unfinished and unrecorded.

        Every page's observation, events and deliveries are committed in one transaction and mail is
        written atomically, so stopping here is as safe as a crash (which the daemon survives, see
        docs/daemon.md); resuming or cancelling the crawl instead could record a false failure. The
        abandoned checks run again at the next start, since their outlets' last checks did not move.
        """
        for name in sorted(self.checking):
            log.warning(kv("check_abandoned", outlet=name, reason="still running at the shutdown timeout"))
        self.app.close()
        log.info(kv("daemon_stopped", abandoned=len(self.checking)))
        logging.shutdown()
        os._exit(0)


async def _close_after(app: App, tasks: set[asyncio.Task[Any]]) -> None:
    await asyncio.wait(tasks)
    app.close()


def run_daemon(config_path: str | Path, log_level: str | None = None) -> int:
    """``press-monitor run``: hold the database's lock and serve until stopped."""
    from monitor.crawl import run
    from monitor.logs import setup_logging

    path = Path(config_path)
    # --log-level or $PRESS_MONITOR_LOG_LEVEL (already applied by the CLI) win over daemon.log_level.
    fixed_level = bool(log_level or os.environ.get("PRESS_MONITOR_LOG_LEVEL"))
    config = load_config(path)
    if not fixed_level:
        setup_logging(config.daemon.log_level)

    # Until serve() installs its handlers, a SIGHUP (`press-monitor reload`, logrotate) would kill the
    # process silently: the pid is in the lock file before the loop runs. Ignore it until then.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)

    async def main() -> None:
        with single_instance(lock_path(config), path):
            daemon = Daemon(path, config, fixed_log_level=fixed_level)
            await daemon.serve()

    run(main)
    return 0
