"""The kept per-participant outcomes, and their sums per cohort and gender.

``participant_outcome`` has one row per participant: ``bits`` is the participant's
``outcomes.indicators.COUNT_BITS`` — whether they are measured, and whether each indicator's
``n`` (and each contribution indicator's ``of``) counts them, judged on the ``enrolled`` basis
(everyone counted) — and the ``cohort`` and ``gender`` it was added to. The row is computed by
the indicator engine's own per-participant SQL (``outcomes/kept.py``), never by a second
implementation, in the same transaction as the write that changed it.

The row also keeps the days of the participant's complete baseline and result surveys;
``response_cell`` counts them per cohort, wave and day (the overview's response over time).

``outcome_cell`` adds those rows up per cohort, gender and basis (``measured``: only the people
with their ``measured`` bit count), one column per count of ``COUNT_BITS``, changed by the same
refresh by the difference it made. A grouping of the indicators by cohort, gender or region is
then a GROUP BY over a few rows per cohort; any other grouping is a GROUP BY over one row per
person. No personal data: ids, an integer, counts.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Column, ForeignKey, Index, String
from sqlmodel import Field, SQLModel

from outcomes.models import ID


class KeptOutcomeBase(SQLModel):
    bits: int = Field(default=0)
    cohort: str = Field(max_length=ID)
    gender: str = Field(max_length=16)
    baseline_on: date | None = None  # the complete baseline survey's day
    result_on: date | None = None  # the complete result survey's day


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


class OutcomeCellBase(SQLModel):
    """The counts of one cohort, gender and basis: ``people`` (enrolled) and each of
    ``COUNT_BITS`` (``measured``, ``counted``, ``n_<indicator>``, ``of_<indicator>``)."""

    people: int = 0
    measured: int = 0
    counted: int = 0
    n_got_job: int = 0
    n_measurable_steps: int = 0
    n_job_or_steps: int = 0
    n_network_expanded: int = 0
    n_internship: int = 0
    n_education_started: int = 0
    n_interviews_plus_two: int = 0
    n_minor_steps_5_of_8: int = 0
    n_cv_improved: int = 0
    n_reference_obtained: int = 0
    n_workplace_visit: int = 0
    n_learned_education_system: int = 0
    n_learned_social_codes: int = 0
    n_swedish_improved: int = 0
    n_professional_swedish_improved: int = 0
    n_job_contributed: int = 0
    of_job_contributed: int = 0
    n_internship_contributed: int = 0
    of_internship_contributed: int = 0
    n_education_contributed: int = 0
    of_education_contributed: int = 0
    n_relevant_job_contributed: int = 0


class OutcomeCell(OutcomeCellBase, table=True):
    """The kept outcomes added up per cohort, gender and basis (changed by every refresh)."""

    __tablename__ = "outcome_cell"

    cohort: str = Field(primary_key=True, max_length=ID)
    gender: str = Field(primary_key=True, max_length=16)
    basis: str = Field(primary_key=True, max_length=16)


class OutcomeCellCreate(OutcomeCellBase):
    """Only ``outcomes.kept.refresh`` writes these rows."""

    cohort: str = Field(max_length=ID)
    gender: str = Field(max_length=16)
    basis: str = Field(max_length=16)


class OutcomeCellUpdate(SQLModel):
    people: int | None = None


class OutcomeCellPublic(OutcomeCellCreate):
    pass


class ResponseCellBase(SQLModel):
    people: int = 0


class ResponseCell(ResponseCellBase, table=True):
    """Complete baseline and result surveys per cohort, wave and day (the overview's response
    over time), changed by every refresh of the kept outcomes."""

    __tablename__ = "response_cell"
    __table_args__ = (
        # the overview's response over time for all cohorts: a covering index in (wave, day)
        # order, so summing over the cohorts reads no table row and sorts nothing
        Index("ix_response_cell_wave_day", "wave", "answered_on", "people"),
    )

    cohort: str = Field(primary_key=True, max_length=ID)
    wave: str = Field(primary_key=True, max_length=16)
    answered_on: date = Field(primary_key=True)


class ResponseCellCreate(ResponseCellBase):
    """Only ``outcomes.kept.refresh`` writes these rows."""

    cohort: str = Field(max_length=ID)
    wave: str = Field(max_length=16)
    answered_on: date


class ResponseCellUpdate(SQLModel):
    people: int | None = None


class ResponseCellPublic(ResponseCellCreate):
    pass


COUNT_COLUMNS: tuple[str, ...] = tuple(
    name for name in OutcomeCellBase.model_fields if name != "people"
)
"""The count columns of ``outcome_cell``, in ``COUNT_BITS`` order (checked by ``outcomes.kept``)."""
