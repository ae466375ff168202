"""The database for a command: the configured engine and one transaction, errors as plain text.

Imported by the commands that use the database, as they start (it loads SQLAlchemy and the
models, too slow for ``--help``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlmodel import Session

from core.settings import Settings
from outcomes.db import ready_engine
from outcomes.errors import DomainError, NotReady
from stegvis.commands.common import fail


def engine(settings: Settings | None = None) -> Engine:
    """The configured database; the embedded default (SQLite under data_dir) migrates itself,
    a configured one must be reachable and migrated (else a plain error)."""
    try:
        return ready_engine(settings)
    except NotReady as exc:
        fail(str(exc))


@contextmanager
def transaction(settings: Settings | None = None) -> Iterator[Session]:
    """One session that commits on success; a rule the input breaks becomes a plain error."""
    with Session(engine(settings), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except DomainError as exc:
            session.rollback()
            fail(str(exc))
        except BaseException:
            session.rollback()
            raise
