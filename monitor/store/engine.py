"""Engine creation and migrations, configured in code so an installed wheel needs no alembic.ini."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Connection, Engine, MetaData, PrimaryKeyConstraint, String, Table, create_engine, event
from sqlalchemy import inspect as inspect_schema
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import StaticPool

from monitor.errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 10_000
_MIGRATION_LOCK = threading.Lock()
#: The newest revision in ``migrations/versions``, read from the file names (``0003_registries.py`` is
#: revision ``0003``). A database already at it opens without loading Alembic (~11 MB and ~0.15 s on every
#: command); tests/test_store.py checks it against Alembic's own head.
HEAD_REVISION = max(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


#: Alembic's version table as ``alembic upgrade`` creates it, for a new database made without Alembic.
_VERSION_TABLE = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


class MigrationError(Exception):
    """Alembic refused to migrate (e.g. the database was made by a newer press-monitor)."""


def alembic_config(url: str = "") -> Config:
    """An Alembic config pointing at the shipped migrations (``migrations/`` beside this module)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and enforced foreign keys.

    WAL lets ``status``/``history`` read while the daemon writes; the busy timeout makes a second
    writer wait instead of failing at once with "database is locked".
    """
    parsed = make_url(url)
    if not parsed.get_backend_name() == "sqlite":
        return create_engine(url)
    database = parsed.database
    if not database or database == ":memory:":
        # One shared connection: with a pool, each thread would get its own, empty, database.
        return _with_pragmas(create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False}))
    if not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return _with_pragmas(create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}))


def _with_pragmas(engine: Engine) -> Engine:
    """Set the per-connection SQLite pragmas on every new connection of ``engine``."""

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            # NORMAL is durable across application crashes in WAL mode; only an OS crash may lose
            # the last transactions, which the next check re-observes anyway.
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    return engine


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema (``alembic upgrade head``) in one transaction.

    Safe to call from several threads (Alembic's context is module-global, so they take turns)
    and several processes (on SQLite the migration holds the write lock: the second one waits,
    then finds the schema current).
    """
    if _at_head(engine):
        return
    with _MIGRATION_LOCK:
        if not _create_if_empty(engine):
            _migrate(engine)


def _at_head(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            return _versions(connection) == [HEAD_REVISION]
    except SQLAlchemyError:  # a new database: no version table yet
        return False


def _versions(connection: Connection) -> list[str]:
    return [v for (v,) in connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()]


def _create_if_empty(engine: Engine) -> bool:
    """Give a new SQLite database (no tables at all) the models' schema, stamped at the head revision;
    False when it has tables (for Alembic to migrate). Alembic's own recipe for a database built from
    scratch, without loading it: the first check of a new install keeps ~10 MB of memory that the
    migration machinery would hold to its end. The migrations build the same schema (tests/test_store.py).
    """
    if engine.url.get_backend_name() != "sqlite":
        return False
    from monitor.store.schema import Base

    with engine.connect() as connection, connection.begin():
        begin_immediate(connection)  # a second process opening the new file waits, then finds the tables
        tables = inspect_schema(connection).get_table_names()
        if tables:  # an existing database, or one another process created while this one waited
            return "alembic_version" in tables and _versions(connection) == [HEAD_REVISION]
        Base.metadata.create_all(connection)
        _VERSION_TABLE.create(connection)
        connection.execute(_VERSION_TABLE.insert().values(version_num=HEAD_REVISION))
    log.info("event=store_created revision=%s", HEAD_REVISION)
    return True


def _migrate(engine: Engine) -> None:
    from alembic import command
    from alembic.util import CommandError

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    sqlite = engine.url.get_backend_name() == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            # Batch migrations rebuild tables (copy, drop, rename); with foreign keys enforced the
            # DROP would cascade-check rows that point at the table being rebuilt. The pragma is a
            # no-op inside a transaction, so it is set before one starts, and checked afterwards.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                if sqlite:
                    begin_immediate(connection)
                config.attributes["connection"] = connection
                try:
                    command.upgrade(config, "head")
                except CommandError as exc:
                    raise MigrationError(str(exc)) from exc
            if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                raise StoreError("migration left rows with broken foreign keys")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def begin_immediate(connection: Connection) -> None:
    """Take SQLite's write lock now, at the start of the transaction.

    pysqlite starts a transaction lazily, at the first INSERT/UPDATE, so the reads that decide what
    to write (does this body, finding set or outlet exist yet?) run outside it: two writers could
    both see "missing" and both insert the same unique row. With the lock taken first, writers
    queue up (for at most the busy timeout) and each sees the other's committed rows.
    """
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision, or None before the first migration."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision this version of press-monitor ships."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
