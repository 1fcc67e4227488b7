"""The SQLite store: migrations, WAL, restarts, storage cost, atomic observations, queries."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect

from monitor.errors import StoreError
from monitor.models import Change, FetchResult, Finding, FindingChange
from monitor.observe import PageState, describe_failure, observe
from monitor.store import OutletSpec, Store
from monitor.store.engine import HEAD_REVISION, alembic_config, current_revision, head_revision, make_engine
from monitor.store.schema import Base

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
URL = "https://example.org/news/1"
LABEL = Finding("foreign_agent_label", "ДАННОЕ СООБЩЕНИЕ (МАТЕРИАЛ) СОЗДАНО ИНОАГЕНТОМ", "ru", "fa", "h1 + p")
APPEAL = Finding("donation_appeal", "Support our independent journalism", "en", "don", "aside")


def fetch(at=T0, body=b"<html>label</html>", status=200, headers=None, **kw) -> FetchResult:
    headers = headers if headers is not None else {"ETag": '"v1"', "Content-Type": "text/html"}
    return FetchResult(URL, URL, status, headers, body, at, **kw)


def digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "data" / "monitor.db"


@pytest.fixture
def store(db_path):
    s = Store.open(f"sqlite:///{db_path}")
    yield s
    s.close()


def check(store, at, findings, *, body=b"<html>label</html>", route=None, state=None, **kw):
    """One full observation the way the pipeline does it: observe(), then record it."""
    result = fetch(at=at, body=body, **kw)
    state, changes = observe(
        store.page_state(URL) if state is None else state,
        fetch_ok=result.ok,
        findings=findings,
        failure=None if result.ok else describe_failure(result),
        confirmations=1,
        unreachable_after=2,
    )
    return store.record_observation(
        outlet="Example",
        url=URL,
        fetch=result,
        content_hash=digest(body) if result.ok else None,
        findings=findings if result.ok else None,
        state=state,
        changes=changes,
        route=route,
    )


def _alembic(conn: Connection) -> Config:
    """An Alembic config that runs its commands on ``conn`` (inside the caller's transaction)."""
    config = alembic_config(str(conn.engine.url))
    config.attributes["connection"] = conn
    return config


def _migrated_from_empty(db_path: Path) -> Engine:
    """A database built by the migrations from nothing (what ``Store.open`` of an older store runs)."""
    engine = make_engine(f"sqlite:///{db_path}")
    with engine.begin() as conn:
        command.upgrade(_alembic(conn), "head")
    return engine


def _schema(engine: Engine) -> dict[str, tuple[object, ...]]:
    """Tables, columns, keys and indexes, independent of the order the DDL listed them in."""
    found = inspect(engine)
    return {
        table: (
            sorted((c["name"], str(c["type"]), c["nullable"], str(c["default"])) for c in found.get_columns(table)),
            found.get_pk_constraint(table)["constrained_columns"],
            sorted(
                (f["name"] or "", tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
                for f in found.get_foreign_keys(table)
            ),
            sorted(tuple(u["column_names"]) for u in found.get_unique_constraints(table)),
            sorted((i["name"], tuple(i["column_names"]), i["unique"]) for i in found.get_indexes(table)),
        )
        for table in found.get_table_names()
    }


def test_migrates_from_empty_to_head_and_matches_models(db_path):
    engine = _migrated_from_empty(db_path)
    assert current_revision(engine) == head_revision() == HEAD_REVISION  # a new migration: bump it
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_a_new_database_gets_the_migrations_schema_without_loading_alembic(tmp_path):
    created = tmp_path / "new.db"
    script = (
        "import sys; from monitor.store import Store; "
        f"Store.open('sqlite:///{created}').close(); print('alembic' in sys.modules)"
    )
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "False"
    engine = make_engine(f"sqlite:///{created}")
    assert current_revision(engine) == HEAD_REVISION  # stamped: the next migration starts from here
    assert _schema(engine) == _schema(_migrated_from_empty(tmp_path / "migrated.db"))
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_a_new_database_opened_by_several_threads_at_once_is_created_once_without_alembic(tmp_path):
    created = tmp_path / "new.db"
    script = f"""
import sys, threading
from monitor.store import Store
errors = []
def open_close():
    try:
        Store.open('sqlite:///{created}').close()
    except Exception as exc:
        errors.append(exc)
threads = [threading.Thread(target=open_close) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
print(errors, 'alembic' in sys.modules)
"""
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert ran.stdout.split() == ["[]", "False"]
    with sqlite3.connect(created) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD_REVISION,)]


def test_a_store_created_without_alembic_migrates_with_it_and_keeps_data(db_path):
    store = Store.open(f"sqlite:///{db_path}")
    store.sync_outlets([OutletSpec("Example", urls=(URL,))])
    check(store, T0, [LABEL])
    with store.engine.begin() as conn:  # the created schema is one the migrations work on: down, then up
        command.downgrade(_alembic(conn), "0002")
    store.close()
    reopened = Store.open(f"sqlite:///{db_path}")
    assert current_revision(reopened.engine) == HEAD_REVISION
    assert _schema(reopened.engine) == _schema(_migrated_from_empty(db_path.with_name("migrated.db")))
    assert reopened.page_info(URL) is not None


def test_sqlite_runs_in_wal_with_busy_timeout(store, db_path):
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_state_survives_close_and_reopen(db_path):
    with Store.open(f"sqlite:///{db_path}") as store:
        check(store, T0, [LABEL])
        events = check(store, T0 + timedelta(hours=1), [LABEL, APPEAL], body=b"<html>v2</html>")
    assert [(e.category, e.change) for e in events] == [("donation_appeal", Change.ADDED)]
    with Store.open(f"sqlite:///{db_path}") as store:
        state = store.page_state(URL)
        assert state is not None
        assert state.confirmed == (LABEL, APPEAL)
        assert store.validators(URL) == ('"v1"', None)
        assert store.last_content_hash(URL) == digest(b"<html>v2</html>")
        assert store.latest_findings(URL) == [LABEL, APPEAL]
        assert store.body(digest(b"<html>v2</html>")) == b"<html>v2</html>"
        [event] = store.events()
        assert event == events[0]
        assert event.created_at == T0 + timedelta(hours=1)


def test_bodies_are_stored_as_zstd_and_those_an_older_version_stored_with_zlib_still_read(store, db_path):
    body = b"<html>" + "Данное сообщение (материал) создано иноагентом. ".encode() * 200 + b"</html>"
    check(store, T0, [LABEL], body=body)
    old = b"<html>stored by an older press-monitor</html>"
    with sqlite3.connect(db_path) as conn:
        [(stored,)] = conn.execute("SELECT body FROM blobs WHERE hash = ?", (digest(body),))
        conn.execute(
            "INSERT INTO blobs (hash, size, body) VALUES (?, ?, ?)", (digest(old), len(old), zlib.compress(old, 3))
        )
    assert stored[:4] == b"\x28\xb5\x2f\xfd"  # a zstd frame
    assert len(stored) < len(body) / 10
    assert store.body(digest(body)) == body
    assert store.body(digest(old)) == old


def _file_bytes(store, db_path) -> int:
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return db_path.stat().st_size


def test_unchanged_page_costs_under_1kb_per_check(store, db_path):
    body = ("<html>" + "Новости дня. " * 4000 + "</html>").encode()
    noisy = {
        "ETag": '"abc"',
        "Content-Type": "text/html; charset=utf-8",
        "Date": "Sun, 01 Mar 2026 12:00:00 GMT",
        "Set-Cookie": "session=" + "x" * 300,
        "Content-Security-Policy": "default-src 'self' " + "https://cdn.example " * 40,
    }
    check(store, T0, [LABEL, APPEAL], body=body, headers=noisy)
    start = _file_bytes(store, db_path)
    n = 400
    for i in range(1, n + 1):
        check(store, T0 + timedelta(minutes=30 * i), [LABEL, APPEAL], body=body, headers=noisy)
    per_check = (_file_bytes(store, db_path) - start) / n
    assert per_check < 1024, per_check
    assert store.page_summaries()[0].checks == n + 1


def test_route_failure_rolls_back_the_whole_observation(store):
    check(store, T0, [LABEL])

    def broken_route(event):
        raise RuntimeError("router bug")

    with pytest.raises(RuntimeError):
        check(store, T0 + timedelta(hours=1), [], route=broken_route)
    # Nothing of the second check exists: no snapshot, no event, the state is the old one.
    assert store.events() == []
    assert store.page_state(URL).confirmed == (LABEL,)
    assert store.page_summaries()[0].checks == 1


def test_events_and_their_deliveries_appear_together(store, db_path):
    check(store, T0, [LABEL])
    events = check(
        store, T0 + timedelta(hours=1), [], route=lambda e: ["a@example.org", "b@example.org", "a@example.org"]
    )
    assert [(e.category, e.change) for e in events] == [("foreign_agent_label", Change.REMOVED)]
    # Read through a separate plain connection: both rows committed, linked to each other.
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute(
            "SELECT d.recipient, d.kind, de.event_id FROM deliveries d "
            "JOIN delivery_events de ON de.delivery_id = d.id ORDER BY d.recipient"
        ).fetchall()
    assert rows == [("a@example.org", "alert", events[0].id), ("b@example.org", "alert", events[0].id)]


def test_not_modified_inherits_hash_and_findings(store):
    check(store, T0, [LABEL], body=b"<html>a</html>")
    result = fetch(at=T0 + timedelta(hours=1), body=b"", status=304, not_modified=True)
    state, changes = observe(
        store.page_state(URL), fetch_ok=True, findings=None, failure=None, confirmations=2, unreachable_after=3
    )
    store.record_observation(
        outlet="Example", url=URL, fetch=result, content_hash=None, findings=None, state=state, changes=changes
    )
    assert store.last_content_hash(URL) == digest(b"<html>a</html>")
    assert store.latest_findings(URL) == [LABEL]
    assert store.validators(URL) == ('"v1"', None)


def test_failures_recorded_and_summarised(store):
    check(store, T0, [LABEL])
    for i in (1, 2):
        events = check(store, T0 + timedelta(hours=i), None, status=451, body=b"blocked")
    assert [(e.category, e.change, e.after) for e in events] == [
        ("availability", Change.UNREACHABLE, "HTTP 451 Unavailable For Legal Reasons")
    ]
    [summary] = store.page_summaries()
    assert summary.consecutive_failures == 2
    assert summary.unreachable
    assert summary.last_result == "HTTP 451"
    # Validators and content hash of the last good response are kept.
    assert store.validators(URL) == ('"v1"', None)
    assert store.last_content_hash(URL) == digest(b"<html>label</html>")


def test_event_filters_limit_and_tags(store):
    store.sync_outlets([OutletSpec("Example", "https://example.org", ("ru", "exile"), "RU", (URL,))])
    check(store, T0, [])
    check(store, T0 + timedelta(hours=1), [LABEL])
    check(store, T0 + timedelta(hours=2), [LABEL, APPEAL])
    check(store, T0 + timedelta(hours=3), [APPEAL])
    everything = store.events()
    assert [e.change for e in everything] == [Change.ADDED, Change.ADDED, Change.REMOVED]
    assert all(e.tags == ("ru", "exile") for e in everything)
    assert store.events(category="donation_appeal") == [everything[1]]
    assert store.events(change="removed") == [everything[2]]
    assert store.events(since=T0 + timedelta(hours=2)) == everything[1:]
    assert store.events(limit=2) == everything[1:]
    assert store.events(outlet="Other") == []
    assert store.event(everything[0].id) == everything[0]
    assert store.event(999) is None


def test_sync_outlets_links_pages_and_deactivates(store):
    other = "https://other.example/"
    store.sync_outlets([OutletSpec("Example", urls=(URL,)), OutletSpec("Other", urls=(other,))])
    summaries = {s.url: s for s in store.page_summaries()}
    assert summaries[URL].outlet == "Example"
    assert summaries[other].last_result == "never checked"
    store.sync_outlets([OutletSpec("Example", urls=(URL,))])
    summaries = {s.url: s for s in store.page_summaries()}
    assert not summaries[other].active
    assert summaries[URL].active


def test_sync_outlets_moves_a_page_to_the_outlet_that_now_lists_it_and_keeps_what_was_stored(store):
    store.sync_outlets([OutletSpec("Example", urls=(URL,))])
    check(store, T0, [LABEL])
    store.sync_outlets([OutletSpec("Example"), OutletSpec("Successor", urls=(URL, "https://new.example/"))])
    summaries = {s.url: s for s in store.page_summaries()}
    assert summaries[URL].outlet == "Successor"
    assert summaries[URL].checks == 1  # its history went with it
    assert summaries["https://new.example/"].outlet == "Successor"
    assert [f.category for f in store.page_state(URL).confirmed] == ["foreign_agent_label"]


def test_outbox_retry_send_fail_and_counts(store):
    check(store, T0, [])
    [event] = check(store, T0 + timedelta(hours=1), [LABEL], route=lambda e: ["a@example.org"])
    [delivery] = store.due_deliveries(T0 + timedelta(hours=1))
    assert delivery.events == (event,)
    assert delivery.event_ids == (event.id,)
    assert delivery.status == "pending"
    later = T0 + timedelta(hours=2)
    store.mark_retry(delivery.id, "421 try later", later)
    assert store.due_deliveries(T0 + timedelta(hours=1, minutes=30)) == []
    [again] = store.due_deliveries(later)
    assert again.attempts == 1
    assert again.last_error == "421 try later"
    assert again.message_id == delivery.message_id
    store.mark_sent(delivery.id, later)
    assert store.outbox_counts() == {"pending": 0, "sent": 1, "failed": 0}
    with pytest.raises(StoreError):
        store.mark_failed(12345, "nope")


def test_digests_start_after_the_last_digested_event(store):
    check(store, T0, [])
    first = check(store, T0 + timedelta(hours=1), [LABEL])
    assert store.undigested_events("r@example.org", "daily") == first
    delivery = store.create_digest("r@example.org", "daily", first, T0 + timedelta(days=1))
    assert delivery is not None
    assert delivery.kind == "daily"
    assert delivery.events == tuple(first)
    assert store.undigested_events("r@example.org", "daily") == []
    assert store.undigested_events("r@example.org", "weekly") == first
    second = check(store, T0 + timedelta(days=1, hours=1), [LABEL, APPEAL])
    assert store.undigested_events("r@example.org", "daily") == second
    assert store.create_digest("r@example.org", "daily", [], T0) is None
    store.mark_failed(delivery.id, "550 no such user")
    assert store.outbox_counts() == {"pending": 0, "sent": 0, "failed": 1}


def test_event_archive_refs_point_at_before_and_after(store):
    def record(at, findings, ref):
        result = fetch(at=at, body=ref.encode())
        state, changes = observe(
            store.page_state(URL), fetch_ok=True, findings=findings, failure=None, confirmations=2, unreachable_after=3
        )
        return store.record_observation(
            outlet="Example",
            url=URL,
            fetch=result,
            content_hash=digest(ref.encode()),
            findings=findings,
            state=state,
            changes=changes,
            archive_ref=ref,
        )

    record(T0, [LABEL], "a.warc.gz:0")
    record(T0 + timedelta(hours=1), [LABEL], "a.warc.gz:100")
    record(T0 + timedelta(hours=2), [], "a.warc.gz:200")
    [event] = record(T0 + timedelta(hours=3), [], "a.warc.gz:300")
    assert store.event_archive_refs(event.id) == ("a.warc.gz:100", "a.warc.gz:300")
    assert store.archive_refs() == {f"a.warc.gz:{n}" for n in (0, 100, 200, 300)}
    assert store.event_archive_refs(999) == (None, None)


def test_open_errors_are_store_errors(tmp_path):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open"):
        Store.open(f"sqlite:///{garbage}")
    (tmp_path / "adir.db").mkdir()
    with pytest.raises(StoreError):
        Store.open(f"sqlite:///{tmp_path / 'adir.db'}")
    with pytest.raises(StoreError):
        Store.open("nosuchdialect://x")
    with pytest.raises(StoreError) as caught:
        Store.open("nosuchdialect://user:s3cret@db.example/monitor")
    assert "s3cret" not in str(caught.value)


def test_newer_schema_is_refused(db_path):
    Store.open(f"sqlite:///{db_path}").close()
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StoreError, match="migrate"):
        Store.open(f"sqlite:///{db_path}")


def test_a_database_already_at_the_head_opens_without_loading_alembic(db_path):
    Store.open(f"sqlite:///{db_path}").close()
    script = (
        "import sys; from monitor.store import Store; "
        f"Store.open('sqlite:///{db_path}').close(); print('alembic' in sys.modules)"
    )
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "False"


def test_one_page_written_with_and_without_events_in_one_batch_keeps_the_latest_facts(store):
    store.sync_outlets([OutletSpec("Example", urls=(URL,))])
    check(store, T0, [LABEL])
    with store.batch():
        assert check(store, T0 + timedelta(hours=1), [])  # removed: an event (the page row is loaded)
        assert not check(store, T0 + timedelta(hours=2), [], status=503)  # one failure: no event
        assert check(store, T0 + timedelta(hours=3), [LABEL])  # added again: an event
    [page] = store.page_summaries()
    assert (page.consecutive_failures, page.last_status) == (0, 200)
    assert store.page_state(URL).consecutive_failures == 0


def test_any_sqlalchemy_url_in_memory():
    with Store.open("sqlite://") as store:
        assert store.outbox_counts() == {"pending": 0, "sent": 0, "failed": 0}
        assert store.page_state(URL) is None
        assert store.validators(URL) == (None, None)
        check(store, T0, [LABEL])
        # Another thread sees the same in-memory database (not a fresh, empty one).
        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(store.latest_findings, URL).result() == [LABEL]


def test_recorded_state_is_whatever_observe_returned(store):
    state = PageState(confirmed=(LABEL,), baselined=True, consecutive_failures=0)
    store.record_observation(
        outlet="Example",
        url=URL,
        fetch=fetch(),
        content_hash="h",
        findings=[LABEL],
        state=state,
        changes=[FindingChange("paywall", Change.ADDED, None, "Subscribe")],
    )
    assert store.page_state(URL) == state
    [event] = store.events()
    assert event.after == "Subscribe"


def test_upgrade_from_the_first_schema_keeps_data(db_path):
    url = f"sqlite:///{db_path}"
    engine = make_engine(url)
    with engine.begin() as conn:
        command.upgrade(_alembic(conn), "0001")
        conn.exec_driver_sql("INSERT INTO pages (id, url, consecutive_failures, unreachable) VALUES (1, 'u', 0, 0)")
        conn.exec_driver_sql(
            "INSERT INTO events (id, page_id, outlet, url, category, change, word_diff, created_at) "
            "VALUES (7, 1, 'Old', 'u', 'paywall', 'added', '[]', '2025-01-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO deliveries (id, recipient, kind, status, attempts, next_attempt_at, message_id, created_at) "
            "VALUES (1, 'r@example.org', 'alert', 'pending', 0, '2025-01-01 00:00:00', '<m1>', '2025-01-01 00:00:00')"
        )
        conn.exec_driver_sql("INSERT INTO delivery_events (delivery_id, event_id) VALUES (1, 7)")
    engine.dispose()
    with Store.open(url) as store:
        assert current_revision(store.engine) == head_revision()
        [event] = store.events()
        assert (event.id, event.outlet, event.change) == (7, "Old", Change.ADDED)
        assert event.created_at == datetime(2025, 1, 1, tzinfo=UTC)
        [delivery] = store.due_deliveries(T0)
        assert delivery.events == (event,)
        assert store.event_archive_refs(7) == (None, None)
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_availability_evidence_points_at_the_last_good_and_last_failed_fetch(store):
    def record(at, status, ref):
        result = fetch(at=at, status=status, body=b"x")
        state, changes = observe(
            store.page_state(URL),
            fetch_ok=result.ok,
            findings=[LABEL] if result.ok else None,
            failure=None if result.ok else describe_failure(result),
            unreachable_after=2,
        )
        return store.record_observation(
            outlet="Example",
            url=URL,
            fetch=result,
            content_hash="h" if result.ok else None,
            findings=[LABEL] if result.ok else None,
            state=state,
            changes=changes,
            archive_ref=ref,
        )

    record(T0, 200, "a:1")
    record(T0 + timedelta(hours=1), 451, "a:2")
    [down] = record(T0 + timedelta(hours=2), 451, "a:3")
    [up] = record(T0 + timedelta(hours=3), 200, "a:4")
    assert (down.change, up.change) == (Change.UNREACHABLE, Change.RECOVERED)
    assert store.event_archive_refs(down.id) == ("a:1", "a:3")
    assert store.event_archive_refs(up.id) == ("a:3", "a:4")


def test_prune_keeps_evidence_and_latest_snapshots(store, db_path):
    check(store, T0, [LABEL], body=b"v0")
    for i in range(1, 6):
        check(store, T0 + timedelta(days=i), [LABEL], body=b"v1")
    [event] = check(store, T0 + timedelta(days=6), [], body=b"v2")
    for i in range(7, 10):
        check(store, T0 + timedelta(days=i), [], body=b"v2")
    before_ref, after_ref = store.event_archive_refs(event.id)
    report = store.prune(older_than=T0 + timedelta(days=30))
    # 10 snapshots: kept the event's two (day 5 "before", day 6 "after") and the latest (day 9).
    assert report.snapshots == 7
    assert report.blobs == 1  # v0 was only in pruned snapshots; v1 and v2 are still referenced
    assert store.page_summaries()[0].checks == 3
    assert store.event_archive_refs(event.id) == (before_ref, after_ref)
    with sqlite3.connect(db_path) as conn:
        kept = [r[0] for r in conn.execute("SELECT fetched_at FROM snapshots ORDER BY id")]
    assert [k[:10] for k in kept] == ["2026-03-06", "2026-03-07", "2026-03-10"]
    assert store.body(digest(b"v1")) == b"v1"
    assert store.body(digest(b"v0")) is None
    # Nothing younger than the cutoff is touched.
    assert store.prune(older_than=T0).snapshots == 0


def test_category_states_and_coverage(store):
    other = "https://example.org/news/2"
    store.sync_outlets([OutletSpec("Example", urls=(URL, other))])
    check(store, T0, [APPEAL])
    check(store, T0 + timedelta(hours=1), [LABEL, APPEAL])
    # A second page of the outlet, baselined with the label and never changed.
    result = FetchResult(other, other, 200, {}, b"p2", T0 + timedelta(hours=2))
    state, _ = observe(None, fetch_ok=True, findings=[LABEL])
    store.record_observation(
        outlet="Example", url=other, fetch=result, content_hash="p2", findings=[LABEL], state=state, changes=[]
    )
    rows = {(r.url, r.category): r for r in store.category_states()}
    label = rows[(URL, "foreign_agent_label")]
    assert label.present
    assert label.since == T0 + timedelta(hours=1)
    assert label.wording == (LABEL.text,)
    assert rows[(URL, "donation_appeal")].since == T0  # present since the first check
    assert not rows[(URL, "paywall")].present
    assert rows[(other, "foreign_agent_label")].since == T0 + timedelta(hours=2)
    shares = {(c.outlet, c.category): (c.pages_present, c.pages_checked, c.share) for c in store.coverage()}
    assert shares[("Example", "foreign_agent_label")] == (2, 2, 1.0)
    assert shares[("Example", "donation_appeal")] == (1, 2, 0.5)
    assert shares[("Example", "paywall")] == (0, 2, 0.0)
    assert store.category_states(outlet="Nobody") == []


def test_coverage_counts_every_page_of_the_outlet_for_a_category_outside_the_known_ones(store):
    other, unseen = "https://example.org/news/2", "https://example.org/news/3"
    store.sync_outlets([OutletSpec("Example", urls=(URL, other, unseen))])
    custom = replace(LABEL, category="registry_notice")  # a user's own rule pack's category
    check(store, T0, [custom, APPEAL])
    result = FetchResult(other, other, 200, {}, b"p2", T0)
    state, _ = observe(None, fetch_ok=True, findings=[APPEAL])
    store.record_observation(
        outlet="Example", url=other, fetch=result, content_hash="p2", findings=[APPEAL], state=state, changes=[]
    )
    presence = {p.url: p.categories for p in store.page_presence()}
    assert presence == {URL: {"registry_notice", "donation_appeal"}, other: {"donation_appeal"}}  # unseen: no state
    shares = {c.category: (c.pages_present, c.pages_checked) for c in store.coverage("Example")}
    assert shares["registry_notice"] == (1, 2)  # out of both checked pages, not only the one carrying it
    assert shares["donation_appeal"] == (2, 2)
    assert shares["paywall"] == (0, 2)
    assert store.page_presence(outlet="Nobody") == []


def test_page_infos_reads_what_a_check_needs_for_every_watched_page_at_once(store):
    """A check reads validators, state and hash of its whole watchlist in one call (here 1,200 URLs:
    more than one IN list); pages never seen are simply absent."""
    check(store, T0, [LABEL])
    others = [f"https://example.org/other/{i}" for i in range(1200)]
    store.sync_outlets([OutletSpec("Outlet", urls=(URL, *others[:700]))])

    infos = store.page_infos([*others, URL, "https://example.org/never"])

    mine = infos[URL]
    assert (mine.etag, mine.content_hash) == ('"v1"', digest(b"<html>label</html>"))
    assert mine.state is not None
    assert mine.state.confirmed == (LABEL,)
    assert len(infos) == 701  # the 700 synced pages exist (no state yet); unsynced and unknown ones do not
    assert infos[others[699]].state is None
    assert others[700] not in infos


def test_a_304_snapshot_points_at_the_last_archived_response(store, db_path):
    """The evidence behind an event confirmed by a 304 is the response it re-confirms."""
    store.record_observation(
        outlet="Outlet", url=URL, fetch=fetch(), content_hash="h1", findings=[LABEL],
        state=PageState(confirmed=(LABEL,), baselined=True), changes=[], archive_ref="a.warc.gz:100",
    )  # fmt: skip
    not_modified = fetch(at=T0 + timedelta(hours=1), status=304, body=b"", not_modified=True)
    store.record_observation(
        outlet="Outlet", url=URL, fetch=not_modified, content_hash=None, findings=None,
        state=PageState(confirmed=(LABEL,), baselined=True), changes=[],
    )  # fmt: skip
    with sqlite3.connect(db_path) as db:
        refs = [ref for (ref,) in db.execute("SELECT archive_ref FROM snapshots ORDER BY id")]
    assert refs == ["a.warc.gz:100", "a.warc.gz:100"]
    assert store.last_content_hash(URL) == "h1"
    assert store.latest_findings(URL) == [LABEL]


def test_a_batch_commits_its_observations_together_or_not_at_all(store):
    """Observations ready at once share one transaction (group commit); a failure loses the group, never half."""
    pages = [f"https://example.org/batch/{i}" for i in range(3)]

    def observe_page(url: str) -> None:
        result = FetchResult(url, url, 200, {"ETag": '"b"'}, b"<html>x</html>", T0)
        state, changes = observe(None, fetch_ok=True, findings=[APPEAL])
        store.record_observation(
            outlet="Outlet", url=url, fetch=result, content_hash=digest(url.encode()), findings=[APPEAL],
            state=state, changes=changes,
        )  # fmt: skip

    with store.batch():
        for url in pages[:2]:
            observe_page(url)
        assert store.latest_findings(pages[0]) == [APPEAL]  # reads inside the batch see its writes
    assert store.validators(pages[1]) == ('"b"', None)

    def failing_group() -> None:
        with store.batch():
            observe_page(pages[2])
            raise RuntimeError("the next page failed")

    with pytest.raises(RuntimeError):
        failing_group()
    assert store.page_state(pages[2]) is None
