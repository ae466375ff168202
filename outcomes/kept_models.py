"""The kept per-participant outcomes: one row per participant, kept up to date by every write.

``participant_outcome.bits`` is the participant's ``outcomes.indicators.COUNT_BITS``: whether they
are measured, and whether each indicator's ``n`` (and each contribution indicator's ``of``)
counts them, judged on the ``enrolled`` basis (everyone counted). The row is computed by the
indicator engine's own per-participant SQL (``outcomes/kept.py``), never by a second
implementation, in the same transaction as the write that changed it; a grouping of the
indicators is then a GROUP BY over one row per person. No personal data: an id and an integer.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String
from sqlmodel import Field, SQLModel

from outcomes.models import ID


class KeptOutcomeBase(SQLModel):
    bits: int = Field(default=0)


class KeptOutcome(KeptOutcomeBase, table=True):
    """A participant's outcomes as the engine computes them (``COUNT_BITS``), kept by writes."""

    __tablename__ = "participant_outcome"

    participant: str = Field(
        sa_column=Column(
            String(ID), ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True
        )
    )


class KeptOutcomeCreate(KeptOutcomeBase):
    """Only ``outcomes.kept.refresh`` writes these rows (from the engine's SQL)."""

    participant: str = Field(max_length=ID)


class KeptOutcomeUpdate(SQLModel):
    bits: int | None = None


class KeptOutcomePublic(KeptOutcomeBase):
    participant: str
