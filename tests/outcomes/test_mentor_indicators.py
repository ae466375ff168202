"""The mentors' indicators of the one engine equal an independent computation from the answers
(random programs: missing waves, waves still in progress, skipped questions, several cohorts)."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest
from sqlmodel import Session

from outcomes.errors import NotFound
from outcomes.indicators import compute_mentor_indicators
from outcomes.mentor_surveys import MentorSurvey
from outcomes.models import Cohort, Mentor
from tests.utils.reference_mentor_indicators import SCALES, reference_mentor_indicators


def program(seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Mentors (id, cohort) and their survey rows, at random."""
    rng = random.Random(seed)
    mentors = [{"id": f"m{i}", "cohort": f"c{i % 3}"} for i in range(rng.randint(30, 90))]
    rows = []
    for m in mentors:
        for wave in ("mentor_start", "mentor_end"):
            if rng.random() < 0.25:
                continue  # never answered this wave
            row: dict[str, Any] = {
                "person": m["id"],
                "wave": wave,
                "status": "in_progress" if rng.random() < 0.15 else "complete",
            }
            for scale in SCALES.values():
                row[scale] = rng.choice([None, 1, 2, 3, 4, 5])
            if wave == "mentor_end":
                row["satisfaction"] = rng.choice([None, 1, 2, 3, 4, 5])
                row["mentor_again"] = rng.choice([None, "yes", "no", "unsure"])
            rows.append(row)
    return mentors, rows


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_engine_gives_the_numbers_of_an_independent_computation(session: Session, seed):
    mentors, rows = program(seed)
    for c in ("c0", "c1", "c2", "c-empty"):
        session.add(Cohort(id=c, name=c, start=date(2025, 2, 1), end=date(2025, 9, 30)))
    session.flush()
    for m in mentors:
        session.add(Mentor(id=m["id"], cohort=m["cohort"]))
    session.flush()
    for r in rows:
        session.add(MentorSurvey(answered_on=date(2025, 3, 1), **r))
    session.commit()
    for cohort in (None, "c0", "c1", "c2"):
        assert compute_mentor_indicators(session, cohort=cohort) == reference_mentor_indicators(
            mentors, rows, cohort
        ), cohort
    empty = compute_mentor_indicators(session, cohort="c-empty")
    assert empty["total"]["mentors"] == 0
    assert empty["total"]["indicators"]["mentor_satisfied"] == {"n": 0, "of": 0, "share": None}
    assert empty["groups"] == []
    # the data reaches every edge: ties, rises, falls, waves in progress, skipped answers
    assert any(r["status"] == "in_progress" for r in rows)
    total = reference_mentor_indicators(mentors, rows, None)["total"]["indicators"]
    assert all(0 < v["n"] < v["of"] for v in total.values())


def test_an_unknown_cohort_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        compute_mentor_indicators(session, cohort="nope")
