"""Which records a list or an export shows: one filter, the same for the API's lists and the CSVs.

Filters: ``cohort``, ``participant``, ``event_type`` (events only) and a date window
``date_from`` … ``date_to`` (both days included, either end open) on the record's own date:
``matched_on`` (pairs), ``answered_on`` (surveys), ``occurred_on`` (events), ``held_on``
(meetings). Cohorts, participants and mentors have no date of their own; for them the window
keeps the cohorts whose ``start`` … ``end`` overlaps it — the same rule the indicator engine uses
for its window, so an export of participants and the indicators cover the same people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Mapped
from sqlmodel import SQLModel, col

from outcomes.errors import Invalid
from outcomes.models import Cohort, Event, Meeting, Mentor, Pair, Participant, Survey

DATE_COLUMN: dict[type[SQLModel], Mapped[date]] = {
    Pair: col(Pair.matched_on),
    Survey: col(Survey.answered_on),
    Event: col(Event.occurred_on),
    Meeting: col(Meeting.held_on),
}

PERSON_COLUMN: dict[type[SQLModel], Mapped[str]] = {
    Pair: col(Pair.participant),
    Survey: col(Survey.participant),
    Event: col(Event.participant),
}
"""The participant a record is about, for the tables that name one."""


@dataclass(frozen=True)
class RecordFilter:
    """What to keep; ``None`` means no restriction."""

    cohort: str | None = None
    participant: str | None = None
    event_type: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise Invalid(
                f"the date window ends ({self.date_to}) before it starts ({self.date_from})"
            )


def _cohorts_overlapping(f: RecordFilter) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if f.date_from is not None:
        out.append(col(Cohort.end) >= f.date_from)
    if f.date_to is not None:
        out.append(col(Cohort.start) <= f.date_to)
    return out


def _in_cohort(column: Mapped[str], cohort: str) -> ColumnElement[bool]:
    """``column`` (a participant id) belongs to a participant of that cohort."""
    return column.in_(select(col(Participant.id)).where(col(Participant.cohort) == cohort))


def clauses(model: type[SQLModel], f: RecordFilter) -> list[ColumnElement[bool]]:
    """SQL conditions selecting the records of ``model`` that ``f`` keeps."""
    out: list[ColumnElement[bool]] = []
    if model is Cohort:
        if f.cohort is not None:
            out.append(col(Cohort.id) == f.cohort)
        if f.participant is not None:
            out.append(
                col(Cohort.id).in_(
                    select(col(Participant.cohort)).where(col(Participant.id) == f.participant)
                )
            )
        out += _cohorts_overlapping(f)
    elif model is Participant or model is Mentor:
        cohort_col = col(Participant.cohort) if model is Participant else col(Mentor.cohort)
        if f.cohort is not None:
            out.append(cohort_col == f.cohort)
        if f.participant is not None:
            if model is Participant:
                out.append(col(Participant.id) == f.participant)
            else:
                out.append(
                    col(Mentor.id).in_(
                        select(col(Pair.mentor)).where(col(Pair.participant) == f.participant)
                    )
                )
        if f.date_from is not None or f.date_to is not None:
            out.append(cohort_col.in_(select(col(Cohort.id)).where(*_cohorts_overlapping(f))))
    elif model is Meeting:
        pairs = select(col(Pair.id))
        if f.cohort is not None:
            pairs = pairs.where(_in_cohort(col(Pair.participant), f.cohort))
        if f.participant is not None:
            pairs = pairs.where(col(Pair.participant) == f.participant)
        if f.cohort is not None or f.participant is not None:
            out.append(col(Meeting.pair).in_(pairs))
    elif model in PERSON_COLUMN:
        person = PERSON_COLUMN[model]
        if f.cohort is not None:
            out.append(_in_cohort(person, f.cohort))
        if f.participant is not None:
            out.append(person == f.participant)
    else:
        raise ValueError(f"no filters for {model.__name__}")
    if model is Event and f.event_type is not None:
        out.append(col(Event.type) == f.event_type)
    day = DATE_COLUMN.get(model)
    if day is not None:
        if f.date_from is not None:
            out.append(day >= f.date_from)
        if f.date_to is not None:
            out.append(day <= f.date_to)
    return out
