"""Inputs (``XCreate`` / ``XUpdate``) and outputs (``XPublic``) of every resource.

The API and the importer validate with these and nothing else; unknown fields are refused
(``extra="forbid"``), which is the defence against mass assignment and typos in import files.
Field names are the spec's (spec/outcomes.md): ``cohort``, ``participant``, ``mentor``, ``pair``.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlmodel.main import SQLModelConfig

from core.vocab import (
    TARGET_KEYS,
    TARGET_PARTICIPANTS,
    Arm,
    Contribution,
    EducationLevel,
    Employment,
    EventSource,
    EventStatus,
    EventType,
    Extent,
    Gender,
    MeetingKind,
    MigrationCategory,
    Role,
    SurveyStatus,
    Wave,
)
from outcomes.models import (
    ID,
    LANG,
    CohortBase,
    EventBase,
    MeetingBase,
    MentorBase,
    PairBase,
    ParticipantBase,
    Survey,
    SurveyBase,
)

FORBID = ConfigDict(extra="forbid")
FORBID_SQL = SQLModelConfig(extra="forbid")
T = TypeVar("T")
IdStr = Field(min_length=1, max_length=ID, pattern=r"^[A-Za-z0-9_.:\-]+$")


def _check_window(start: date | None, end: date | None, what: str) -> None:
    if start is not None and end is not None and end < start:
        raise ValueError(f"{what} ends ({end}) before it starts ({start})")


def _check_targets(targets: dict[str, Any] | None) -> dict[str, Any] | None:
    if targets is None:
        return None
    for key, value in targets.items():
        if key not in TARGET_KEYS:
            raise ValueError(f"unknown target {key!r}; known: {', '.join(sorted(TARGET_KEYS))}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"target {key!r} must be a number")
        if not math.isfinite(value):
            raise ValueError(f"target {key!r} must be a finite number")
        if key == TARGET_PARTICIPANTS:
            if value < 0 or int(value) != value:
                raise ValueError("target 'participants' must be a whole number ≥ 0")
        elif not 0 <= value <= 1:
            raise ValueError(f"target {key!r} is a share and must be between 0 and 1")
    return targets


# --- cohort ---------------------------------------------------------------------------------


class CohortCreate(CohortBase):
    model_config = FORBID_SQL
    id: str = IdStr
    targets: dict[str, float] | None = None

    @field_validator("targets")
    @classmethod
    def _targets(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        return _check_targets(v)

    @model_validator(mode="after")
    def _window(self) -> Self:
        _check_window(self.start, self.end, "the cohort")
        return self


class CohortUpdate(BaseModel):
    model_config = FORBID
    name: str | None = Field(default=None, min_length=1, max_length=200)
    start: date | None = None
    end: date | None = None
    region: str | None = Field(default=None, max_length=100)
    targets: dict[str, float] | None = None

    @field_validator("targets")
    @classmethod
    def _targets(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        return _check_targets(v)


class CohortPublic(CohortBase):
    id: str
    targets: dict[str, Any] | None = None


# --- participant ----------------------------------------------------------------------------


class ParticipantCreate(ParticipantBase):
    model_config = FORBID_SQL
    id: str = IdStr

    @model_validator(mode="after")
    def _window(self) -> Self:
        _check_window(self.joined_on, self.left_on, "the participant's window")
        return self


class ParticipantUpdate(BaseModel):
    model_config = FORBID
    cohort: str | None = Field(default=None, max_length=ID)
    gender: Gender | None = None
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    education_level: EducationLevel | None = None
    arrival_year: int | None = Field(default=None, ge=1900, le=2100)
    migration_category: MigrationCategory | None = None
    occupation_field: str | None = Field(default=None, max_length=200)
    arm: Arm | None = None
    joined_on: date | None = None
    left_on: date | None = None
    language: str | None = Field(default=None, max_length=LANG)


class ParticipantPublic(ParticipantBase):
    id: str
    erased_on: date | None = None


# --- mentor ---------------------------------------------------------------------------------


class MentorCreate(MentorBase):
    model_config = FORBID_SQL
    id: str = IdStr


class MentorUpdate(BaseModel):
    model_config = FORBID
    cohort: str | None = Field(default=None, max_length=ID)
    occupation_field: str | None = Field(default=None, max_length=200)
    language: str | None = Field(default=None, max_length=LANG)


class MentorPublic(MentorBase):
    id: str
    erased_on: date | None = None


# --- pair -----------------------------------------------------------------------------------


class PairCreate(PairBase):
    model_config = FORBID_SQL
    id: str = IdStr

    @model_validator(mode="after")
    def _window(self) -> Self:
        _check_window(self.matched_on, self.ended_on, "the pair")
        return self


class PairUpdate(BaseModel):
    model_config = FORBID
    matched_on: date | None = None
    ended_on: date | None = None


class PairPublic(PairBase):
    id: str


# --- survey ---------------------------------------------------------------------------------


class StepItems(BaseModel):
    """The result survey's ``items``: one bool per step item; a missing key is no answer."""

    model_config = FORBID
    internship: bool | None = None
    education_started: bool | None = None
    cv_improved: bool | None = None
    network_expanded: bool | None = None
    reference_obtained: bool | None = None
    workplace_visit: bool | None = None
    learned_education_system: bool | None = None
    learned_social_codes: bool | None = None
    swedish_improved: bool | None = None
    professional_swedish_improved: bool | None = None


class ContributionAnswers(BaseModel):
    model_config = FORBID
    job: Contribution | None = None
    internship: Contribution | None = None
    education_started: Contribution | None = None


class SurveyAnswers(BaseModel):
    """The answers of one survey wave; every key may be missing (no answer, or skipped)."""

    model_config = FORBID
    employment: Employment | None = None
    job_relevant: bool | None = None
    interviews_last_2_months: int | None = Field(default=None, ge=0, le=1000)
    professional_contacts: int | None = Field(default=None, ge=0, le=100000)
    job_changed: bool | None = None
    items: StepItems | None = None
    program_contributed: ContributionAnswers | None = None
    satisfaction: int | None = Field(default=None, ge=1, le=5)

    def to_columns(self) -> dict[str, Any]:
        """The typed columns of ``models.Survey`` for these answers."""
        items = self.items or StepItems()
        contributed = self.program_contributed or ContributionAnswers()
        return {
            "employment": self.employment.value if self.employment else None,
            "job_relevant": self.job_relevant,
            "interviews_last_2_months": self.interviews_last_2_months,
            "professional_contacts": self.professional_contacts,
            "job_changed": self.job_changed,
            **{f"item_{k}": v for k, v in items.model_dump().items()},
            **{
                f"contributed_{k}": (v.value if v else None)
                for k, v in (
                    ("job", contributed.job),
                    ("internship", contributed.internship),
                    ("education_started", contributed.education_started),
                )
            },
            "satisfaction": self.satisfaction,
        }

    @classmethod
    def from_columns(cls, row: Survey) -> SurveyAnswers:
        """Rebuild the answers object from a ``models.Survey`` row."""
        items = {k: getattr(row, f"item_{k}") for k in StepItems.model_fields}
        contributed = {
            k: getattr(row, f"contributed_{k}") for k in ContributionAnswers.model_fields
        }
        return cls(
            employment=row.employment,
            job_relevant=row.job_relevant,
            interviews_last_2_months=row.interviews_last_2_months,
            professional_contacts=row.professional_contacts,
            job_changed=row.job_changed,
            items=StepItems(**items) if any(v is not None for v in items.values()) else None,
            program_contributed=(
                ContributionAnswers(**contributed)
                if any(v is not None for v in contributed.values())
                else None
            ),
            satisfaction=row.satisfaction,
        )


class SurveyCreate(SurveyBase):
    model_config = FORBID_SQL
    answers: SurveyAnswers


class SurveyUpdate(BaseModel):
    model_config = FORBID
    answered_on: date | None = None
    answers: SurveyAnswers | None = None


class SurveyPublic(SurveyBase):
    id: int
    status: SurveyStatus
    answers: dict[str, Any]


# --- event ----------------------------------------------------------------------------------


class EventAttributes(BaseModel):
    model_config = FORBID
    extent: Extent | None = None
    relevant: bool | None = None
    program_contributed: Contribution | None = None
    note: str | None = Field(default=None, max_length=1000)


class EventCreate(EventBase):
    model_config = FORBID_SQL
    id: str | None = Field(
        default=None, min_length=1, max_length=ID, pattern=r"^[A-Za-z0-9_.:\-]+$"
    )
    attributes: EventAttributes | None = None


class EventUpdate(BaseModel):
    """A correction: the earlier version goes to the audit log."""

    model_config = FORBID
    type: EventType | None = None
    occurred_on: date | None = None
    status: EventStatus | None = None
    attributes: EventAttributes | None = None


class EventPublic(EventBase):
    id: str
    attributes: dict[str, Any]
    version: int
    recorded_at: datetime
    recorded_by: str | None


# --- meeting --------------------------------------------------------------------------------


class MeetingCreate(MeetingBase):
    model_config = FORBID_SQL
    id: str | None = Field(
        default=None, min_length=1, max_length=ID, pattern=r"^[A-Za-z0-9_.:\-]+$"
    )
    activities: list[str] = Field(max_length=20)

    @field_validator("activities")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        for tag in v:
            if not 0 < len(tag) <= 40:
                raise ValueError("each activity is a tag of 1 to 40 characters")
        return list(dict.fromkeys(v))


class MeetingUpdate(BaseModel):
    model_config = FORBID
    held_on: date | None = None
    kind: MeetingKind | None = None
    activities: list[str] | None = Field(default=None, max_length=20)


class MeetingPublic(MeetingBase):
    id: str
    activities: list[str]
    logged_by: str | None


# --- tokens and audit -----------------------------------------------------------------------


class ApiTokenCreate(BaseModel):
    model_config = FORBID
    name: str = Field(min_length=1, max_length=100)
    role: Role


class ApiTokenPublic(BaseModel):
    id: int
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiTokenCreated(ApiTokenPublic):
    token: str  # shown once


class AuditLogPublic(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    table_name: str
    record_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    total: int
    limit: int
    offset: int


__all__ = [name for name in dir() if name.endswith(("Create", "Update", "Public"))] + [
    "EventAttributes",
    "SurveyAnswers",
    "StepItems",
    "ContributionAnswers",
    "Page",
    "EventSource",
    "Wave",
]
