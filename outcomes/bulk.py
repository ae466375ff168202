"""Fast multi-row INSERT for the importer: the rows go to the driver's ``executemany`` as tuples.

``session.execute(insert(table), rows)`` spends ~10 µs a row in SQLAlchemy (parameter dicts, a
type processor call per value, compiled-parameter bookkeeping). Here the statement is rendered
once, each column's bind processor is looked up once (the same processors SQLAlchemy would
apply: dates on SQLite, JSON, UTC timestamps), column defaults are filled in as SQLAlchemy would
(``version = 1``, ``recorded_at = now``), and the tuples go straight to the DB-API cursor inside
the session's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlmodel import Session

BATCH = 10_000
"""Rows per ``executemany`` call (bounds the memory of one batch of tuples)."""

ANALYZE_AFTER = 10_000
"""PostgreSQL: after inserting this many rows, refresh the table's planner statistics.

A table that was small when last analyzed looks small to the planner until autovacuum gets to
it (a minute or more): the next lookup of 500 ids then scans every row (2 s instead of 5 ms)."""


def _defaults(table: Table, given: Sequence[str]) -> dict[str, Any]:
    """Values for the columns not given that have a Python-side default (evaluated once)."""
    out: dict[str, Any] = {}
    for column in table.columns:
        if column.name in given or column.default is None:
            continue
        default: Any = column.default
        if default.is_sequence or default.is_clause_element:
            continue  # left to the database
        out[column.name] = default.arg(None) if default.is_callable else default.arg
    return out


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT ``rows`` (dicts with the same keys) into ``table`` in the session's transaction."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    given = list(rows[0])
    defaults = _defaults(table, given)
    names = given + list(defaults)
    quote = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle == "qmark" else "%s"  # SQLite / psycopg
    # names come from our own table metadata (quoted), values travel as parameters
    columns = ", ".join(quote(n) for n in names)
    marks = ", ".join([mark] * len(names))
    sql = f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({marks})"  # noqa: S608
    processors: list[Callable[[Any], Any] | None] = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    ]
    fixed = [defaults[name] for name in defaults]
    active = [(i, p) for i, p in enumerate(processors) if p is not None]
    for start in range(0, len(rows), BATCH):
        batch: list[tuple[Any, ...]] = []
        for row in rows[start : start + BATCH]:
            values = [row[name] for name in given]
            values.extend(fixed)
            for i, process in active:
                values[i] = process(values[i])
            batch.append(tuple(values))
        connection.exec_driver_sql(sql, batch)
    if dialect.name == "postgresql" and len(rows) >= ANALYZE_AFTER:
        connection.exec_driver_sql(f"ANALYZE {quote(table.name)}")
