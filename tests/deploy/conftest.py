"""The deployment tests: real ``stegvis serve`` processes (and nginx) on PostgreSQL only —
several instances on one SQLite file is not a deployment (``stegvis serve`` refuses it)."""

from __future__ import annotations

import pytest


@pytest.fixture
def pg_url(database_url: str) -> str:
    """The test database's URL; the test is skipped on SQLite."""
    if not database_url.startswith("postgresql"):
        pytest.skip("instances behind a proxy run on PostgreSQL (STEGVIS_TEST_DATABASE_URL)")
    return database_url
