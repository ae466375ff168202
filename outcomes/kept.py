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

from collections.abc import Iterable
from functools import cache
from itertools import chain
from typing import Any

from sqlalchemy import bindparam, delete, event, func, insert, inspect, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import UOWTransaction

from outcomes.indicators import build_kept_query
from outcomes.kept_models import KeptOutcome
from outcomes.models import Cohort, Event, Participant, Survey
from outcomes.types import table_of

CHUNK = 5000
"""People recomputed per statement (well under SQLite's limit of bound parameters)."""

_K = table_of(KeptOutcome)
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
    the session's transaction; people who no longer exist lose their row. Returns how many."""
    people = set(participants) | _in_cohorts(session, cohorts)
    ordered = sorted(people)
    connection = session.connection()
    forget, compute = _statements()
    for start in range(0, len(ordered), CHUNK):
        chunk = {"people": ordered[start : start + CHUNK]}
        connection.execute(forget, chunk)
        connection.execute(compute, chunk)
    return len(ordered)


@cache
def _statements() -> tuple[Any, Any]:
    """The DELETE and the INSERT … SELECT of some people (``:people``), built once: building
    the engine's statement costs more than running it for a few people."""
    people: Any = bindparam("people", expanding=True)
    forget = delete(_K).where(_K.c.participant.in_(people))
    compute = insert(_K).from_select(["participant", "bits"], build_kept_query(people))
    return forget, compute


def rebuild(session: OrmSession) -> int:
    """Recompute everyone's kept outcomes from the records (one statement); returns how many."""
    connection = session.connection()
    connection.execute(delete(_K))
    connection.execute(insert(_K).from_select(["participant", "bits"], build_kept_query()))
    return int(session.execute(select(func.count()).select_from(_K)).scalar_one())


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


def _after_flush(session: OrmSession, _context: UOWTransaction) -> None:
    """After the rows are written, still in their transaction (``new``, ``dirty``, ``deleted``
    and the attributes' history still show what this flush wrote)."""
    people, cohorts = touched(session)
    if people or cohorts:
        refresh(session, participants=people, cohorts=cohorts)


def install() -> None:
    """Keep the outcomes on every ORM flush of every session (idempotent)."""
    if not event.contains(OrmSession, "after_flush", _after_flush):
        event.listen(OrmSession, "after_flush", _after_flush)
