"""Alembic environment: uses the engine handed over by outcomes.db, else the configured one."""

from __future__ import annotations

from alembic import context

from outcomes.tables import metadata

target_metadata = metadata()


def run_migrations_online() -> None:
    """Run migrations on a live connection."""
    from outcomes.db import get_engine

    engine = context.config.attributes.get("engine") or get_engine()
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
