"""Two processes' worth of writers on one SQLite file: WAL + busy timeout + immediate write
transactions make them wait for each other instead of failing with "database is locked"."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from monitor.models import FetchResult, Finding
from monitor.observe import observe
from monitor.store import Store

T0 = datetime(2026, 3, 1, tzinfo=UTC)
LABEL = Finding("foreign_agent_label", "ДАННОЕ СООБЩЕНИЕ (МАТЕРИАЛ) СОЗДАНО ИНОАГЕНТОМ", "ru", "fa", "p")


def writer(url_db: str, worker: int, checks: int, errors: list[BaseException], start: threading.Barrier) -> None:
    try:
        start.wait(timeout=30)
    except threading.BrokenBarrierError as exc:
        errors.append(exc)
        return
    store = Store.open(url_db)
    try:
        for i in range(checks):
            url = f"https://example.org/{worker}"
            # Every worker writes the same new finding set and body at the same step: the
            # "does it exist yet?" reads must see each other's commits.
            findings = [LABEL, Finding("paywall", f"Subscribe to read part {i}", "en", "pw", "div")] if i % 2 else []
            state, changes = observe(store.page_state(url), fetch_ok=True, findings=findings, confirmations=1)
            fetch = FetchResult(url, url, 200, {}, f"body {i}".encode(), T0 + timedelta(minutes=i))
            store.record_observation(
                outlet=f"Outlet {worker}",
                url=url,
                fetch=fetch,
                content_hash=f"shared-{i}",
                findings=findings,
                state=state,
                changes=changes,
                route=lambda e: ["r@example.org"],
            )
            if i % 10 == 0:
                store.create_digest("r@example.org", "daily", store.undigested_events("r@example.org", "daily"), T0)
    except BaseException as exc:  # reported to the main thread
        errors.append(exc)
    finally:
        store.close()


def test_concurrent_writers_wait_instead_of_failing(tmp_path):
    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    Store.open(url).close()
    errors: list[BaseException] = []
    workers, checks = 4, 40
    start = threading.Barrier(workers)
    threads = [threading.Thread(target=writer, args=(url, w, checks, errors, start)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Store.open(url) as store:
        assert sum(s.checks for s in store.page_summaries()) == workers * checks
        # Every event got its alert delivery, in the same transaction.
        events = store.events()
        assert len(events) == workers * (checks - 1) * 2  # two categories flip at every step
        alerted = {e.id for d in store.deliveries() if d.kind == "alert" for e in d.events}
        assert alerted == {e.id for e in events}
