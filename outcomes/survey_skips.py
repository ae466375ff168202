"""Which survey questions a person skipped, so that a resumed survey does not ask them again.

A skipped question is stored in the survey as no answer (never as "no"); this table only
remembers that it was asked. The bot's survey flow writes it (``bot/handlers/survey.py``). It has
a ``person`` column, so ``outcomes/privacy.py`` exports and erases it with the rest of the
person's data.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Field, Session, SQLModel, col, select

from outcomes.clock import utcnow
from outcomes.models import ID
from outcomes.types import UTCDateTime


class SurveySkip(SQLModel, table=True):
    """One question of one survey wave that the participant chose to skip."""

    __tablename__ = "bot_survey_skip"

    person: str = Field(primary_key=True, max_length=ID)
    wave: str = Field(primary_key=True, max_length=16)
    question: str = Field(primary_key=True, max_length=32)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


def skipped(session: Session, person: str, wave: str) -> set[str]:
    """The names of the questions the person skipped in this wave."""
    rows = session.exec(
        select(SurveySkip.question).where(SurveySkip.person == person, SurveySkip.wave == wave)
    ).all()
    return set(rows)


def skip(session: Session, person: str, wave: str, question: str) -> None:
    """Remember that the person skipped a question (again: nothing changes)."""
    if session.get(SurveySkip, (person, wave, question)) is None:
        session.add(SurveySkip(person=person, wave=wave, question=question))
        session.flush()


def unskip(session: Session, person: str, wave: str, question: str) -> None:
    """The person answered a question they had skipped."""
    session.execute(
        delete(SurveySkip).where(
            col(SurveySkip.person) == person,
            col(SurveySkip.wave) == wave,
            col(SurveySkip.question) == question,
        )
    )
