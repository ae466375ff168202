"""SQLModel tables: the records of spec/outcomes.md, plus staff tokens and the audit log.

Each resource is a family: ``XBase`` (shared fields) → ``X(XBase, table=True)`` here, and
``XCreate`` / ``XUpdate`` (the only inputs) and ``XPublic`` (the only output) in ``schemas.py``.
People are named only by pseudonymous ids. Survey answers and event attributes are stored as
typed columns so that the indicator engine computes in SQL on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import AutoString, Field, SQLModel

from core.vocab import (
    Arm,
    EducationLevel,
    EventSource,
    EventStatus,
    EventType,
    Gender,
    MeetingKind,
    MigrationCategory,
    SurveyStatus,
    Wave,
)
from outcomes.clock import utcnow
from outcomes.types import UTCDateTime

ID = 64  # max length of every identifier
LANG = 35  # BCP-47


class CohortBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    start: date
    end: date
    region: str | None = Field(default=None, max_length=100, index=True)


class Cohort(CohortBase, table=True):
    """One program round (programomgång)."""

    id: str = Field(primary_key=True, max_length=ID)
    targets: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class ParticipantBase(SQLModel):
    cohort: str = Field(foreign_key="cohort.id", index=True, max_length=ID)
    gender: Gender = Field(sa_type=AutoString, max_length=16, index=True)
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    education_level: EducationLevel | None = Field(sa_type=AutoString, default=None, max_length=16)
    arrival_year: int | None = Field(default=None, ge=1900, le=2100)
    migration_category: MigrationCategory | None = Field(
        sa_type=AutoString, default=None, max_length=32
    )
    occupation_field: str | None = Field(default=None, max_length=200)
    arm: Arm = Field(sa_type=AutoString, default=Arm.intervention, max_length=16)
    joined_on: date | None = None
    left_on: date | None = None
    language: str | None = Field(default=None, max_length=LANG)


class Participant(ParticipantBase, table=True):
    """A participant, by pseudonymous id; background variables only, never names."""

    id: str = Field(primary_key=True, max_length=ID)
    erased_on: date | None = None  # tombstone: the person had their data erased on this day


class MentorBase(SQLModel):
    cohort: str = Field(foreign_key="cohort.id", index=True, max_length=ID)
    occupation_field: str | None = Field(default=None, max_length=200)
    language: str | None = Field(default=None, max_length=LANG)


class Mentor(MentorBase, table=True):
    """A volunteer mentor, by pseudonymous id."""

    id: str = Field(primary_key=True, max_length=ID)
    erased_on: date | None = None


class PairBase(SQLModel):
    mentor: str = Field(foreign_key="mentor.id", index=True, max_length=ID)
    participant: str = Field(foreign_key="participant.id", index=True, max_length=ID)
    matched_on: date
    ended_on: date | None = None


class Pair(PairBase, table=True):
    """A mentor and a participant matched for a round."""

    id: str = Field(primary_key=True, max_length=ID)


class SurveyBase(SQLModel):
    participant: str = Field(foreign_key="participant.id", index=True, max_length=ID)
    wave: Wave = Field(sa_type=AutoString, max_length=16)
    answered_on: date


class Survey(SurveyBase, table=True):
    """One survey wave answered by one participant; ``None`` in an answer column means no answer."""

    __tablename__ = "survey_response"
    __table_args__ = (UniqueConstraint("participant", "wave", name="uq_survey_participant_wave"),)

    id: int | None = Field(default=None, primary_key=True)
    status: SurveyStatus = Field(sa_type=AutoString, default=SurveyStatus.complete, max_length=16)
    # every wave
    employment: str | None = Field(default=None, max_length=16)
    job_relevant: bool | None = None
    interviews_last_2_months: int | None = None
    professional_contacts: int | None = None
    # result wave
    job_changed: bool | None = None
    item_internship: bool | None = None
    item_education_started: bool | None = None
    item_cv_improved: bool | None = None
    item_network_expanded: bool | None = None
    item_reference_obtained: bool | None = None
    item_workplace_visit: bool | None = None
    item_learned_education_system: bool | None = None
    item_learned_social_codes: bool | None = None
    item_swedish_improved: bool | None = None
    item_professional_swedish_improved: bool | None = None
    contributed_job: str | None = Field(default=None, max_length=8)
    contributed_internship: str | None = Field(default=None, max_length=8)
    contributed_education_started: str | None = Field(default=None, max_length=8)
    satisfaction: int | None = None


class EventBase(SQLModel):
    participant: str = Field(foreign_key="participant.id", index=True, max_length=ID)
    type: EventType = Field(sa_type=AutoString, max_length=40, index=True)
    occurred_on: date = Field(index=True)
    source: EventSource = Field(sa_type=AutoString, max_length=16)
    status: EventStatus = Field(sa_type=AutoString, default=EventStatus.confirmed, max_length=16)


class Event(EventBase, table=True):
    """One step towards work, as it happened. Corrections bump ``version``; the audit log keeps the past."""

    __table_args__ = (
        # the indicator engine (outcomes/indicators.py): the latest event of a type in a window …
        Index("ix_event_participant_type_date", "participant", "type", "status", "occurred_on"),
        # … and every confirmed event in a participant's window, read from the index alone
        Index(
            "ix_event_participant_window",
            "participant",
            "status",
            "occurred_on",
            "type",
            "relevant",
        ),
    )

    id: str = Field(primary_key=True, max_length=ID)
    extent: str | None = Field(default=None, max_length=16)
    relevant: bool | None = None
    program_contributed: str | None = Field(default=None, max_length=8)
    note: str | None = Field(default=None, max_length=1000)
    version: int = 1
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    recorded_by: str | None = Field(default=None, max_length=100)


class MeetingBase(SQLModel):
    pair: str = Field(foreign_key="pair.id", index=True, max_length=ID)
    held_on: date
    kind: MeetingKind = Field(sa_type=AutoString, default=MeetingKind.individual, max_length=32)


class Meeting(MeetingBase, table=True):
    """A meeting of a pair (individual) or a group meeting the pair took part in."""

    __table_args__ = (UniqueConstraint("pair", "held_on", "kind", name="uq_meeting_pair_day_kind"),)

    id: str = Field(primary_key=True, max_length=ID)
    activities: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    logged_by: str | None = Field(default=None, max_length=32)  # mentor|participant|staff|import


class ApiToken(SQLModel, table=True):
    """A staff API token; only its SHA-256 is stored."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    role: str = Field(max_length=16)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuditLog(SQLModel, table=True):
    """Who changed what and when; the earlier version of a corrected or voided record lives here."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True, sa_type=UTCDateTime)
    actor: str = Field(max_length=100)
    action: str = Field(max_length=32)
    table_name: str = Field(max_length=32)
    record_id: str = Field(max_length=ID, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
