"""GET /api/v1/indicators/mentors: the one engine's numbers unchanged, for every role."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlmodel import Session

from outcomes.indicators import compute_mentor_indicators
from outcomes.mentor_surveys import MentorSurvey
from outcomes.models import Cohort, Mentor


def test_the_api_gives_the_engines_numbers(client: TestClient, analyst, db) -> None:
    with Session(db) as session:
        session.add(Cohort(id="c1", name="R1", start=date(2025, 2, 1), end=date(2025, 9, 30)))
        session.flush()
        for i, (start, end) in enumerate([(2, 4), (3, 3), (4, 1)]):
            session.add(Mentor(id=f"m{i}", cohort="c1"))
            session.flush()
            for wave, value in (("mentor_start", start), ("mentor_end", end)):
                session.add(
                    MentorSurvey(
                        person=f"m{i}",
                        wave=wave,
                        answered_on=date(2025, 3, 1),
                        status="complete",
                        contact_newcomers=value,
                    )
                )
        session.commit()
        expected = compute_mentor_indicators(session, cohort="c1")
    answer = client.get("/api/v1/indicators/mentors?cohort=c1", headers=analyst)
    assert answer.status_code == 200, answer.text
    assert answer.json() == expected
    assert expected["total"]["indicators"]["mentor_more_contact"] == {
        "n": 1,
        "of": 3,
        "share": 0.3333,
    }
    assert client.get("/api/v1/indicators/mentors?cohort=nope", headers=analyst).status_code == 404
    assert client.get("/api/v1/indicators/mentors").status_code == 401
