"""Storage growth per check (database and WARC archive) and diff cost.

    python bench/bench_store.py [--pages 20] [--checks 50]

Scenarios, each on a fresh SQLite file and archive:
  unchanged  same body and findings every check (the common case: most checks change nothing)
  noisy      body differs every check (nonce, counter) but the content fingerprint and findings do not
  changed    body and the donation appeal's wording change every check (an event per check)
Not part of the test suite; the < 1 KB/check guarantee for unchanged pages is asserted in
tests/test_store.py.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.archive import WarcArchive
from monitor.diff import diff_findings, word_diff
from monitor.models import FetchResult, Finding
from monitor.observe import observe
from monitor.store import Store

T0 = datetime(2026, 3, 1, tzinfo=UTC)
LABEL = (
    "НАСТОЯЩИЙ МАТЕРИАЛ (ИНФОРМАЦИЯ) ПРОИЗВЕДЕН, РАСПРОСТРАНЕН И (ИЛИ) НАПРАВЛЕН ИНОСТРАННЫМ АГЕНТОМ "
    "ООО «ПРИМЕР» ЛИБО КАСАЕТСЯ ДЕЯТЕЛЬНОСТИ ИНОСТРАННОГО АГЕНТА ООО «ПРИМЕР». 18+"
)
BODY = ("<html><body><h1>Заголовок</h1><p>" + LABEL + "</p>" + "<p>Текст статьи. </p>" * 2000).encode()
HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "ETag": '"abc123"',
    "Date": "Sun, 01 Mar 2026 00:00:00 GMT",
    "Set-Cookie": "sid=" + "z" * 120,
    "Content-Security-Policy": "default-src 'self' https://cdn.example.org; " * 10,
}


def findings(check: int, scenario: str) -> list[Finding]:
    appeal = "Поддержите нас: каждый рубль помогает работать дальше"
    if scenario == "changed":
        appeal += " — кампания " + "ABCDEFGHIJ"[check % 10] * (check % 7 + 1)
    return [
        Finding("foreign_agent_label", LABEL, "ru", "fa-2022", "article > p:nth-of-type(1)", "ИНОСТРАННЫМ АГЕНТОМ"),
        Finding("donation_appeal", appeal, "ru", "donate-ru", "aside.donate"),
    ]


def body(check: int, scenario: str) -> bytes:
    if scenario == "unchanged":
        return BODY
    return BODY + f"<!-- nonce {check} --><span>{1000 + check}</span>".encode()


def run(scenario: str, pages: int, checks: int) -> tuple[float, float, int]:
    """Bytes per page per check in the database and the archive, and the number of events."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "monitor.db"
        store, archive = Store.open(f"sqlite:///{db}"), WarcArchive(Path(tmp) / "warc")
        n_events = 0
        sizes = []
        for check in range(checks + 1):
            for page in range(pages):
                url = f"https://example.org/page/{page}"
                data = body(check, scenario)
                fetch = FetchResult(url, url, 200, HEADERS, data, T0 + timedelta(minutes=30 * check))
                # The fingerprint stands for extracted content: noise in the raw body does not change it.
                fingerprint = hashlib.sha256((BODY if scenario != "changed" else data) + url.encode()).hexdigest()
                found = findings(check, scenario)
                state, changes = observe(store.page_state(url), fetch_ok=True, findings=found, confirmations=1)
                ref = archive.write(fetch)
                n_events += len(
                    store.record_observation(
                        outlet="Bench",
                        url=url,
                        fetch=fetch,
                        content_hash=fingerprint,
                        findings=found,
                        state=state,
                        changes=changes,
                        archive_ref=ref,
                    )
                )
            if check == 0:  # the baseline costs what it costs; measure the growth after it
                sizes = [_db_size(store, db), _dir_size(Path(tmp) / "warc")]
        db_growth = _db_size(store, db) - sizes[0]
        warc_growth = _dir_size(Path(tmp) / "warc") - sizes[1]
        store.close()
    per = pages * checks
    return db_growth / per, warc_growth / per, n_events


def _db_size(store: Store, db: Path) -> int:
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return db.stat().st_size


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir())


def diff_cost(repeat: int = 20_000) -> tuple[float, float, float]:
    """Microseconds per diff_findings call: identical findings, a changed wording; and per word_diff."""
    old, new = findings(1, "changed"), findings(2, "changed")
    timings = []
    for a, b in ((old, list(old)), (old, new)):
        start = time.perf_counter()
        for _ in range(repeat):
            diff_findings(a, b)
        timings.append((time.perf_counter() - start) / repeat * 1e6)
    label_2020 = "ДАННОЕ СООБЩЕНИЕ (МАТЕРИАЛ) СОЗДАНО И (ИЛИ) РАСПРОСТРАНЕНО ИНОСТРАННЫМ СРЕДСТВОМ МАССОВОЙ ИНФОРМАЦИИ"
    start = time.perf_counter()
    for _ in range(repeat // 10):
        word_diff(label_2020, LABEL)
    timings.append((time.perf_counter() - start) / (repeat // 10) * 1e6)
    return timings[0], timings[1], timings[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--checks", type=int, default=50)
    args = parser.parse_args()
    print(f"storage growth per page per check ({args.pages} pages x {args.checks} checks after a baseline;")
    print(f"body {len(BODY):,} bytes)")
    print(f"{'scenario':<10} {'db B/check':>11} {'warc B/check':>13} {'events':>7}")
    for scenario in ("unchanged", "noisy", "changed"):
        start = time.perf_counter()
        db, warc, events = run(scenario, args.pages, args.checks)
        elapsed = time.perf_counter() - start
        print(f"{scenario:<10} {db:>11.0f} {warc:>13.0f} {events:>7}   ({elapsed:.1f} s)")
    same, changed, words = diff_cost()
    print("diff cost:")
    print(f"  diff_findings, nothing changed: {same:.1f} us/call")
    print(f"  diff_findings, wording changed: {changed:.1f} us/call (word diff included)")
    print(f"  word_diff of two statutory labels: {words:.1f} us/call")


if __name__ == "__main__":
    main()
