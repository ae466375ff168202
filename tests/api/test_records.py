"""Create, read, update and list every record type through the API; pagination and filters."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from outcomes.models import AuditLog, Cohort
from tests.utils.factories import (
    make_cohort,
    make_event,
    make_meeting,
    make_pair,
    make_participant,
    make_survey,
)

COHORT = {
    "id": "c1",
    "name": "Round 1",
    "start": "2025-01-01",
    "end": "2025-12-31",
    "region": "Skåne",
    "targets": {"participants": 40, "job_or_steps": 0.9},
}


def _seed_people(client: TestClient, staff: dict[str, str]) -> None:
    assert client.post("/api/v1/cohorts", json=COHORT, headers=staff).status_code == 201
    for body, path in (
        (
            {
                "id": "p1",
                "cohort": "c1",
                "gender": "woman",
                "birth_year": 1988,
                "migration_category": "family",
                "language": "ar",
            },
            "participants",
        ),
        ({"id": "m1", "cohort": "c1", "occupation_field": "nursing"}, "mentors"),
        ({"id": "pair1", "mentor": "m1", "participant": "p1", "matched_on": "2025-01-20"}, "pairs"),
    ):
        response = client.post(f"/api/v1/{path}", json=body, headers=staff)
        assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("path", "body", "change"),
    [
        ("cohorts", COHORT, {"name": "Round 1 (spring)"}),
        (
            "participants",
            {"id": "p9", "cohort": "c1", "gender": "man", "arm": "control"},
            {"left_on": "2025-06-30", "education_level": "tertiary"},
        ),
        ("mentors", {"id": "m9", "cohort": "c1", "language": "sv"}, {"occupation_field": "IT"}),
        (
            "pairs",
            {"id": "pair9", "mentor": "m1", "participant": "p1", "matched_on": "2025-02-01"},
            {"ended_on": "2025-11-30"},
        ),
    ],
)
def test_create_read_update_round_trip(
    client: TestClient, staff, session: Session, path: str, body: dict, change: dict
) -> None:
    if path != "cohorts":
        _seed_people(client, staff)
    created = client.post(f"/api/v1/{path}", json=body, headers=staff)
    assert created.status_code == 201, created.text
    assert {k: created.json()[k] for k in body} == body
    read = client.get(f"/api/v1/{path}/{body['id']}", headers=staff)
    assert read.json() == created.json()
    updated = client.patch(f"/api/v1/{path}/{body['id']}", json=change, headers=staff)
    assert updated.status_code == 200, updated.text
    assert client.get(f"/api/v1/{path}/{body['id']}", headers=staff).json() == {
        **created.json(),
        **change,
    }
    # the earlier version is in the audit log, with who changed it
    entry = session.exec(
        select(AuditLog).where(AuditLog.record_id == body["id"], AuditLog.action == "update")
    ).one()
    assert entry.actor == "staff-1"
    assert all(entry.before[k] == v for k, v in body.items() if k != "targets")


def test_public_records_carry_no_names_or_chat_ids(client: TestClient, staff) -> None:
    _seed_people(client, staff)
    person = client.get("/api/v1/participants/p1", headers=staff).json()
    assert not {"name", "first_name", "phone", "chat_id", "telegram_id", "user_id"} & set(person)


def test_creating_an_existing_id_is_a_conflict_and_keeps_the_stored_one(client, staff) -> None:
    _seed_people(client, staff)
    again = client.post("/api/v1/cohorts", json={**COHORT, "name": "Other"}, headers=staff)
    assert again.status_code == 409
    assert "exists already" in again.json()["detail"]
    assert client.get("/api/v1/cohorts/c1", headers=staff).json()["name"] == "Round 1"


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "words"),
    [
        ("GET", "/api/v1/cohorts/nope", None, 404, "cohort 'nope' does not exist"),
        ("PATCH", "/api/v1/mentors/nope", {"language": "sv"}, 404, "does not exist"),
        (
            "POST",
            "/api/v1/participants",
            {"id": "p2", "cohort": "ghost", "gender": "woman"},
            422,
            "cohort 'ghost' does not exist",
        ),
        (
            "POST",
            "/api/v1/participants",
            {"id": "p2", "cohort": "c1", "gender": "female"},
            422,
            "gender",
        ),
        (
            "POST",
            "/api/v1/participants",
            {"id": "p2", "cohort": "c1", "gender": "woman", "name": "Amina"},
            422,
            "Extra inputs",
        ),
        (
            "POST",
            "/api/v1/cohorts",
            {**COHORT, "id": "c2", "end": "2024-12-31"},
            422,
            "ends (2024-12-31) before it starts",
        ),
        ("POST", "/api/v1/cohorts", {**COHORT, "id": "c2", "start": "2025-02-30"}, 422, "date"),
        ("PATCH", "/api/v1/cohorts/c1", {"id": "c7"}, 422, "Extra inputs"),
        ("PATCH", "/api/v1/cohorts/c1", {"end": "2024-01-01"}, 422, "before it starts"),
        ("PATCH", "/api/v1/cohorts/c1", {"name": None}, 422, "'name' cannot be empty"),
        ("PATCH", "/api/v1/participants/p1", {"joined_on": "2026-03-01"}, 422, "before it starts"),
        ("PATCH", "/api/v1/participants/p1", {"cohort": "ghost"}, 422, "does not exist"),
        ("GET", "/api/v1/cohorts/bad id!", None, 422, "pattern"),
    ],
)
def test_bad_requests_get_clear_errors_and_change_nothing(
    client: TestClient, staff, method: str, path: str, body, status: int, words: str
) -> None:
    _seed_people(client, staff)
    before = {
        p: client.get(f"/api/v1/{p}", headers=staff).json()
        for p in ("cohorts", "participants", "mentors")
    }
    response = client.request(method, path, json=body, headers=staff)
    assert response.status_code == status, response.text
    assert words in response.text
    after = {p: client.get(f"/api/v1/{p}", headers=staff).json() for p in before}
    assert after == before


def test_pagination(client: TestClient, staff, session: Session) -> None:
    for i in range(7):
        make_cohort(session, id=f"c{i:02d}")
    session.commit()
    page = client.get("/api/v1/cohorts?limit=3&offset=0", headers=staff).json()
    assert [c["id"] for c in page["items"]] == ["c00", "c01", "c02"]
    assert (page["total"], page["limit"], page["offset"]) == (7, 3, 0)
    last = client.get("/api/v1/cohorts?limit=3&offset=6", headers=staff).json()
    assert [c["id"] for c in last["items"]] == ["c06"]
    assert client.get("/api/v1/cohorts?limit=100", headers=staff).status_code == 200
    too_many = client.get("/api/v1/cohorts?limit=101", headers=staff)
    assert too_many.status_code == 422
    assert "100" in too_many.text
    assert client.get("/api/v1/cohorts?limit=0", headers=staff).status_code == 422
    assert client.get("/api/v1/cohorts?offset=-1", headers=staff).status_code == 422
    default = client.get("/api/v1/cohorts", headers=staff).json()
    assert default["limit"] == 50
    assert len(default["items"]) == 7


@pytest.fixture
def two_cohorts(session: Session) -> dict[str, str]:
    """Two cohorts with a pair, events, surveys and a meeting each."""
    a = make_cohort(session, id="ca", start=date(2024, 1, 1), end=date(2024, 12, 31))
    b = make_cohort(session, id="cb")
    for cohort, person, year in ((a, "pa", 2024), (b, "pb", 2025)):
        make_participant(session, id=person, cohort=cohort)
        pair = make_pair(
            session, id=f"pair-{person}", participant=person, matched_on=date(year, 2, 1)
        )
        make_event(
            session,
            id=f"{person}-cv",
            participant=person,
            type="cv_improved",
            occurred_on=date(year, 3, 1),
        )
        make_event(
            session,
            id=f"{person}-job",
            participant=person,
            type="job_started",
            occurred_on=date(year, 9, 1),
            extent="full_time",
        )
        make_survey(session, participant=person, wave="baseline", answered_on=date(year, 1, 5))
        make_meeting(session, id=f"mt-{person}", pair=pair, held_on=date(year, 2, 10))
    session.commit()
    return {"a": "ca", "b": "cb"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("events?cohort=ca", {"pa-cv", "pa-job"}),
        ("events?participant=pb", {"pb-cv", "pb-job"}),
        ("events?type=job_started", {"pa-job", "pb-job"}),
        ("events?type=job_started&cohort=cb", {"pb-job"}),
        ("events?from=2024-03-01&to=2025-03-01", {"pa-cv", "pa-job", "pb-cv"}),
        ("events?from=2025-03-02", {"pb-job"}),
        ("events?to=2024-02-28", set()),
        ("pairs?cohort=cb", {"pair-pb"}),
        ("pairs?from=2025-01-01", {"pair-pb"}),
        ("meetings?cohort=ca", {"mt-pa"}),
        ("meetings?participant=pb", {"mt-pb"}),
        ("meetings?to=2024-12-31", {"mt-pa"}),
        ("participants?cohort=ca", {"pa"}),
        ("participants?from=2025-06-01", {"pb"}),
        ("cohorts?from=2024-06-01&to=2024-07-01", {"ca"}),
        ("cohorts?participant=pb", {"cb"}),
    ],
)
def test_list_filters(client: TestClient, staff, two_cohorts, query: str, expected: set) -> None:
    response = client.get(f"/api/v1/{query}", headers=staff)
    assert response.status_code == 200, response.text
    page = response.json()
    assert {item["id"] for item in page["items"]} == expected
    assert page["total"] == len(expected)


def test_survey_filters_and_unknown_type(client: TestClient, staff, two_cohorts) -> None:
    surveys = client.get("/api/v1/surveys?cohort=cb", headers=staff).json()["items"]
    assert [(s["participant"], s["wave"]) for s in surveys] == [("pb", "baseline")]
    assert client.get("/api/v1/surveys?from=2026-01-01", headers=staff).json()["total"] == 0
    bad = client.get("/api/v1/events?type=got_rich", headers=staff)
    assert bad.status_code == 422
    window = client.get("/api/v1/events?from=2025-02-01&to=2025-01-01", headers=staff)
    assert window.status_code == 422
    assert "ends (2025-01-01) before it starts (2025-02-01)" in window.json()["detail"]


def test_surveys_create_read_update(client: TestClient, staff, session: Session) -> None:
    make_participant(session, id="p1")
    session.commit()
    body = {
        "participant": "p1",
        "wave": "result",
        "answered_on": "2025-12-01",
        "answers": {
            "employment": "part_time",
            "job_relevant": True,
            "interviews_last_2_months": 2,
            "items": {"cv_improved": True},
            "program_contributed": {"job": "yes"},
            "satisfaction": 4,
        },
    }
    created = client.post("/api/v1/surveys", json=body, headers=staff)
    assert created.status_code == 201, created.text
    sid = created.json()["id"]
    assert created.json()["answers"] == body["answers"]
    assert client.get(f"/api/v1/surveys/{sid}", headers=staff).json() == created.json()
    # the same wave again is a conflict, the stored answers stay
    again = client.post(
        "/api/v1/surveys", json={**body, "answers": {"employment": "none"}}, headers=staff
    )
    assert again.status_code == 409
    assert f"survey {sid}" in again.json()["detail"]
    # an update replaces the answers; the earlier ones are in the audit log
    new_answers = {"employment": "full_time", "job_changed": True}
    updated = client.patch(f"/api/v1/surveys/{sid}", json={"answers": new_answers}, headers=staff)
    assert updated.status_code == 200, updated.text
    assert updated.json()["answers"] == new_answers
    assert updated.json()["answered_on"] == "2025-12-01"
    entry = session.exec(
        select(AuditLog).where(
            AuditLog.table_name == "survey_response", AuditLog.action == "update"
        )
    ).one()
    assert entry.before["employment"] == "part_time"
    assert entry.actor == "staff-1"
    bad = client.post(
        "/api/v1/surveys",
        json={**body, "wave": "followup_1", "answers": {"interviews_last_2_months": -1}},
        headers=staff,
    )
    assert bad.status_code == 422
    assert client.get("/api/v1/surveys/999999", headers=staff).status_code == 404


def test_meetings_log_merge_and_update(client: TestClient, staff, session: Session) -> None:
    make_pair(session, id="pair1")
    session.commit()
    body = {"pair": "pair1", "held_on": "2025-02-03", "kind": "individual", "activities": ["cv"]}
    first = client.post("/api/v1/meetings", json=body, headers=staff)
    assert first.status_code == 201, first.text
    assert first.json()["logged_by"] == "staff"
    merged = client.post(
        "/api/v1/meetings", json={**body, "activities": ["language", "cv"]}, headers=staff
    )
    assert merged.status_code == 200
    assert merged.json()["id"] == first.json()["id"]
    assert merged.json()["activities"] == ["cv", "language"]
    mid = first.json()["id"]
    changed = client.patch(
        f"/api/v1/meetings/{mid}", json={"kind": "workshop_interview"}, headers=staff
    )
    assert changed.status_code == 200
    assert changed.json()["kind"] == "workshop_interview"
    assert (
        client.post("/api/v1/meetings", json={**body, "pair": "ghost"}, headers=staff).status_code
        == 404
    )
    listed = client.get("/api/v1/meetings", headers=staff).json()
    assert listed["total"] == 1


def test_a_meeting_moved_onto_another_of_the_same_pair_is_a_conflict(client, staff, session):
    pair = make_pair(session, id="pair1")
    make_meeting(session, id="mt1", pair=pair, held_on=date(2025, 2, 1))
    make_meeting(session, id="mt2", pair=pair, held_on=date(2025, 2, 8))
    session.commit()
    response = client.patch("/api/v1/meetings/mt2", json={"held_on": "2025-02-01"}, headers=staff)
    assert response.status_code == 409
    assert client.get("/api/v1/meetings/mt2", headers=staff).json()["held_on"] == "2025-02-08"


def test_one_transaction_per_request(client: TestClient, staff, db) -> None:
    """A failing request leaves nothing behind, a succeeding one is committed for everyone."""
    client.post("/api/v1/cohorts", json=COHORT, headers=staff)
    with Session(db) as other:
        assert other.get(Cohort, "c1") is not None
    response = client.post(
        "/api/v1/participants",
        json={"id": "p1", "cohort": "c1", "gender": "woman", "joined_on": "2026-02-01"},
        headers=staff,
    )
    assert response.status_code == 422
    with Session(db) as other:
        rows = other.exec(select(AuditLog).where(AuditLog.record_id == "p1")).all()
        assert rows == []


@pytest.mark.parametrize(
    "body",
    [
        '{"id": "c2", "name": "x", "start": "2025-01-01", "end": "2025-02-01", '
        '"targets": {"participants": Infinity}}',
        '{"id": "c2", "name": "x", "start": "2025-01-01", "end": "2025-02-01", '
        '"targets": {"got_job": NaN}}',
        '{"id": "c2", "name": "x", "start": "2025-01-01", "end": "2025-02-01", '
        '"targets": {"participants": 1e400}}',
    ],
)
def test_numbers_json_cannot_carry_are_refused_not_a_crash(client: TestClient, staff, body) -> None:
    """Python's JSON parser accepts NaN and Infinity; they must get a 422, not a 500."""
    response = client.post(
        "/api/v1/cohorts", content=body, headers={**staff, "content-type": "application/json"}
    )
    assert response.status_code == 422
    assert "finite number" in response.text
