"""The mentors' indicators of the one engine equal an independent computation from the answers
(random programs: missing waves, waves still in progress, skipped questions, several cohorts)."""

from __future__ import annotations

import random
from datetime import date
from fractions import Fraction
from typing import Any

import pytest
from sqlmodel import Session

from core.vocab import MENTOR_INDICATORS
from outcomes.errors import NotFound
from outcomes.indicators import compute_mentor_indicators
from outcomes.mentor_surveys import MentorSurvey
from outcomes.models import Cohort, Mentor

SCALES = {
    "mentor_more_contact": "contact_newcomers",
    "mentor_more_knowledge": "integration_knowledge",
    "mentor_more_engagement": "integration_engagement",
}


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


def rounded(n: int, of: int) -> float | None:
    """n/of half-up to 4 decimals, computed with exact fractions (not the engine's code)."""
    if of == 0:
        return None
    scaled = Fraction(n, of) * 10000
    whole = int(scaled)
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    return whole / 10000


def reference(mentors: list[dict[str, Any]], rows: list[dict[str, Any]], cohort: str | None):
    """The definitions of the README, in plain Python."""

    def block(people: list[dict[str, Any]]) -> dict[str, Any]:
        ids = {m["id"] for m in people}
        done = {
            (r["person"], r["wave"]): r
            for r in rows
            if r["person"] in ids and r["status"] == "complete"
        }
        counts = {name: [0, 0] for name in MENTOR_INDICATORS}
        for m in people:
            start, end = done.get((m["id"], "mentor_start")), done.get((m["id"], "mentor_end"))
            for name, scale in SCALES.items():
                a = start[scale] if start else None
                b = end[scale] if end else None
                if a is not None and b is not None:
                    counts[name][1] += 1
                    counts[name][0] += b > a
            if end and end["satisfaction"] is not None:
                counts["mentor_satisfied"][1] += 1
                counts["mentor_satisfied"][0] += end["satisfaction"] >= 4
            if end and end["mentor_again"] is not None:
                counts["mentor_would_again"][1] += 1
                counts["mentor_would_again"][0] += end["mentor_again"] == "yes"
        measured = sum(1 for m in people if (m["id"], "mentor_end") in done)
        return {
            "mentors": len(people),
            "measured": measured,
            "response_rate": rounded(measured, len(people)),
            "indicators": {
                name: {"n": n, "of": of, "share": rounded(n, of)}
                for name, (n, of) in counts.items()
            },
        }

    chosen = [m for m in mentors if cohort is None or m["cohort"] == cohort]
    cohorts = sorted({m["cohort"] for m in chosen})
    return {
        "filters": {"cohort": cohort},
        "total": block(chosen),
        "groups": [
            {"key": {"cohort": c}, **block([m for m in chosen if m["cohort"] == c])}
            for c in cohorts
        ],
    }


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
        assert compute_mentor_indicators(session, cohort=cohort) == reference(
            mentors, rows, cohort
        ), cohort
    empty = compute_mentor_indicators(session, cohort="c-empty")
    assert empty["total"]["mentors"] == 0
    assert empty["total"]["indicators"]["mentor_satisfied"] == {"n": 0, "of": 0, "share": None}
    assert empty["groups"] == []
    # the data reaches every edge: ties, rises, falls, waves in progress, skipped answers
    assert any(r["status"] == "in_progress" for r in rows)
    total = reference(mentors, rows, None)["total"]["indicators"]
    assert all(0 < v["n"] < v["of"] for v in total.values())


def test_an_unknown_cohort_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        compute_mentor_indicators(session, cohort="nope")
