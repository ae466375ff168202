"""The only writers of outcome records. The API, the importer's callers and the bot call these.

Every function takes the caller's ``Session`` and leaves the commit to the caller, so that a bot
update's dedupe record and the data it produced commit together. Corrections and voidings keep
the earlier version in the audit log.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, func
from sqlalchemy.orm import Mapped
from sqlmodel import Session, SQLModel, select

from core.vocab import EventStatus, SurveyStatus, Wave
from outcomes.audit import audit
from outcomes.errors import Conflict, Invalid, NotFound
from outcomes.models import Cohort, Event, Meeting, Mentor, Pair, Participant, Survey
from outcomes.schemas import (
    CohortCreate,
    EventAttributes,
    EventCreate,
    EventPublic,
    EventUpdate,
    MeetingCreate,
    MeetingPublic,
    MentorCreate,
    PairCreate,
    ParticipantCreate,
    SurveyAnswers,
    SurveyCreate,
    SurveyPublic,
    SurveyUpdate,
)
from outcomes.types import table_of

M = TypeVar("M", bound=SQLModel)

REFERENCES: dict[type[SQLModel], dict[str, type[SQLModel]]] = {
    Participant: {"cohort": Cohort},
    Mentor: {"cohort": Cohort},
    Pair: {"mentor": Mentor, "participant": Participant},
    Survey: {"participant": Participant},
    Event: {"participant": Participant},
    Meeting: {"pair": Pair},
}


def new_id(prefix: str) -> str:
    """A fresh random identifier such as ``ev-3f9a0c1d2b4e5f60``."""
    return f"{prefix}-{secrets.token_hex(8)}"


def _row_dict(row: SQLModel) -> dict[str, Any]:
    return row.model_dump(mode="json", warnings=False)  # enum columns are read back as str


def get(session: Session, model: type[M], record_id: str | int) -> M:
    """The record with that id, or ``NotFound``."""
    row = session.get(model, record_id)
    if row is None:
        raise NotFound(f"{model.__name__.lower()} {record_id!r} does not exist")
    return row


def _check_references(session: Session, model: type[SQLModel], values: dict[str, Any]) -> None:
    for fld, target in REFERENCES.get(model, {}).items():
        if fld in values and values[fld] is not None and session.get(target, values[fld]) is None:
            raise Invalid(f"{fld} {values[fld]!r} does not exist")


def _check_participant_window(session: Session, p: Participant) -> None:
    cohort = get(session, Cohort, p.cohort)
    start, end = p.joined_on or cohort.start, p.left_on or cohort.end
    if end < start:
        raise Invalid(f"the program window ends ({end}) before it starts ({start})")


def create_record(session: Session, model: type[M], data: SQLModel, *, actor: str) -> M:
    """Create a cohort, participant, mentor or pair from its ``XCreate``."""
    values = data.model_dump()
    if session.get(model, values["id"]) is not None:
        raise Conflict(f"{model.__name__.lower()} {values['id']!r} exists already")
    _check_references(session, model, values)
    row = model(**values)
    if isinstance(row, Participant):
        _check_participant_window(session, row)
    session.add(row)
    audit(
        session,
        actor=actor,
        action="create",
        table_name=model.__name__.lower(),
        record_id=str(values["id"]),
        before=None,
        after=_row_dict(row),
    )
    session.flush()
    return row


def check_required(model: type[SQLModel], changes: dict[str, Any]) -> None:
    """An update may leave a field out, but may not empty a field the record needs."""
    columns = table_of(model).c
    for key, value in changes.items():
        if value is None and (key not in columns or not columns[key].nullable):
            raise Invalid(f"'{key}' cannot be empty; leave it out to keep it")


def update_record(
    session: Session, model: type[M], record_id: str, data: BaseModel, *, actor: str
) -> M:
    """Apply an ``XUpdate`` (only the fields given); the earlier version goes to the audit log."""
    row = get(session, model, record_id)
    changes = data.model_dump(exclude_unset=True)
    check_required(model, changes)
    _check_references(session, model, changes)
    before = _row_dict(row)
    for key, value in changes.items():
        setattr(row, key, value)
    start = getattr(row, "start", None) or getattr(row, "matched_on", None)
    end = getattr(row, "end", None) or getattr(row, "ended_on", None)
    if start and end and end < start:
        session.rollback()
        raise Invalid(f"the window ends ({end}) before it starts ({start})")
    if isinstance(row, Participant):
        _check_participant_window(session, row)
    after = _row_dict(row)
    if after != before:
        session.add(row)
        audit(
            session,
            actor=actor,
            action="update",
            table_name=model.__name__.lower(),
            record_id=str(record_id),
            before=before,
            after=after,
        )
        session.flush()
    return row


CREATE_MODELS: dict[type[SQLModel], type[SQLModel]] = {
    CohortCreate: Cohort,
    ParticipantCreate: Participant,
    MentorCreate: Mentor,
    PairCreate: Pair,
}


# --- events ---------------------------------------------------------------------------------


def event_public(row: Event) -> EventPublic:
    """The API's view of an event: typed attribute columns back into ``attributes``."""
    attrs = {k: getattr(row, k) for k in ("extent", "relevant", "program_contributed", "note")}
    return EventPublic(
        id=row.id,
        participant=row.participant,
        type=row.type,
        occurred_on=row.occurred_on,
        source=row.source,
        status=row.status,
        attributes={k: v for k, v in attrs.items() if v is not None},
        version=row.version,
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
    )


def _apply_attributes(row: Event, attributes: EventAttributes | None) -> None:
    values = attributes.model_dump(mode="json") if attributes else {}
    for key in ("extent", "relevant", "program_contributed", "note"):
        setattr(row, key, values.get(key))


def record_event(session: Session, *, event: EventCreate, actor: str) -> Event:
    """Store one confirmed step-to-work event."""
    if event.id is not None and session.get(Event, event.id) is not None:
        raise Conflict(f"event {event.id!r} exists already; correct it instead")
    participant = get(session, Participant, event.participant)
    if participant.erased_on is not None:
        raise Invalid(f"participant {participant.id!r} has been erased")
    row = Event(
        id=event.id or new_id("ev"),
        participant=event.participant,
        type=event.type,
        occurred_on=event.occurred_on,
        source=event.source,
        status=event.status,
        recorded_by=actor,
    )
    _apply_attributes(row, event.attributes)
    session.add(row)
    audit(
        session,
        actor=actor,
        action="create",
        table_name="event",
        record_id=row.id,
        before=None,
        after=_row_dict(row),
    )
    session.flush()
    return row


def correct_event(session: Session, *, event_id: str, change: EventUpdate, actor: str) -> Event:
    """Correct an event; the version before the correction stays in the audit log."""
    row = get(session, Event, event_id)
    before = _row_dict(row)
    values = change.model_dump(exclude_unset=True)
    check_required(Event, {k: v for k, v in values.items() if k != "attributes"})
    for key in ("type", "occurred_on", "status"):
        if key in values:
            setattr(row, key, values[key])
    if "attributes" in values:
        _apply_attributes(row, change.attributes)
    after = _row_dict(row)
    if {k: v for k, v in after.items() if k != "version"} == {
        k: v for k, v in before.items() if k != "version"
    }:
        return row
    row.version += 1
    after["version"] = row.version
    action = "void" if values.get("status") == EventStatus.voided else "correct"
    audit(
        session,
        actor=actor,
        action=action,
        table_name="event",
        record_id=event_id,
        before=before,
        after=after,
    )
    session.add(row)
    session.flush()
    return row


def void_event(session: Session, *, event_id: str, actor: str) -> Event:
    """Void an event: it no longer counts, and its history is kept."""
    return correct_event(
        session, event_id=event_id, change=EventUpdate(status=EventStatus.voided), actor=actor
    )


# --- meetings -------------------------------------------------------------------------------


def meeting_public(row: Meeting) -> MeetingPublic:
    return MeetingPublic(
        id=row.id,
        pair=row.pair,
        held_on=row.held_on,
        kind=row.kind,
        activities=list(row.activities),
        logged_by=row.logged_by,
    )


def log_meeting(
    session: Session, *, meeting: MeetingCreate, logged_by: str, actor: str
) -> tuple[Meeting, bool]:
    """Store a meeting; the other side logging the same pair, day and kind merges into it.

    Returns the meeting and whether it was merged into an existing one.
    """
    get(session, Pair, meeting.pair)
    existing = session.exec(
        select(Meeting).where(
            Meeting.pair == meeting.pair,
            Meeting.held_on == meeting.held_on,
            Meeting.kind == meeting.kind,
        )
    ).first()
    if existing is not None:
        merged = list(dict.fromkeys([*existing.activities, *meeting.activities]))
        if merged != list(existing.activities):
            before = _row_dict(existing)
            existing.activities = merged
            audit(
                session,
                actor=actor,
                action="merge",
                table_name="meeting",
                record_id=existing.id,
                before=before,
                after=_row_dict(existing),
            )
            session.add(existing)
            session.flush()
        return existing, True
    row = Meeting(
        id=meeting.id or new_id("mt"),
        pair=meeting.pair,
        held_on=meeting.held_on,
        kind=meeting.kind,
        activities=list(meeting.activities),
        logged_by=logged_by,
    )
    session.add(row)
    audit(
        session,
        actor=actor,
        action="create",
        table_name="meeting",
        record_id=row.id,
        before=None,
        after=_row_dict(row),
    )
    session.flush()
    return row, False


def remove_meeting(session: Session, *, meeting_id: str, actor: str) -> None:
    """Delete a meeting (a group meeting's attendance taken back); it stays in the audit log."""
    row = get(session, Meeting, meeting_id)
    audit(
        session,
        actor=actor,
        action="delete",
        table_name="meeting",
        record_id=row.id,
        before=_row_dict(row),
        after=None,
    )
    session.delete(row)
    session.flush()


# --- surveys --------------------------------------------------------------------------------


def survey_public(row: Survey) -> SurveyPublic:
    answers = SurveyAnswers.from_columns(row).model_dump(mode="json", exclude_none=True)
    return SurveyPublic(
        id=row.id or 0,
        participant=row.participant,
        wave=row.wave,
        answered_on=row.answered_on,
        status=row.status,
        answers=answers,
    )


def find_survey(session: Session, participant: str, wave: str) -> Survey | None:
    return session.exec(
        select(Survey).where(Survey.participant == participant, Survey.wave == wave)
    ).first()


def save_survey(
    session: Session,
    *,
    survey: SurveyCreate,
    actor: str,
    status: SurveyStatus = SurveyStatus.complete,
) -> Survey:
    """Store a whole survey response (replacing an earlier one of the same wave, audited)."""
    get(session, Participant, survey.participant)
    row = find_survey(session, survey.participant, survey.wave)
    before = _row_dict(row) if row is not None else None
    if row is None:
        row = Survey(
            participant=survey.participant, wave=survey.wave, answered_on=survey.answered_on
        )
    row.answered_on = survey.answered_on
    row.status = status
    for key, value in survey.answers.to_columns().items():
        setattr(row, key, value)
    session.add(row)
    session.flush()
    audit(
        session,
        actor=actor,
        action="create" if before is None else "update",
        table_name="survey_response",
        record_id=str(row.id),
        before=before,
        after=_row_dict(row),
    )
    return row


def create_survey(session: Session, *, survey: SurveyCreate, actor: str) -> Survey:
    """Store a new survey response; a second one of the same wave is a conflict (update it)."""
    existing = find_survey(session, survey.participant, survey.wave)
    if existing is not None:
        raise Conflict(
            f"participant {survey.participant!r} has answered wave {survey.wave.value!r} "
            f"already (survey {existing.id}); update that one instead"
        )
    return save_survey(session, survey=survey, actor=actor)


def update_survey(session: Session, *, survey_id: int, change: SurveyUpdate, actor: str) -> Survey:
    """Change a survey response's date or replace its answers; the earlier version is audited."""
    row = get(session, Survey, survey_id)
    check_required(Survey, change.model_dump(exclude_unset=True))
    survey = SurveyCreate(
        participant=row.participant,
        wave=row.wave,
        answered_on=change.answered_on or row.answered_on,
        answers=change.answers or SurveyAnswers.from_columns(row),
    )
    return save_survey(session, survey=survey, actor=actor, status=SurveyStatus(row.status))


def save_survey_answer(
    session: Session,
    *,
    participant: str,
    wave: str,
    answered_on: date,
    answers: SurveyAnswers,
    complete: bool,
    actor: str,
) -> Survey:
    """Store the answers given so far in the bot (merged into what is stored); ``complete`` ends it."""
    row = find_survey(session, participant, wave)
    merged: dict[str, Any] = {}
    if row is not None:
        merged = SurveyAnswers.from_columns(row).model_dump(exclude_none=True)
    for key, value in answers.model_dump(exclude_unset=True).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **{k: v for k, v in value.items() if v is not None}}
        else:
            merged[key] = value
    survey = SurveyCreate(
        participant=participant,
        wave=Wave(wave),
        answered_on=answered_on,
        answers=SurveyAnswers.model_validate(merged),
    )
    return save_survey(
        session,
        survey=survey,
        actor=actor,
        status=SurveyStatus.complete if complete else SurveyStatus.in_progress,
    )


# --- lists ----------------------------------------------------------------------------------


def list_page(
    session: Session,
    model: type[M],
    *,
    filters: list[ColumnElement[bool]],
    limit: int,
    offset: int,
    order_by: ColumnElement[Any] | Mapped[Any],
) -> tuple[list[M], int]:
    """One page of records matching the filters, and how many match in all."""
    total = session.exec(select(func.count()).select_from(model).where(*filters)).one()
    rows = session.exec(
        select(model).where(*filters).order_by(order_by).offset(offset).limit(limit)
    ).all()
    return list(rows), int(total)
