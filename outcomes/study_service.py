"""Writers of study records for the API (the importer writes them too, by the same rules).

Every function takes the caller's ``Session`` and leaves the commit to the caller; changes go to
the audit log like every other record's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlmodel import Session, col

from outcomes.audit import audit
from outcomes.errors import Conflict, Invalid, NotFound
from outcomes.models import Cohort
from outcomes.study_models import RegisterMonth, RegisterPerson, Study, StudyCreate, StudyUpdate


def _check_cohorts(session: Session, cohorts: list[str]) -> None:
    found = set(
        session.execute(select(col(Cohort.id)).where(col(Cohort.id).in_(cohorts))).scalars()
    )
    missing = [c for c in cohorts if c not in found]
    if missing:
        raise Invalid(f"cohort {', '.join(repr(c) for c in missing)} does not exist")


def _row(study: Study) -> dict[str, Any]:
    return study.model_dump(mode="json")


def get_study(session: Session, study_id: str) -> Study:
    """The study with that id, or ``NotFound``."""
    row = session.get(Study, study_id)
    if row is None:
        raise NotFound(f"study {study_id!r} does not exist")
    return row


def list_studies(session: Session, *, limit: int, offset: int) -> tuple[list[Study], int]:
    """One page of studies by id, and how many there are."""
    total = session.execute(select(func.count()).select_from(Study)).scalar_one()
    rows = session.execute(
        select(Study).order_by(col(Study.id)).limit(limit).offset(offset)
    ).scalars()
    return list(rows), int(total)


def create_study(session: Session, data: StudyCreate, *, actor: str) -> Study:
    """A new study (``Conflict`` when the id exists, ``Invalid`` for an unknown cohort)."""
    if session.get(Study, data.id) is not None:
        raise Conflict(f"study {data.id!r} exists already")
    _check_cohorts(session, data.cohorts)
    row = Study(**data.model_dump())
    session.add(row)
    audit(
        session,
        actor=actor,
        action="create",
        table_name="study",
        record_id=row.id,
        before=None,
        after=_row(row),
    )
    session.flush()
    return row


def update_study(session: Session, study_id: str, change: StudyUpdate, *, actor: str) -> Study:
    """Change the fields given; the earlier version goes to the audit log."""
    row = get_study(session, study_id)
    values = change.model_dump(exclude_unset=True)
    for key, value in values.items():
        if value is None:
            raise Invalid(f"'{key}' cannot be empty; leave it out to keep it")
    if "cohorts" in values:
        _check_cohorts(session, values["cohorts"])
    before = _row(row)
    for key, value in values.items():
        setattr(row, key, value)
    after = _row(row)
    if after != before:
        session.add(row)
        audit(
            session,
            actor=actor,
            action="update",
            table_name="study",
            record_id=study_id,
            before=before,
            after=after,
        )
        session.flush()
    return row


def delete_study(session: Session, study_id: str, *, actor: str) -> dict[str, int]:
    """Delete a study and its register rows (persons and months); what was deleted."""
    row = get_study(session, study_id)
    persons = select(col(RegisterPerson.id)).where(col(RegisterPerson.study) == study_id)
    months = session.execute(delete(RegisterMonth).where(col(RegisterMonth.person).in_(persons)))
    people = session.execute(delete(RegisterPerson).where(col(RegisterPerson.study) == study_id))
    report = {
        "register_persons": int(getattr(people, "rowcount", 0) or 0),
        "register_months": int(getattr(months, "rowcount", 0) or 0),
    }
    audit(
        session,
        actor=actor,
        action="delete",
        table_name="study",
        record_id=study_id,
        before=_row(row),
        after=report,
    )
    session.delete(row)
    session.flush()
    return report
