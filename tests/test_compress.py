"""The compression thread: jobs run in order, and a backlog past MAX_BACKLOG makes the caller wait."""

from __future__ import annotations

import threading

import pytest

from monitor import compress


def test_a_full_backlog_makes_the_next_job_wait_for_the_oldest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compress, "MAX_BACKLOG", 2)
    release = threading.Event()
    ran: list[int] = []

    def job(n: int) -> int:
        release.wait(timeout=10)
        ran.append(n)
        return n

    first, second = compress.in_background(job, 1), compress.in_background(job, 2)
    submitted = threading.Event()
    third: list[object] = []

    def submit_third() -> None:
        third.append(compress.in_background(job, 3))
        submitted.set()

    caller = threading.Thread(target=submit_third)
    caller.start()
    assert not submitted.wait(timeout=0.2)  # two jobs waiting: the third call waits for the first
    release.set()
    caller.join(timeout=10)
    assert submitted.is_set()
    assert [first.result(), second.result(), third[0].result()] == [1, 2, 3]  # type: ignore[attr-defined]
    assert ran == [1, 2, 3]
