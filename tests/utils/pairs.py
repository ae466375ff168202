"""Factories for mentor pairs: a cohort, a participant, a mentor and their pair, committed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from outcomes.clock import today
from outcomes.models import Cohort, Mentor, Pair, Participant


@dataclass(frozen=True)
class PairIds:
    cohort: str
    pair: str
    mentor: str
    participant: str


def make_pair(
    engine: Engine,
    n: int = 1,
    *,
    start: date | None = None,
    months: int = 8,
    matched_on: date | None = None,
    cohort: str | None = None,
) -> PairIds:
    """A committed cohort (running today unless ``start`` says otherwise) with one pair ``n``."""
    start = start or today() - timedelta(days=3)
    cohort_id = cohort or f"c-{n}"
    ids = PairIds(cohort=cohort_id, pair=f"pair-{n}", mentor=f"m-{n}", participant=f"p-{n}")
    with Session(engine) as session:
        if session.get(Cohort, cohort_id) is None:
            session.add(
                Cohort(
                    id=cohort_id,
                    name=f"Round {n}",
                    start=start,
                    end=start + timedelta(days=30 * months),
                )
            )
        session.add(
            Participant(
                id=ids.participant,
                cohort=cohort_id,
                gender="woman",
                birth_year=1990,
                arrival_year=2022,
                migration_category="family",
                occupation_field="nurse",
            )
        )
        session.add(Mentor(id=ids.mentor, cohort=cohort_id, occupation_field="nurse"))
        session.commit()
        session.add(
            Pair(
                id=ids.pair,
                mentor=ids.mentor,
                participant=ids.participant,
                matched_on=matched_on or start,
            )
        )
        session.commit()
    return ids
