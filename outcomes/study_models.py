"""The records of spec/study.md: a study, its register persons and their register months.

Each resource is a family as in ``models.py`` / ``schemas.py``: ``XBase`` → ``X(table=True)``,
``XCreate`` / ``XUpdate`` (the only inputs, unknown fields refused) and ``XPublic``. Register rows
name nobody: a register person is a pseudonymous id, and an intervention person points at the
participant it is. Deleting a study deletes its register persons and their months (``ON DELETE
CASCADE``, and :func:`outcomes.study_service.delete_study` does it explicitly too).
"""

from __future__ import annotations

import re
from typing import Any, Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from pydantic import Field as Constrained
from sqlalchemy import JSON, Column
from sqlmodel import AutoString, Field, SQLModel
from sqlmodel.main import SQLModelConfig

from core.vocab import MINOR_ITEMS, EducationLevel, Gender, RegisterGroup
from outcomes.models import ID

ComparisonIndicator = Literal[
    "got_job",
    "measurable_steps",
    "job_or_steps",
    "internship",
    "education_started",
    "interviews_plus_two",
    "minor_steps_5_of_8",
    "cv_improved",
    "network_expanded",
    "reference_obtained",
    "workplace_visit",
    "learned_education_system",
    "learned_social_codes",
    "swedish_improved",
    "professional_swedish_improved",
]
COMPARISON_INDICATORS: tuple[str, ...] = get_args(ComparisonIndicator)
"""The indicators a study compares, in the order of spec/study.md."""
assert COMPARISON_INDICATORS[7:] == MINOR_ITEMS

ASSOCIATION_STEPS: tuple[str, ...] = (
    "internship",
    "education_started",
    "interviews_plus_two",
    *MINOR_ITEMS,
)
"""The steps whose association with getting a job a study reports."""

DEFAULT_PRIMARY: tuple[str, ...] = ("got_job", "job_or_steps", "network_expanded")
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
"""``YYYY-MM``."""

_FORBID = ConfigDict(extra="forbid")
_FORBID_SQL = SQLModelConfig(extra="forbid")
_ID_PATTERN = r"^[A-Za-z0-9_.:\-]+$"


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


# --- study ----------------------------------------------------------------------------------


class StudyBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    alpha: float = Field(default=0.05, gt=0, lt=1)
    power: float = Field(default=0.8, gt=0, lt=1)
    register_end_month: int = Field(default=7, ge=-120, le=120)


class Study(StudyBase, table=True):
    """A randomised study: the cohorts whose participants were randomised to the two arms."""

    id: str = Field(primary_key=True, max_length=ID)
    cohorts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    primary: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PRIMARY), sa_column=Column(JSON, nullable=False)
    )


def _check_cohorts(values: list[str]) -> list[str]:
    for value in values:
        if not 0 < len(value) <= ID or not re.match(_ID_PATTERN, value):
            raise ValueError(f"{value!r} is not a cohort id")
    return _unique(values)


class StudyCreate(StudyBase):
    model_config = _FORBID_SQL
    id: str = Constrained(min_length=1, max_length=ID, pattern=_ID_PATTERN)
    cohorts: list[str] = Field(min_length=1, max_length=200)
    primary: list[ComparisonIndicator] = Field(
        default_factory=lambda: list(DEFAULT_PRIMARY),
        max_length=len(COMPARISON_INDICATORS),
    )

    @field_validator("cohorts")
    @classmethod
    def _cohorts(cls, v: list[str]) -> list[str]:
        return _check_cohorts(v)

    @field_validator("primary")
    @classmethod
    def _primary(cls, v: list[str]) -> list[str]:
        return _unique(v)


class StudyUpdate(BaseModel):
    model_config = _FORBID
    name: str | None = Field(default=None, min_length=1, max_length=200)
    cohorts: list[str] | None = Field(default=None, min_length=1, max_length=200)
    primary: list[ComparisonIndicator] | None = Field(
        default=None, max_length=len(COMPARISON_INDICATORS)
    )
    alpha: float | None = Field(default=None, gt=0, lt=1)
    power: float | None = Field(default=None, gt=0, lt=1)
    register_end_month: int | None = Field(default=None, ge=-120, le=120)

    @field_validator("cohorts")
    @classmethod
    def _cohorts(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else _check_cohorts(v)

    @field_validator("primary")
    @classmethod
    def _primary(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else _unique(v)


class StudyPublic(StudyBase):
    id: str
    cohorts: list[str]
    primary: list[str]


# --- register person ------------------------------------------------------------------------


class RegisterPersonBase(SQLModel):
    study: str = Field(foreign_key="study.id", ondelete="CASCADE", index=True, max_length=ID)
    group: RegisterGroup = Field(sa_type=AutoString, max_length=20)
    participant: str | None = Field(
        default=None, foreign_key="participant.id", index=True, max_length=ID
    )
    gender: Gender | None = Field(sa_type=AutoString, default=None, max_length=16)
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    citizenship: str | None = Field(default=None, min_length=2, max_length=2)
    county: str | None = Field(default=None, min_length=1, max_length=100)
    education_level: EducationLevel | None = Field(sa_type=AutoString, default=None, max_length=16)
    arrival_period: str | None = Field(default=None, min_length=1, max_length=32)
    employed_at_start: bool | None = None
    start_month: str | None = Field(default=None, max_length=7)


class RegisterPerson(RegisterPersonBase, table=True):
    """One person of a study's register data: an intervention participant or an external control."""

    __tablename__ = "register_person"

    id: str = Field(primary_key=True, max_length=ID)


class RegisterPersonCreate(RegisterPersonBase):
    model_config = _FORBID_SQL
    id: str = Constrained(min_length=1, max_length=ID, pattern=_ID_PATTERN)
    citizenship: str | None = Constrained(default=None, pattern=r"^[A-Z]{2}$")
    start_month: str | None = Constrained(default=None, pattern=MONTH_PATTERN)

    @model_validator(mode="after")
    def _participant(self) -> Self:
        if self.group == RegisterGroup.intervention and self.participant is None:
            raise ValueError(
                "missing field 'participant': a register person of group intervention "
                "names the participant it is"
            )
        if self.group == RegisterGroup.external_control and self.participant is not None:
            raise ValueError(
                "'participant' is for group intervention; an external control is no participant"
            )
        return self


class RegisterPersonPublic(RegisterPersonBase):
    id: str


# --- register month -------------------------------------------------------------------------


class RegisterMonthBase(SQLModel):
    person: str = Field(
        foreign_key="register_person.id", ondelete="CASCADE", primary_key=True, max_length=ID
    )
    month: str = Field(primary_key=True, max_length=7)
    employed: bool
    income: int | None = Field(default=None, ge=0, le=100_000_000)


class RegisterMonth(RegisterMonthBase, table=True):
    """Whether a register person was employed in a calendar month (and the month's income)."""

    __tablename__ = "register_month"


class RegisterMonthCreate(RegisterMonthBase):
    model_config = _FORBID_SQL
    person: str = Constrained(min_length=1, max_length=ID, pattern=_ID_PATTERN)
    month: str = Constrained(pattern=MONTH_PATTERN)


class RegisterMonthPublic(RegisterMonthBase):
    pass


def study_public(row: Study) -> StudyPublic:
    return StudyPublic.model_validate(row, from_attributes=True)


def study_row(data: dict[str, Any]) -> dict[str, Any]:
    """Plain values for the table (lists stay lists)."""
    return {k: (v.value if hasattr(v, "value") else v) for k, v in data.items()}
