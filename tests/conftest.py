"""Shared fixtures: a migrated database (SQLite by default, PostgreSQL with
STEGVIS_TEST_DATABASE_URL), a session emptied after each test, and isolated settings."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from core.settings import Settings, get_settings
from outcomes.db import make_engine, migrate
from outcomes.tables import metadata


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The test database: SQLite file by default; with STEGVIS_TEST_DATABASE_URL pointing at a
    PostgreSQL server, a private database created there for this run and dropped after it."""
    url = os.environ.get("STEGVIS_TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'stegvis-test.db'}"
        return
    server = make_engine(url, isolation_level="AUTOCOMMIT")
    name = f"stegvis_test_{os.getpid()}_{secrets.token_hex(3)}"
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.url.set(database=name).render_as_string(hide_password=False)
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a freshly migrated schema."""
    eng = make_engine(database_url)
    migrate(eng)
    yield eng
    eng.dispose()


def _empty_all_tables(engine: Engine) -> None:
    tables = [t for t in reversed(metadata().sorted_tables)]
    with engine.begin() as conn:
        # DELETE, not TRUNCATE: on PostgreSQL a TRUNCATE of every table costs ~0.3 s a test
        for table in tables:
            conn.execute(table.delete())


@pytest.fixture
def db(engine: Engine) -> Iterator[Engine]:
    """The migrated engine, with every table emptied after the test."""
    try:
        yield engine
    finally:
        _empty_all_tables(engine)


@pytest.fixture
def session(db: Engine) -> Iterator[Session]:
    """A session on the test database; tables are emptied after the test."""
    with Session(db, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """Settings pointing at the test database and a private data folder (keys, Chroma).

    The API's start-up warm-up of the knowledge base is off: in an empty data folder it would
    build the whole index (minutes) in a worker thread that the test's end then waits for. A test
    of the warm-up turns it on for its own app (``tests/knowledge/test_warm_start.py``).
    """
    monkeypatch.setenv("STEGVIS_KNOWLEDGE_WARMUP", "false")
    monkeypatch.setenv("STEGVIS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STEGVIS_DATABASE_URL", database_url)
    monkeypatch.delenv("STEGVIS_TELEGRAM_TOKEN", raising=False)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On the PostgreSQL pass, run only the tests that touch the database (the rest already ran)."""
    if not os.environ.get("STEGVIS_TEST_DATABASE_URL"):
        return
    keep, drop = [], []
    for item in items:
        uses_db = "database_url" in getattr(item, "fixturenames", ()) or item.get_closest_marker(
            "db"
        )
        (keep if uses_db else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
