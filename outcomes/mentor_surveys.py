"""The mentors' own survey (issue 13): at the start and at the end of the round.

    save_mentor_answer(session, mentor="m-1", wave="mentor_start", answered_on=day,
                       answers=MentorSurveyAnswers(contact_newcomers=2), complete=False)

Three 1-5 scales asked in both waves (``core.vocab.MENTOR_SCALES``): how often the mentor is in
contact with people new to Sweden, how much they know of integration, how engaged they are in it;
and at the end, satisfaction (1-5) and whether they would mentor again (yes / no / unsure). The
indicators of the share of mentors who report more of each (end above start) are in the one
indicator engine (``outcomes/indicators.py``, ``mentor_*``). ``None`` means no answer (a skipped
question), never "no".
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict
from pydantic import Field as Constrained
from sqlalchemy import UniqueConstraint
from sqlmodel import AutoString, Field, Session, SQLModel, select

from core.vocab import Contribution, MentorWave, SurveyStatus
from outcomes.models import ID

Scale = int


class MentorSurveyAnswers(BaseModel):
    """The answers of one wave (any may be missing)."""

    model_config = ConfigDict(extra="forbid")
    contact_newcomers: int | None = Constrained(default=None, ge=1, le=5)
    integration_knowledge: int | None = Constrained(default=None, ge=1, le=5)
    integration_engagement: int | None = Constrained(default=None, ge=1, le=5)
    satisfaction: int | None = Constrained(default=None, ge=1, le=5)
    mentor_again: Contribution | None = None


ANSWER_FIELDS: tuple[str, ...] = tuple(MentorSurveyAnswers.model_fields)


class MentorSurveyBase(SQLModel):
    # the mentor's pseudonymous id; named ``person`` so that erasure and the person's export
    # include these rows (outcomes/privacy.py: every table with a ``person`` column)
    person: str = Field(foreign_key="mentor.id", index=True, max_length=ID)
    wave: MentorWave = Field(sa_type=AutoString, max_length=16)
    answered_on: date


class MentorSurvey(MentorSurveyBase, table=True):
    """One wave of the mentor survey answered by one mentor (``person``)."""

    __tablename__ = "mentor_survey"
    __table_args__ = (UniqueConstraint("person", "wave", name="uq_mentor_survey_wave"),)

    id: int | None = Field(default=None, primary_key=True)
    status: SurveyStatus = Field(
        sa_type=AutoString, default=SurveyStatus.in_progress, max_length=16
    )
    contact_newcomers: int | None = None
    integration_knowledge: int | None = None
    integration_engagement: int | None = None
    satisfaction: int | None = None
    mentor_again: str | None = Field(default=None, max_length=8)


class MentorSurveyCreate(MentorSurveyBase):
    """A wave's answers as one record (the bot writes them one at a time)."""

    answers: MentorSurveyAnswers


class MentorSurveyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answers: MentorSurveyAnswers


class MentorSurveyPublic(MentorSurveyBase):
    id: int
    status: SurveyStatus
    answers: MentorSurveyAnswers


def answers_of(row: MentorSurvey) -> MentorSurveyAnswers:
    return MentorSurveyAnswers.model_validate({f: getattr(row, f) for f in ANSWER_FIELDS})


def find_mentor_survey(session: Session, mentor: str, wave: str) -> MentorSurvey | None:
    return session.exec(
        select(MentorSurvey).where(MentorSurvey.person == mentor, MentorSurvey.wave == wave)
    ).first()


def save_mentor_answer(
    session: Session,
    *,
    mentor: str,
    wave: str,
    answered_on: date,
    answers: MentorSurveyAnswers,
    complete: bool,
) -> MentorSurvey:
    """Store the answers given (merged into what is stored); ``complete`` ends the wave.

    Not audited: the mentor's own answers in the bot, which erasure removes with no copy left.
    """
    row = find_mentor_survey(session, mentor, wave)
    if row is None:
        row = MentorSurvey(person=mentor, wave=MentorWave(wave), answered_on=answered_on)
    for key, value in answers.model_dump(exclude_unset=True).items():
        setattr(row, key, value.value if isinstance(value, Contribution) else value)
    row.answered_on = answered_on
    row.status = SurveyStatus.complete if complete else SurveyStatus.in_progress
    session.add(row)
    session.flush()
    return row
