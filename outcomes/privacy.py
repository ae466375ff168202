"""Export and erasure of one person's data (a participant or a mentor, by pseudonymous id).

    document = export_person(session, settings, "p-17")   # a JSON-ready dict: everything stored
    report = erase_person(session, person="p-17", actor="bot:participant:p-17")

Erasure keeps the rules of spec/outcomes.md and the person's rights together: the person's own
records and background variables are gone; their events survive only as anonymous counts per
cohort and type (``ErasedEventCount``); their surveys are deleted, and so is their register data
of any study (``register_person`` rows naming them, with their ``register_month`` rows); their
Telegram binding goes (chat id and user key); their pairs end; their unused invites are revoked; the audit entries that
held copies of their records are replaced by one ``erase`` entry; and the ``Participant`` /
``Mentor`` row stays as a tombstone with ``erased_on`` for staff.

Contract for other tables: any table of ``outcomes/tables.py`` with a ``person`` column
(conversation state, skipped survey questions, schedules…) is included in the export and emptied
of that person's rows on erasure — nothing else to register;
rows of other tables that point at those rows by a foreign key (deliveries of a scheduled item…)
go with them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Table, delete, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from core.settings import Settings
from core.vocab import EventStatus, Gender
from outcomes.audit import audit
from outcomes.clock import today, utcnow
from outcomes.contacts import (
    ErasedEventCount,
    Invite,
    PersonRole,
    decrypt_chat_id,
    find_by_person,
    unbind,
)
from outcomes.errors import NotFound
from outcomes.models import AuditLog, Event, Meeting, Mentor, Pair, Participant, Survey
from outcomes.service import event_public, meeting_public, survey_public
from outcomes.study_models import RegisterMonth, RegisterPerson
from outcomes.tables import metadata

PARTICIPANT_CLEARED = (
    "birth_year",
    "education_level",
    "arrival_year",
    "migration_category",
    "occupation_field",
    "language",
)
MENTOR_CLEARED = ("occupation_field", "language")
OWN_TABLES = frozenset({"contact", "register_month"})
"""Handled explicitly, not by the ``person`` column rule (``register_month.person`` is a register
person's id, not a participant's: a participant's register rows are found through
``register_person.participant``)."""


@dataclass
class ErasureReport:
    """What an erasure did, for the person's confirmation and the staff log."""

    person: str
    role: str
    events_counted: int = 0
    surveys_deleted: int = 0
    register_rows_deleted: int = 0
    pairs_ended: list[str] = field(default_factory=list)
    contacts_removed: int = 0
    invites_revoked: int = 0
    other_rows_deleted: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _fields(row: SQLModel) -> dict[str, Any]:
    return {name: _jsonable(getattr(row, name)) for name in type(row).model_fields}


def _role_of(session: Session, person: str) -> tuple[PersonRole, Participant | Mentor]:
    participant = session.get(Participant, person)
    if participant is not None:
        return PersonRole.participant, participant
    mentor = session.get(Mentor, person)
    if mentor is not None:
        return PersonRole.mentor, mentor
    raise NotFound(f"person {person!r} does not exist")


def _pairs_of(session: Session, person: str) -> list[Pair]:
    return list(
        session.exec(
            select(Pair)
            .where(or_(col(Pair.mentor) == person, col(Pair.participant) == person))
            .order_by(col(Pair.id))
        ).all()
    )


def _person_tables() -> list[Table]:
    return [
        t for t in metadata().sorted_tables if "person" in t.columns and t.name not in OWN_TABLES
    ]


def _children(table: Table) -> list[tuple[Table, Any, Any]]:
    """(child table, its foreign-key column, the referenced column) for tables pointing here."""
    return [
        (child, fk.parent, fk.column)
        for child in metadata().sorted_tables
        for fk in child.foreign_keys
        if fk.column.table is table and child is not table
    ]


def _rows(session: Session, table: Table, where: Any, out: dict[str, list[Any]]) -> None:
    rows = session.execute(sa_select(table).where(where)).mappings().all()
    if not rows:
        return
    out.setdefault(table.name, []).extend(_jsonable(dict(r)) for r in rows)
    for child, column, referenced in _children(table):
        _rows(session, child, column.in_(sa_select(referenced).where(where)), out)


def _delete(session: Session, table: Table, where: Any) -> int:
    """Delete rows and, first, the rows of other tables that point at them."""
    for child, column, referenced in _children(table):
        _delete(session, child, column.in_(sa_select(referenced).where(where)))
    result = session.execute(delete(table).where(where))
    return int(getattr(result, "rowcount", 0) or 0)


def export_person(session: Session, settings: Settings, person: str) -> dict[str, Any]:
    """Everything stored about one person, as a JSON-ready document."""
    role, record = _role_of(session, person)
    pairs = _pairs_of(session, person)
    pair_ids = [p.id for p in pairs]
    contact = find_by_person(session, person)
    doc: dict[str, Any] = {
        "about": "Everything Stegvis stores about you. You are named by a code, never by name.",
        "exported_at": utcnow().isoformat(),
        "person": {"id": person, "role": role.value, **_fields(record)},
        "telegram": None,
        "pairs": [_fields(p) for p in pairs],
        "events": [],
        "surveys": [],
        "meetings": [],
        "invites": [],
        "register": [],
        "other": {},
    }
    if contact is not None:
        doc["telegram"] = {
            "chat_id": decrypt_chat_id(settings, contact.chat_enc),
            "stored_as": "encrypted chat id; your user id only as a keyed hash",
            "language": contact.language,
            "consent": contact.consent,
            "consented_at": contact.consented_at.isoformat(),
            "pair": contact.pair,
        }
    if role == PersonRole.participant:
        events = session.exec(
            select(Event)
            .where(Event.participant == person)
            .order_by(col(Event.occurred_on), col(Event.id))
        ).all()
        surveys = session.exec(select(Survey).where(Survey.participant == person)).all()
        doc["surveys"] = [survey_public(s).model_dump(mode="json") for s in surveys]
        doc["register"] = _register_of(session, person)
    else:
        actor = f"bot:mentor:{person}"
        events = session.exec(
            select(Event)
            .where(Event.recorded_by == actor)
            .order_by(col(Event.occurred_on), col(Event.id))
        ).all()
    doc["events"] = [event_public(e).model_dump(mode="json") for e in events]
    if pair_ids:
        meetings = session.exec(
            select(Meeting).where(col(Meeting.pair).in_(pair_ids)).order_by(col(Meeting.held_on))
        ).all()
        doc["meetings"] = [meeting_public(m).model_dump(mode="json") for m in meetings]
        invites = session.exec(
            select(Invite).where(col(Invite.pair).in_(pair_ids), Invite.role == role)
        ).all()
        doc["invites"] = [
            {
                "pair": i.pair,
                "role": str(i.role),
                "created_at": i.created_at.isoformat(),
                "used_at": _jsonable(i.used_at),
                "declined_at": _jsonable(i.declined_at),
            }
            for i in invites
        ]
    for table in _person_tables():
        _rows(session, table, table.c.person == person, doc["other"])
    return doc


def _register_of(session: Session, participant: str) -> list[dict[str, Any]]:
    """The participant's register data of any study: each register person with its months."""
    out = []
    for rp in session.exec(
        select(RegisterPerson)
        .where(RegisterPerson.participant == participant)
        .order_by(col(RegisterPerson.id))
    ).all():
        months = session.exec(
            select(RegisterMonth)
            .where(RegisterMonth.person == rp.id)
            .order_by(col(RegisterMonth.month))
        ).all()
        out.append({**_fields(rp), "months": [_fields(m) for m in months]})
    return out


def _erase_register(session: Session, participant: str) -> int:
    """Delete the participant's register persons and their months; the number of rows deleted."""
    ids = sa_select(col(RegisterPerson.id)).where(col(RegisterPerson.participant) == participant)
    months = session.execute(delete(RegisterMonth).where(col(RegisterMonth.person).in_(ids)))
    persons = session.execute(
        delete(RegisterPerson).where(col(RegisterPerson.participant) == participant)
    )
    return sum(int(getattr(r, "rowcount", 0) or 0) for r in (months, persons))


def _count_erased_events(session: Session, cohort: str, events: list[Event]) -> None:
    counts = Counter(str(e.type) for e in events if e.status == EventStatus.confirmed)
    for event_type, n in counts.items():
        row = session.exec(
            select(ErasedEventCount).where(
                ErasedEventCount.cohort == cohort, ErasedEventCount.type == event_type
            )
        ).first()
        if row is None:
            row = ErasedEventCount(cohort=cohort, type=event_type, count=0)
        row.count += n
        session.add(row)


def _drop_audit_copies(session: Session, table_name: str, record_ids: list[str]) -> None:
    for start in range(0, len(record_ids), 500):
        chunk = record_ids[start : start + 500]
        session.execute(
            delete(AuditLog).where(
                col(AuditLog.table_name) == table_name, col(AuditLog.record_id).in_(chunk)
            )
        )


def erase_person(session: Session, *, person: str, actor: str) -> ErasureReport:
    """Erase one person (see the module docstring); the caller commits."""
    role, record = _role_of(session, person)
    report = ErasureReport(person=person, role=role.value)
    if record.erased_on is not None:
        report.contacts_removed = unbind(session, person)
        return report
    day = today()
    if isinstance(record, Participant):
        events = list(session.exec(select(Event).where(Event.participant == person)).all())
        _count_erased_events(session, record.cohort, events)
        report.events_counted = sum(1 for e in events if e.status == EventStatus.confirmed)
        _drop_audit_copies(session, "event", [e.id for e in events])
        for e in events:
            session.delete(e)
        surveys = list(session.exec(select(Survey).where(Survey.participant == person)).all())
        _drop_audit_copies(session, "survey_response", [str(s.id) for s in surveys])
        for s in surveys:
            session.delete(s)
        report.surveys_deleted = len(surveys)
        report.register_rows_deleted = _erase_register(session, person)
        for name in PARTICIPANT_CLEARED:
            setattr(record, name, None)
        record.gender = Gender.unspecified
        table_name = "participant"
    else:
        for name in MENTOR_CLEARED:
            setattr(record, name, None)
        table_name = "mentor"
    record.erased_on = day
    session.add(record)
    _drop_audit_copies(session, table_name, [person])
    for pair in _pairs_of(session, person):
        if pair.ended_on is None or pair.ended_on > day:
            pair.ended_on = max(day, pair.matched_on)
            session.add(pair)
            report.pairs_ended.append(pair.id)
        for invite in session.exec(
            select(Invite).where(
                Invite.pair == pair.id,
                Invite.role == role,
                col(Invite.used_at).is_(None),
                col(Invite.revoked_at).is_(None),
                col(Invite.declined_at).is_(None),
            )
        ).all():
            invite.revoked_at = utcnow()
            session.add(invite)
            report.invites_revoked += 1
    report.contacts_removed = unbind(session, person)
    for table in reversed(_person_tables()):
        report.other_rows_deleted += _delete(session, table, table.c.person == person)
    audit(
        session,
        actor=actor,
        action="erase",
        table_name=table_name,
        record_id=person,
        before=None,
        after={
            "erased_on": day,
            "events_counted": report.events_counted,
            "pairs_ended": report.pairs_ended,
        },
    )
    session.flush()
    return report


def erased_counts(session: Session, cohort: str | None = None) -> dict[str, int]:
    """The anonymous event counts erasure left behind (per type; one cohort or all)."""
    query = select(ErasedEventCount)
    if cohort is not None:
        query = query.where(ErasedEventCount.cohort == cohort)
    totals: Counter[str] = Counter()
    for row in session.exec(query).all():
        totals[row.type] += row.count
    return dict(totals)
