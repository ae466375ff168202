"""CSV exports: every record table with the spec's field names, and the indicators as tidy CSV.

``stegvis export TABLE`` and ``GET /api/v1/exports/{table}.csv`` both call these functions, and
the indicators CSV is a flattening of :func:`outcomes.indicators.compute_indicators` — the one
engine — so the numbers are the same as in the API's and the command line's JSON.

Conventions, chosen for R (``read.csv``) and spreadsheets: a header row; nested objects
flattened with dots (``answers.items.cv_improved``, ``attributes.extent``); booleans ``true`` /
``false``; a missing value is an empty cell; dates ISO 8601; meeting activities joined with
``;``; cohort targets as a JSON object. A free-text cell that a spreadsheet would run as a
formula (it starts with ``=``, ``+``, ``-``, ``@``) gets a leading ``'``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import date, datetime
from enum import Enum
from typing import Any, TextIO

from sqlalchemy import JSON, Boolean, Date, DateTime, Engine, TypeDecorator, select
from sqlmodel import Session, SQLModel

from core.vocab import (
    CONTRIBUTION_KEYS,
    INDICATORS,
    STEP_ITEMS,
    TARGET_PARTICIPANTS,
    TARGET_RESPONSE_RATE,
    ExportTable,
)
from outcomes.filters import RecordFilter, clauses
from outcomes.indicators import as_basis, as_grouping, compute_indicators
from outcomes.models import Cohort, Event, Meeting, Mentor, Pair, Participant, Survey
from outcomes.types import table_of

BATCH = 2000


Table = ExportTable  # the tables that can be exported (core/vocab.py)

MODELS: dict[Table, type[SQLModel]] = {
    Table.cohorts: Cohort,
    Table.participants: Participant,
    Table.mentors: Mentor,
    Table.pairs: Pair,
    Table.surveys: Survey,
    Table.events: Event,
    Table.meetings: Meeting,
}

FREE_TEXT = frozenset(
    {
        "name",
        "region",
        "occupation_field",
        "language",
        "attributes.note",
        "activities",
        "recorded_by",
        "logged_by",
    }
)

# (CSV column, database column) per table; CSV names are the spec's field names
COLUMNS: dict[Table, list[tuple[str, str]]] = {
    Table.cohorts: [(c, c) for c in ("id", "name", "start", "end", "region", "targets")],
    Table.participants: [
        (c, c)
        for c in (
            "id",
            "cohort",
            "gender",
            "birth_year",
            "education_level",
            "arrival_year",
            "migration_category",
            "occupation_field",
            "arm",
            "joined_on",
            "left_on",
            "language",
        )
    ],
    Table.mentors: [(c, c) for c in ("id", "cohort", "occupation_field", "language")],
    Table.pairs: [(c, c) for c in ("id", "mentor", "participant", "matched_on", "ended_on")],
    Table.surveys: [
        *((c, c) for c in ("participant", "wave", "answered_on", "status")),
        *(
            (f"answers.{c}", c)
            for c in (
                "employment",
                "job_relevant",
                "interviews_last_2_months",
                "professional_contacts",
                "job_changed",
            )
        ),
        *((f"answers.items.{k}", f"item_{k}") for k in STEP_ITEMS),
        *((f"answers.program_contributed.{k}", f"contributed_{k}") for k in CONTRIBUTION_KEYS),
        ("answers.satisfaction", "satisfaction"),
    ],
    Table.events: [
        *((c, c) for c in ("id", "participant", "type", "occurred_on", "source", "status")),
        *((f"attributes.{c}", c) for c in ("extent", "relevant", "program_contributed", "note")),
        *((c, c) for c in ("version", "recorded_at", "recorded_by")),
    ],
    Table.meetings: [(c, c) for c in ("id", "pair", "held_on", "kind", "activities", "logged_by")],
}

ORDER: dict[Table, tuple[str, ...]] = {Table.surveys: ("participant", "wave")}


def cell(name: str, value: object) -> str:
    """One CSV cell in the export's conventions."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    elif isinstance(value, dict):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    text = str(value)
    if name in FREE_TEXT and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def header(table: Table) -> list[str]:
    """The CSV header of a table."""
    return [name for name, _ in COLUMNS[table]]


def _converter(name: str, column: Any) -> Callable[[Any], Any] | None:
    """How one column's values become cells; ``None``: as they are (the CSV writer writes
    ``None`` as an empty cell and numbers and plain strings as they are)."""
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl
    if isinstance(kind, Boolean | Date | DateTime | JSON) or name in FREE_TEXT:
        return lambda value: cell(name, value)
    return None


def _rows(session: Session, table: Table, f: RecordFilter) -> Iterator[list[Any]]:
    model = MODELS[table]
    sql_table = table_of(model)
    columns = [sql_table.c[col] for _, col in COLUMNS[table]]
    convert = [_converter(name, c) for (name, _), c in zip(COLUMNS[table], columns, strict=True)]
    special = [(i, fn) for i, fn in enumerate(convert) if fn is not None]
    order = [sql_table.c[c] for c in ORDER.get(table, ("id",))]
    query = (
        select(*columns)
        .where(*clauses(model, f))
        .order_by(*order)
        .execution_options(yield_per=BATCH)
    )
    for row in session.execute(query):
        values = list(row)
        for i, fn in special:
            values[i] = fn(values[i])
        yield values


def write_table_csv(
    session: Session, table: Table | str, out: TextIO, f: RecordFilter | None = None
) -> int:
    """Write one table as CSV to ``out``; returns the number of records written."""
    table = Table(table)
    writer = csv.writer(out)
    writer.writerow(header(table))
    count = 0
    for values in _rows(session, table, f or RecordFilter()):
        writer.writerow(values)
        count += 1
    return count


def stream_table_csv(
    engine: Engine, table: Table | str, f: RecordFilter | None = None
) -> Iterator[str]:
    """The CSV of one table in chunks, read in its own session (for a streamed HTTP answer)."""
    table = Table(table)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header(table))
    with Session(engine) as session:
        for i, values in enumerate(_rows(session, table, f or RecordFilter()), start=1):
            writer.writerow(values)
            if i % BATCH == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue()


# --- indicators -----------------------------------------------------------------------------

INDICATOR_HEADER = [
    "cohort",
    "basis",
    "from",
    "to",
    "by",
    "group",
    "indicator",
    "n",
    "of",
    "share",
    "target",
    "met",
]


def indicator_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The engine's JSON as tidy rows: one per group × indicator (the total has ``by`` = total).

    Besides the indicators, each group has a row ``enrolled`` (n = enrolled) and a row
    ``response_rate`` (n = measured, of = enrolled). Where the cohort has a target for a row,
    ``target`` and ``met`` say how it stands.
    """
    filters = result["filters"]
    common = {
        "cohort": filters.get("cohort"),
        "basis": filters.get("basis"),
        "from": filters.get("from"),
        "to": filters.get("to"),
    }
    blocks: list[tuple[str, Any, dict[str, Any]]] = [("total", None, result["total"])]
    for group in result["groups"]:
        ((by, value),) = group["key"].items()
        blocks.append((by, value, group))
    rows: list[dict[str, Any]] = []
    for by, value, block in blocks:
        targets = block.get("targets") or {}
        entries: list[tuple[str, Any, Any, Any, str]] = [
            ("enrolled", block["enrolled"], None, None, TARGET_PARTICIPANTS),
            (
                "response_rate",
                block["measured"],
                block["enrolled"],
                block["response_rate"],
                TARGET_RESPONSE_RATE,
            ),
            *(
                (
                    name,
                    block["indicators"][name]["n"],
                    block["indicators"][name]["of"],
                    block["indicators"][name]["share"],
                    name,
                )
                for name in INDICATORS
                if name in block["indicators"]
            ),
        ]
        for indicator, n, of, share, target_key in entries:
            target = targets.get(target_key) or {}
            rows.append(
                {
                    **common,
                    "by": by,
                    "group": value,
                    "indicator": indicator,
                    "n": n,
                    "of": of,
                    "share": share,
                    "target": target.get("target"),
                    "met": target.get("met"),
                }
            )
    return rows


def indicators_csv(
    session: Session,
    *,
    cohort: str | None = None,
    by: str | None = None,
    basis: str = "measured",
    window: tuple[date | None, date | None] | None = None,
) -> str:
    """The indicators as tidy CSV, computed by the one engine (``Invalid`` for an unknown
    grouping or basis)."""
    result = compute_indicators(
        session, cohort=cohort, by=as_grouping(by), basis=as_basis(basis), window=window
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(INDICATOR_HEADER)
    for row in indicator_rows(result):
        writer.writerow([cell(k, row[k]) for k in INDICATOR_HEADER])
    return buffer.getvalue()
