"""Reading a response: decode, parse once, rule out non-content, fingerprint, detect.

Reading is the CPU-bound half of a check (lxml parse, block walk, rules); fetching and storing are
the other half, on the main process's event loop. For a large check on a machine with a second core,
a :class:`PageReader` hands pages to one worker process, so both halves run at once; whenever the
worker has :data:`MAX_QUEUED` pages waiting, the main process reads the next page itself: both
cores stay busy and a bounded number of bodies wait in memory. Small checks (a daemon's per-outlet
run) read inline: a worker's start-up (~0.5 s) would cost more than it saves.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from monitor.detect import Detector
from monitor.extract import ParsedPage, decode_html
from monitor.models import FetchResult, Finding
from monitor.outcomes import Signature, classify
from monitor.rules import RuleSet, SelectorRule

log = logging.getLogger(__name__)

# Pages waiting for the worker before the main process reads one itself. The main process is the busier
# one (fetching, storing): at 4, bursts of arrivals made it read ~27 % of pages inline while the worker
# then idled; 32 bodies absorb the bursts and it reads ~2 %. That is ~3 MB of typical 100 KB pages, and at
# most 32 times fetch.max_bytes.
MAX_QUEUED = 32
AUTO_MIN_PAGES = 40  # "auto": a check reading fewer pages reads them inline


@dataclass(frozen=True)
class Reading:
    """What one response says about a page: its content hash and findings, or why it is not content.

    ``reused``: the content fingerprint is the one the stored findings were made from, so the caller
    keeps those (``findings`` is then None). Read with site-template evidence (:class:`ReadJob`
    ``template``): ``keys`` of the candidate blocks, those ``repeated`` on other pages, those the
    single-page judge ``rejected``, and the
    findings only the template made (``lifted``, with their block's key)."""

    content_hash: str | None = None
    findings: list[Finding] | None = None
    failure: str | None = None
    reused: bool = False
    keys: frozenset[str] | None = None
    repeated: frozenset[str] = frozenset()
    rejected: frozenset[str] = frozenset()
    lifted: dict[Finding, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReadJob:
    """One body to read (everything picklable: it may cross to the worker process)."""

    result: FetchResult
    outlet_rules: tuple[SelectorRule, ...] = ()
    reuse_hash: str | None = None  # findings stored under this fingerprint still hold (same rules)
    template: dict[str, int] | None = None  # block key -> other pages of the outlet carrying it
    # The body is the stored one of this fingerprint (a 304 read again under new rules): it was content,
    # and its fingerprint is known.
    stored_hash: str | None = None


def read(job: ReadJob, detector: Detector, signatures: Sequence[Signature]) -> Reading:
    """Read one body; the page is parsed once for the outcome check, the fingerprint and the detector."""
    result = job.result
    page = ParsedPage.parse(decode_html(result.body, result.headers.get("content-type")))
    if job.stored_hash is not None:
        return detect(detector, page, job.stored_hash, job)
    outcome = classify(result, page.html, signatures, root=page.root)
    if outcome is not None:
        return Reading(failure=outcome.cause)
    content_hash = page.fingerprint()
    if job.reuse_hash is not None and content_hash == job.reuse_hash:
        return Reading(content_hash, reused=True)
    return detect(detector, page, content_hash, job)


def detect(detector: Detector, page: ParsedPage, content_hash: str | None, job: ReadJob) -> Reading:
    """The page's findings; with the job's ``template``, also its candidate blocks (site-template evidence)."""
    url, rules = job.result.final_url, job.outlet_rules
    if job.template is None:
        return Reading(content_hash, detector.detect_parsed(page, url=url, outlet_rules=rules))
    found = detector.detect_site(page, job.template, url=url, outlet_rules=rules)
    return Reading(
        content_hash,
        found.findings,
        keys=found.keys,
        repeated=found.repeated,
        rejected=found.rejected,
        lifted=found.lifted,
    )


_worker: tuple[Detector, list[Signature]] | None = None


def _start_worker(rule_set: RuleSet, signatures: tuple[Signature, ...]) -> None:
    """Build the worker's detector from the main process's rules (pickled: the packs are not read and
    validated again, and pydantic, ~20 MB of the worker's memory, is never imported)."""
    global _worker
    _worker = (Detector(rule_set), list(signatures))


def _read_in_worker(job: ReadJob) -> Reading:
    assert _worker is not None, "worker not initialised"
    return read(job, *_worker)


def worker_count(setting: int | str, pages: int) -> int:
    """Worker processes for a check reading ``pages`` pages: ``auto`` is one on a multi-core machine
    for a check of at least :data:`AUTO_MIN_PAGES` pages; a number is that many, always."""
    if setting != "auto":
        return int(setting)
    return 1 if (os.cpu_count() or 1) >= 2 and pages >= AUTO_MIN_PAGES else 0


class PageReader:
    """Reads pages inline, or in worker processes with the main process sharing the load."""

    def __init__(self, detector: Detector, signatures: Sequence[Signature], workers: int) -> None:
        self.detector, self.signatures = detector, signatures
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._queued: set[Future[Reading]] = set()  # emptied from the pool's thread: set ops are atomic
        self.offloaded = 0  # pages the worker read (for the check's log line)
        self.worker_peak_mb = 0.0

    def submit(self, job: ReadJob, done: Callable[[Future[Reading]], None]) -> None:
        """Read ``job``; ``done(future)`` is called with its result, possibly from another thread."""
        pool = self._ensure_pool()
        if pool is not None and len(self._queued) < MAX_QUEUED * self._workers:
            try:
                future = pool.submit(_read_in_worker, job)
            except BrokenProcessPool:
                self._give_up("the worker process died")
            else:
                self._queued.add(future)
                self.offloaded += 1
                future.add_done_callback(self._queued.discard)
                future.add_done_callback(done)
                return
        future: Future[Reading] = Future()
        try:
            future.set_result(self.read_now(job))
        except Exception as exc:  # handed to the caller like a worker's exception
            future.set_exception(exc)
        done(future)

    def read_now(self, job: ReadJob) -> Reading:
        """Read ``job`` here, on the calling thread."""
        return read(job, self.detector, self.signatures)

    def recover(self, job: ReadJob) -> Reading:
        """The worker died on ``job`` (killed, out of memory): read it, and the rest of the check, inline."""
        self._give_up("the worker process died")
        return self.read_now(job)

    def _ensure_pool(self) -> ProcessPoolExecutor | None:
        if self._pool is None and self._workers > 0:
            # spawn, not fork: the main process runs threads (the reactor's, the compressor) that fork would copy
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                self._workers,
                mp_context=context,
                initializer=_start_worker,
                initargs=(self.detector.rule_set, tuple(self.signatures)),
            )
        return self._pool

    def _give_up(self, why: str) -> None:
        log.warning("event=reader_inline cause=%r", why)
        self._workers = 0
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        """Stop the worker; its peak memory is kept in :attr:`worker_peak_mb` (for the check's log line)."""
        if self._pool is not None:
            try:
                self.worker_peak_mb = self._pool.submit(_peak_rss_mb).result(timeout=30)
            except Exception:  # a dead or stuck worker: its memory figure is not worth waiting for
                log.debug("no peak memory from the worker", exc_info=True)
            self._pool.shutdown(wait=True)
            self._pool = None


def _peak_rss_mb() -> float:
    """This process's peak resident memory since it started its program (Linux ``VmHWM``).

    Not ``getrusage``: a spawned worker's ``ru_maxrss`` includes the pages it shared with its parent in
    the instant between fork and exec, i.e. the parent's whole size."""
    try:
        with Path("/proc/self/status").open(encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
