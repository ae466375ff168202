"""Keeping the per-participant outcomes (``participant_outcome``) up to date as records change.

    kept.refresh(session, participants={"p-17"})   # recompute these people, in this transaction
    kept.refresh(session, cohorts={"c-2026"})      # everyone in these cohorts
    kept.rebuild(session)                          # everyone (a migration, a repair)

A participant's outcomes depend on their own row (cohort, ``joined_on``, ``left_on``), their
cohort's dates, their confirmed events and their complete surveys. Every write of those through
the ORM (``outcomes/service.py``'s writers, event corrections and voidings, survey answers in the
bot, erasure) is seen by one ``after_flush`` listener (:func:`install`, done by
``outcomes.db.make_engine``): it recomputes the participants that flush touched, in the same
transaction, so a rollback takes the kept rows back with the write. The importer writes with
bulk statements the listener does not see; it calls :func:`refresh` with every participant it
touched, in bulk. Meetings, pairs and mentors do not enter any outcome.

The rows are computed by the indicator engine's own per-participant SQL
(:func:`outcomes.indicators.build_kept_query`), ``DELETE`` + ``INSERT … SELECT`` per chunk of
people: never a second implementation of a definition.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from functools import cache
from itertools import chain
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, event, insert, inspect, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import UOWTransaction

from core.vocab import SurveyStatus, Wave
from outcomes.indicators import COUNT_BITS, build_kept_query
from outcomes.kept_models import COUNT_COLUMNS, KeptOutcome, OutcomeCell, ResponseCell
from outcomes.models import Cohort, Event, Participant, Survey
from outcomes.types import table_of

CHUNK = 5000
"""People recomputed per statement (well under SQLite's limit of bound parameters)."""

_K = table_of(KeptOutcome)
_CELL = table_of(OutcomeCell)
_RESPONSE = table_of(ResponseCell)
_S = table_of(Survey)
_P = table_of(Participant)


def _in_cohorts(session: OrmSession, cohorts: Iterable[str]) -> set[str]:
    wanted = sorted(set(cohorts))
    people: set[str] = set()
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        people.update(session.execute(select(_P.c.id).where(_P.c.cohort.in_(chunk))).scalars())
    return people


def refresh(
    session: OrmSession,
    *,
    participants: Iterable[str] = (),
    cohorts: Iterable[str] = (),
) -> int:
    """Recompute the kept outcomes of these participants and of everyone in these cohorts, in
    the session's transaction, and change the cells by the difference; people who no longer
    exist lose their row. Returns how many people were recomputed."""
    people = sorted(set(participants) | _in_cohorts(session, cohorts))
    connection = session.connection()
    forget_statement, compute = _statements()
    change = _Change()
    for start in range(0, len(people), CHUNK):
        chunk = {"people": people[start : start + CHUNK]}
        change.add(connection.execute(forget_statement, chunk), -1)
        change.add(connection.execute(compute, chunk), +1)
    change.apply(connection)
    return len(people)


def forget(session: OrmSession, participants: Iterable[str]) -> None:
    """Remove these participants' kept rows and take them out of the cells (before the
    participants themselves are deleted)."""
    people = sorted(set(participants))
    connection = session.connection()
    forget_statement, _compute = _statements()
    change = _Change()
    for start in range(0, len(people), CHUNK):
        change.add(
            connection.execute(forget_statement, {"people": people[start : start + CHUNK]}), -1
        )
    change.apply(connection)


_MEASURED = COUNT_BITS["measured"]
if tuple(COUNT_BITS) != COUNT_COLUMNS:  # the cells have a column for every count, in order
    raise RuntimeError(f"outcome_cell columns {COUNT_COLUMNS} differ from {tuple(COUNT_BITS)}")
_WAVES = (Wave.baseline.value, Wave.result.value)


class _Change:
    """The difference a refresh makes: people per (cohort, gender, bits) and complete surveys
    per (cohort, wave, day), + for the rows written, − for the rows removed."""

    def __init__(self) -> None:
        self.patterns: Counter[tuple[str, str, int]] = Counter()
        self.responses: Counter[tuple[str, str, date]] = Counter()

    def add(self, rows: Any, sign: int) -> None:
        for cohort, gender, bits, baseline_on, result_on in rows:
            self.patterns[(str(cohort), str(gender), int(bits))] += sign
            for wave, day in zip(_WAVES, (baseline_on, result_on), strict=True):
                if day is not None:
                    self.responses[(str(cohort), wave, day)] += sign

    def apply(self, connection: Connection) -> None:
        """Add the difference to ``outcome_cell`` and ``response_cell``."""
        cells: dict[tuple[str, str, str], list[int]] = {}
        width = len(COUNT_COLUMNS)
        bits_of = [COUNT_BITS[name] for name in COUNT_COLUMNS]
        for (cohort, gender, bits), n in self.patterns.items():
            if n == 0:
                continue
            for basis in ("enrolled", "measured"):
                row = cells.setdefault((cohort, gender, basis), [0] * (width + 1))
                row[0] += n  # people: everyone enrolled, in both rows
                if basis == "enrolled" or bits & _MEASURED:  # measured basis: the measured only
                    for k, b in enumerate(bits_of, start=1):
                        if bits & b:
                            row[k] += n
        rows = [
            {
                "cohort": c,
                "gender": g,
                "basis": b,
                "people": v[0],
                **dict(zip(COUNT_COLUMNS, v[1:], strict=True)),
            }
            for (c, g, b), v in sorted(cells.items())  # one order of row locks for every writer
            if any(v)
        ]
        _add_to(connection, _CELL, ["cohort", "gender", "basis"], ["people", *COUNT_COLUMNS], rows)
        responses = [
            {"cohort": c, "wave": w, "answered_on": d, "people": n}
            for (c, w, d), n in sorted(self.responses.items())
            if n != 0
        ]
        _add_to(connection, _RESPONSE, ["cohort", "wave", "answered_on"], ["people"], responses)


def _add_to(
    connection: Connection, table: Any, keys: list[str], summed: list[str], rows: list[Any]
) -> None:
    """``INSERT … ON CONFLICT DO UPDATE SET c = c + excluded.c`` (SQLite and PostgreSQL)."""
    if not rows:
        return
    upsert = (pg_insert if connection.dialect.name == "postgresql" else sqlite_insert)(table)
    statement = upsert.on_conflict_do_update(
        index_elements=keys,
        set_={name: table.c[name] + upsert.excluded[name] for name in summed},
    )
    connection.execute(statement, rows)


@cache
def _statements() -> tuple[Any, Any]:
    """The DELETE and the INSERT … SELECT of some people (``:people``), each returning the
    rows' cohort, gender, bits and survey days; built once: building the engine's statement
    costs more than running it for a few people."""
    people: Any = bindparam("people", expanding=True)
    returned = (_K.c.cohort, _K.c.gender, _K.c.bits, _K.c.baseline_on, _K.c.result_on)
    forget_statement = delete(_K).where(_K.c.participant.in_(people)).returning(*returned)
    q = build_kept_query(people).subquery("kept")
    complete = SurveyStatus.complete.value
    b, r = _S.alias("kb"), _S.alias("kr")
    rows = (
        select(
            q.c.participant, q.c.bits, _P.c.cohort, _P.c.gender, b.c.answered_on, r.c.answered_on
        )
        .select_from(q.join(_P, _P.c.id == q.c.participant))
        .outerjoin(
            b,
            and_(
                b.c.participant == q.c.participant,
                b.c.wave == Wave.baseline.value,
                b.c.status == complete,
            ),
        )
        .outerjoin(
            r,
            and_(
                r.c.participant == q.c.participant,
                r.c.wave == Wave.result.value,
                r.c.status == complete,
            ),
        )
    )
    names = ["participant", "bits", "cohort", "gender", "baseline_on", "result_on"]
    compute = insert(_K).from_select(names, rows).returning(*returned)
    return forget_statement, compute


def rebuild(session: OrmSession) -> int:
    """Recompute everyone's kept outcomes and the cells from the records; returns how many."""
    connection = session.connection()
    connection.execute(delete(_CELL))
    connection.execute(delete(_RESPONSE))
    connection.execute(delete(_K))
    everyone = session.execute(select(_P.c.id)).scalars().all()
    return refresh(session, participants=everyone)


def _old(obj: Any, attribute: str) -> list[Any]:
    """The earlier values of an attribute changed in this flush (a moved event's old owner)."""
    return [v for v in inspect(obj).attrs[attribute].history.deleted if v is not None]


def touched(session: OrmSession) -> tuple[set[str], set[str]]:
    """The participants and cohorts whose outcomes the pending flush may change."""
    people: set[str] = set()
    cohorts: set[str] = set()
    dirty = {id(obj) for obj in session.dirty}
    for obj in chain(session.new, session.dirty, session.deleted):
        if id(obj) in dirty and not session.is_modified(obj, include_collections=False):
            continue
        if isinstance(obj, Event | Survey):
            people.add(obj.participant)
            people.update(_old(obj, "participant"))
        elif isinstance(obj, Participant):
            people.add(obj.id)
        elif isinstance(obj, Cohort) and id(obj) in dirty:
            cohorts.add(obj.id)
    return people, cohorts


def _before_flush(session: OrmSession, _context: UOWTransaction, _instances: Any) -> None:
    """Participants about to be deleted leave the cells first (their rows go with them)."""
    gone = [obj.id for obj in session.deleted if isinstance(obj, Participant)]
    if gone:
        forget(session, gone)


def _after_flush(session: OrmSession, _context: UOWTransaction) -> None:
    """After the rows are written, still in their transaction (``new``, ``dirty``, ``deleted``
    and the attributes' history still show what this flush wrote)."""
    people, cohorts = touched(session)
    if people or cohorts:
        refresh(session, participants=people, cohorts=cohorts)


def install() -> None:
    """Keep the outcomes on every ORM flush of every session (idempotent)."""
    if not event.contains(OrmSession, "after_flush", _after_flush):
        event.listen(OrmSession, "before_flush", _before_flush)
        event.listen(OrmSession, "after_flush", _after_flush)
