"""Database engine, sessions and migrations (Alembic, run on start by the embedded default)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

from core.settings import Settings, get_settings
from outcomes.errors import NotReady

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for SQLite or PostgreSQL with the settings Stegvis relies on (and the kept
    per-participant outcomes kept on every flush: ``outcomes.kept.install``)."""
    from outcomes import kept  # the engine's SQL; imported when an engine is made

    kept.install()
    if url.startswith("sqlite"):
        connect_args = {"check_same_thread": False, "timeout": 30}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs.setdefault("poolclass", StaticPool)
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # deleted content is overwritten with zeros, not left in free space (see ``scrub``)
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def scrub(engine: Engine, tables: Iterable[str]) -> None:
    """Leave no copy of deleted or overwritten rows of ``tables`` in the database's files.

    Run after an erasure has committed (``outcomes.privacy.erase_person`` arranges it).

    - SQLite: every connection deletes securely (``PRAGMA secure_delete=ON``: freed space is
      zeroed), but the write-ahead log still holds the pages as they were before; a truncating
      checkpoint copies the current pages into the database file and empties the log.
    - PostgreSQL: a deleted or updated row stays in its page as a dead tuple until VACUUM; each
      table is vacuumed (outside a transaction). That needs the table's owner (or
      ``pg_maintain``); without it PostgreSQL skips the table with a warning, and so do we.
      VACUUM frees the tuples for reuse but does not zero the freed bytes of a page, and the
      server's own write-ahead log keeps them until it is recycled: a deployment that must rule
      out forensic recovery keeps PostgreSQL's data directory on an encrypted volume.
    """
    try:
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                busy, _log, _done = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            if busy:
                log.warning("the checkpoint after an erasure could not finish (database busy)")
        elif engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                quote = conn.dialect.identifier_preparer.quote
                for table in dict.fromkeys(tables):
                    conn.exec_driver_sql(f"VACUUM {quote(table)}")
    except SQLAlchemyError as exc:  # the erasure itself is committed; say that this step failed
        log.warning("could not scrub the database after an erasure: %s", type(exc).__name__)


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic config pointing at our migrations; ``engine`` is handed to env.py."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


MIGRATION_LOCK = (
    0x57E6_0001  # PostgreSQL advisory lock: instances starting together migrate in turn
)


def migrate(engine: Engine) -> None:
    """Bring the schema up to the newest migration (on PostgreSQL one process at a time)."""
    if engine.dialect.name != "postgresql":
        command.upgrade(alembic_config(engine), "head")
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        try:
            command.upgrade(alembic_config(engine), "head")
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})


def schema_problem(engine: Engine) -> str | None:
    """Why the database cannot be used yet (unreachable, or not at the newest migration), or
    ``None`` when it is ready."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        return f"cannot open the {engine.dialect.name} database: {reason}"
    if current == head:
        return None
    state = "has no Stegvis schema" if current is None else f"is at migration {current}"
    return (
        f"the {engine.dialect.name} database {state}, not at the newest ({head}); "
        "run `stegvis db upgrade` first"
    )


@cache
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine(settings: Settings | None = None, *, migrate_on_start: bool = False) -> Engine:
    """The process-wide engine for the configured database (created once per URL)."""
    settings = settings or get_settings()
    if settings.resolved_database_url.startswith("sqlite:///"):
        settings.ensure_data_dir()
    engine = _engine_for(settings.resolved_database_url)
    if migrate_on_start:
        migrate(engine)
    return engine


def ready_engine(settings: Settings | None = None) -> Engine:
    """The engine for the commands: the embedded default migrates itself; a configured database
    must be reachable and migrated, else ``NotReady`` says what to do."""
    settings = settings or get_settings()
    engine = get_engine(settings, migrate_on_start=settings.database_url is None)
    problem = schema_problem(engine)
    if problem is not None:
        raise NotReady(problem)
    return engine


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
