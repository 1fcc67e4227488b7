"""Pages read by a worker process: the same events as reading inline, and a dead worker loses nothing."""

from __future__ import annotations

import asyncio
import gc
import re
import threading
import uuid
import weakref
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_helpers import REPO, cli, put, watchlist
from mockserver import MockServer

from monitor.detect import Detector
from monitor.models import FetchResult
from monitor.outcomes import load_signatures
from monitor.reader import PageReader, ReadJob, read, worker_count
from monitor.recorder import Recorder

BEFORE = (REPO / "seeds" / "site" / "index.html").read_text(encoding="utf-8")
AFTER = (REPO / "seeds" / "changes" / "index.html").read_text(encoding="utf-8")


def _one_page_outlets(pages: list[str]) -> str:
    """The watchlist's outlets: one per URL of ``pages``, watching that page."""
    entry = "  - name: Outlet {i}\n    homepage: '{url}'\n    pages: ['{url}']\n"
    return "".join(entry.format(i=i, url=url) for i, url in enumerate(pages))


def _mutable_pages(mockserver: MockServer, body: str, query: str = "") -> list[str]:
    """Six fresh pages on the mockserver, each serving ``body``."""
    pages = [mockserver.url(f"/mutable/{uuid.uuid4().hex}{query}") for _ in range(6)]
    for url in pages:
        put(url, body)
    return pages


def _run_checks(tmp_path: Path, pages: list[str], workers: int) -> tuple[list[tuple[str, str, str]], list[int]]:
    tmp_path.mkdir()
    outlets = _one_page_outlets(pages)
    config = watchlist(tmp_path, outlets, extra=f"detection: {{confirmations: 1, workers: {workers}}}\n")
    offloaded = []
    for body in (BEFORE, AFTER):
        for url in pages[::2]:  # every other outlet gets the label between the two checks
            put(url, body)
        ran = cli("--log-level", "INFO", "check", "--once", "--config", str(config))
        assert ran.code == 0, ran.err
        offloaded.append(int(re.search(r"read_by_worker=(\d+)", ran.err).group(1)))
    history = cli("history", "--json", "--config", str(config)).json()
    return sorted((e["url"], e["category"], e["change"]) for e in history), offloaded


def test_a_worker_process_reads_pages_with_the_same_events_as_the_main_process(
    tmp_path: Path, mockserver: MockServer
) -> None:
    pages = _mutable_pages(mockserver, BEFORE)
    by_worker, offloaded = _run_checks(tmp_path / "worker", pages, workers=1)
    for url in pages:  # the same pages, from the same starting content, read inline
        put(url, BEFORE)
    inline, none = _run_checks(tmp_path / "inline", pages, workers=0)

    assert by_worker == inline
    assert [(url, "foreign_agent_label", "added") for url in sorted(pages[::2])] == [
        e for e in by_worker if e[1] == "foreign_agent_label"
    ]
    assert offloaded[0] > 0  # the worker did read pages (the main process shares the load when it lags)
    assert none == [0, 0]


def test_after_a_rules_change_unchanged_pages_answering_304_are_read_again_by_the_worker(
    tmp_path: Path, mockserver: MockServer
) -> None:
    # After an upgrade every page's stored body is read again once: that must not all fall on the main process.
    pages = _mutable_pages(mockserver, AFTER, "?etag=1")
    config = watchlist(tmp_path, _one_page_outlets(pages), extra="detection: {confirmations: 1, workers: 1}\n")

    def check() -> tuple[str, dict[str, bool]]:
        ran = cli("--log-level", "INFO", "check", "--once", "--config", str(config))
        assert ran.code == 0, ran.err
        state = cli("state", "--json", "--config", str(config)).json()
        labelled = {p["url"]: p["present"] for p in state["pages"] if p["category"] == "foreign_agent_label"}
        return ran.err + ran.out, labelled

    _, labelled = check()
    assert labelled == dict.fromkeys(pages, True)
    label_rules = sorted({f.rule for f in Detector().detect(AFTER) if f.category == "foreign_agent_label"})
    config.write_text(
        config.read_text(encoding="utf-8").replace("workers: 1}", f"workers: 1, disable_rules: {label_rules}}}"),
        encoding="utf-8",
    )
    log, labelled = check()
    assert "unchanged: 6" in log  # every page answered 304...
    assert labelled == dict.fromkeys(pages, False)  # ...and was judged again under the rules now in force
    assert int(re.search(r"read_by_worker=(\d+)", log).group(1)) > 0
    assert "events: 0" in log  # the pages did not change: no "removed" event


def _job() -> ReadJob:
    body = AFTER.encode()
    headers = {"content-type": "text/html; charset=utf-8"}
    return ReadJob(FetchResult("https://example.org/", "https://example.org/", 200, headers, body, datetime.now(UTC)))


def test_a_page_whose_worker_died_is_read_by_the_main_process_which_reads_the_rest_too() -> None:
    reader = PageReader(Detector(), load_signatures(), workers=1)
    died: Future = Future()
    died.set_exception(BrokenProcessPool("worker killed"))
    from monitor.check import reading_of

    reading = reading_of(reader, _job(), died)

    assert reading == read(_job(), reader.detector, reader.signatures)
    assert any(f.category == "foreign_agent_label" for f in reading.findings)
    done: list[Future] = []
    reader.submit(_job(), done.append)  # no worker any more: read at once, on this thread
    assert done[0].result() == reading
    assert reader.offloaded == 0


def test_a_worker_reads_pages_without_the_modules_only_the_main_process_needs() -> None:
    """Every module a worker imports is memory of its own (a spawned process shares nothing): asyncio and
    ssl, PyYAML, pydantic and charset-normalizer are the main process's (loop, config and packs, a body of
    unknown encoding)."""
    reader = PageReader(Detector(), load_signatures(), workers=1)
    read_back: Future[Future] = Future()  # the done-callback runs on the pool's thread
    try:
        reader.submit(_job(), read_back.set_result)
        reading = read_back.result(timeout=60).result()
        assert reader.offloaded == 1
        assert any(f.category == "foreign_agent_label" for f in reading.findings)
        pool = reader._ensure_pool()
        modules = set(pool.submit(eval, "sorted(__import__('sys').modules)").result(timeout=60))
    finally:
        reader.close()
    assert {"lxml.etree", "monitor.detect"} <= modules
    assert not {"asyncio", "ssl", "yaml", "pydantic", "charset_normalizer"} & modules


def test_readings_are_recorded_on_the_loop_thread_and_the_first_error_is_raised_after_the_rest() -> None:
    async def scenario() -> tuple[list[int], BaseException | None]:
        recorder = Recorder(asyncio.get_running_loop())
        loop_thread = threading.get_ident()
        recorded: list[int] = []

        def record(n: int) -> None:
            assert threading.get_ident() == loop_thread
            if n == 2:
                raise RuntimeError("disk full")
            recorded.append(n)

        callbacks = [recorder.later(lambda _f, n=n: record(n)) for n in (1, 2)]
        futures: list[Future] = [Future(), Future()]
        for callback, future in zip(callbacks, futures, strict=True):
            future.add_done_callback(callback)
        threads = [threading.Thread(target=f.set_result, args=(None,)) for f in futures]
        for t in threads:
            t.start()
        try:
            await recorder.drained()
        except RuntimeError as exc:
            return recorded, exc
        return recorded, None

    recorded, error = asyncio.run(scenario())
    assert isinstance(error, RuntimeError)
    assert recorded in ([1], [])  # nothing is recorded after the first error


def test_a_reading_is_recorded_only_once_its_background_compression_is_done_without_blocking_the_loop() -> None:
    async def scenario() -> list[str]:
        recorder = Recorder(asyncio.get_running_loop())
        recorded: list[str] = []
        archive: Future = Future()  # a WARC record still being compressed on another thread
        reading: Future = Future()
        reading.set_result(None)
        recorder.later(lambda _f: recorded.append("read"), after=[archive])(reading)
        recorder.now(lambda: recorded.append("304"))  # nothing to wait for: recorded at once
        await asyncio.sleep(0)  # the loop runs on meanwhile (a blocking wait would hang here)
        await asyncio.sleep(0)
        assert recorded == ["304"]
        threading.Thread(target=archive.set_result, args=(b"gzip member",)).start()
        await recorder.drained()
        return recorded

    assert asyncio.run(scenario()) == ["304", "read"]


def test_a_recorded_page_is_freed_at_once_not_kept_by_its_futures_until_a_garbage_collection() -> None:
    class Page:  # stands for an observation: its body, and the futures of its background work
        def __init__(self) -> None:
            self.archive: Future = Future()
            self.body = b"x" * 100_000

    async def scenario() -> weakref.ref[Page]:
        recorder = Recorder(asyncio.get_running_loop())
        page = Page()
        reading: Future = Future()
        reading.add_done_callback(recorder.later(lambda _f, page=page: None, after=[page.archive]))
        reading.set_result(None)  # read before its WARC record is compressed (on another thread)
        threading.Thread(target=page.archive.set_result, args=(b"gzip member",)).start()
        await recorder.drained()
        return weakref.ref(page)

    gc.disable()  # what frees the page must be its reference count, not the cycle collector
    try:
        page = asyncio.run(scenario())
        assert page() is None
    finally:
        gc.enable()


@pytest.mark.parametrize(("setting", "pages", "expected"), [(0, 1000, 0), (2, 1, 2), ("auto", 5, 0)])
def test_worker_count(setting: int | str, pages: int, expected: int) -> None:
    assert worker_count(setting, pages) == expected
