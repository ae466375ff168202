"""The importer's fast INSERT stores exactly what SQLAlchemy's own ``insert()`` stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Engine, insert, select
from sqlmodel import Session

from outcomes.bulk import insert_rows
from outcomes.importer import MODELS, ORDER, parse_lines
from outcomes.models import Event
from tests.utils.factories import line, small_program

EXTRA = [
    line("mentor", id="m9", cohort="c1", occupation_field="vård", language="sv"),
    line("pair", id="pr9", mentor="m9", participant="p1", matched_on="2025-01-20"),
    line(
        "meeting",
        pair="pr9",
        held_on="2025-02-03",
        meeting_kind="workshop_interview",
        activities=["cv", "språk – ord"],
    ),
    line(
        "event",
        id="e9",
        participant="p1",
        type="education_started",
        occurred_on="2025-03-01",
        source="participant",
        attributes={"relevant": False, "program_contributed": "unsure", "note": "SFI, kväll"},
    ),
]


def _rows() -> dict[str, list[dict[str, Any]]]:
    parsed, _count, errors = parse_lines([*small_program(), *EXTRA])
    assert errors == []
    return {kind: [p.row for p in parsed[kind].values()] for kind in ORDER}


def _read(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    out = {}
    with engine.connect() as conn:
        for kind in ORDER:
            table = MODELS[kind].__table__  # type: ignore[attr-defined]
            order = [c for c in table.columns if c.name != "id" and not isinstance(c.type, JSON)]
            rows = conn.execute(select(table).order_by(*order)).mappings()
            out[kind] = [
                {k: v for k, v in r.items() if k not in ("id", "recorded_at")}
                if kind == "survey"
                else {k: v for k, v in r.items() if k != "recorded_at"}
                for r in rows
            ]
    return out


def _write(engine: Engine, fast: bool) -> None:
    with Session(engine) as session:
        for kind, rows in _rows().items():
            table = MODELS[kind].__table__  # type: ignore[attr-defined]
            if fast:
                insert_rows(session, table, rows)
            elif rows:
                session.execute(insert(table), rows)
        session.commit()


def _empty(engine: Engine) -> None:
    with engine.begin() as conn:
        for kind in reversed(ORDER):
            conn.execute(MODELS[kind].__table__.delete())  # type: ignore[attr-defined]


def test_fast_insert_stores_the_same_values_as_sqlalchemy(db: Engine) -> None:
    _write(db, fast=False)
    expected = _read(db)
    _empty(db)
    _write(db, fast=True)
    got = _read(db)
    assert got == expected
    assert ["cv", "språk – ord"] in [m["activities"] for m in got["meeting"]]
    assert sum(len(rows) for rows in got.values()) == len(small_program()) + len(EXTRA)


def test_fast_insert_fills_the_column_defaults(db: Engine) -> None:
    before = datetime.now(UTC)
    _write(db, fast=True)
    with Session(db) as s:
        events = s.exec(select(Event)).scalars().all()
    assert events
    for event in events:
        assert event.version == 1
        assert event.recorded_by == "import"
        assert before - timedelta(seconds=1) <= event.recorded_at <= datetime.now(UTC)
