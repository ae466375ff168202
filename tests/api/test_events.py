"""Events are never silently overwritten: corrections and voidings keep history with who and when."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from outcomes.indicators import compute_indicators
from tests.utils.factories import make_participant, make_survey

EVENT = {
    "id": "e1",
    "participant": "p1",
    "type": "job_started",
    "occurred_on": "2025-04-01",
    "source": "mentor",
    "attributes": {"extent": "part_time", "relevant": True},
}


def _setup(session: Session) -> None:
    make_participant(session, id="p1")
    session.commit()


def test_record_read_and_list_an_event(client: TestClient, staff, session: Session) -> None:
    _setup(session)
    created = client.post("/api/v1/events", json=EVENT, headers=staff)
    assert created.status_code == 201, created.text
    event = created.json()
    assert event["version"] == 1
    assert event["status"] == "confirmed"
    assert event["attributes"] == {"extent": "part_time", "relevant": True}
    assert event["recorded_by"] == "staff-1"
    assert client.get("/api/v1/events/e1", headers=staff).json() == event
    assert client.get("/api/v1/events", headers=staff).json()["items"] == [event]
    # without an id one is made
    no_id = client.post(
        "/api/v1/events", json={k: v for k, v in EVENT.items() if k != "id"}, headers=staff
    )
    assert no_id.status_code == 201
    assert no_id.json()["id"].startswith("ev-")


def test_an_existing_event_cannot_be_overwritten_by_post(client, staff, session) -> None:
    _setup(session)
    client.post("/api/v1/events", json=EVENT, headers=staff)
    again = client.post(
        "/api/v1/events", json={**EVENT, "occurred_on": "2025-05-01"}, headers=staff
    )
    assert again.status_code == 409
    assert "correct it instead" in again.json()["detail"]
    assert client.get("/api/v1/events/e1", headers=staff).json()["occurred_on"] == "2025-04-01"


def test_correction_bumps_the_version_and_keeps_the_earlier_one(client, staff, admin, session):
    _setup(session)
    client.post("/api/v1/events", json=EVENT, headers=staff)
    fixed = client.patch(
        "/api/v1/events/e1",
        json={"occurred_on": "2025-04-03", "attributes": {"extent": "full_time"}},
        headers=admin,
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["version"] == 2
    assert fixed.json()["occurred_on"] == "2025-04-03"
    assert fixed.json()["attributes"] == {"extent": "full_time"}
    history = client.get("/api/v1/events/e1/history", headers=staff).json()
    assert [(h["action"], h["actor"]) for h in history] == [
        ("create", "staff-1"),
        ("correct", "admin-1"),
    ]
    correction = history[1]
    assert correction["before"]["occurred_on"] == "2025-04-01"
    assert correction["before"]["extent"] == "part_time"
    assert correction["before"]["version"] == 1
    assert correction["after"]["occurred_on"] == "2025-04-03"
    assert correction["after"]["version"] == 2
    assert correction["at"] >= history[0]["at"]


def test_a_correction_that_changes_nothing_is_not_a_new_version(client, staff, session) -> None:
    _setup(session)
    client.post("/api/v1/events", json=EVENT, headers=staff)
    same = client.patch("/api/v1/events/e1", json={"occurred_on": "2025-04-01"}, headers=staff)
    assert same.json()["version"] == 1
    assert len(client.get("/api/v1/events/e1/history", headers=staff).json()) == 1


def test_void_keeps_the_event_and_it_stops_counting(client, staff, session) -> None:
    _setup(session)
    make_survey(session, participant="p1", wave="baseline", answers={"employment": "none"})
    session.commit()
    client.post("/api/v1/events", json=EVENT, headers=staff)
    with Session(session.get_bind()) as s:
        assert compute_indicators(s, basis="enrolled")["total"]["indicators"]["got_job"]["n"] == 1
    voided = client.post("/api/v1/events/e1/void", headers=staff)
    assert voided.status_code == 200
    assert voided.json()["status"] == "voided"
    assert voided.json()["version"] == 2
    assert client.get("/api/v1/events/e1", headers=staff).json()["status"] == "voided"
    history = client.get("/api/v1/events/e1/history", headers=staff).json()
    assert history[-1]["action"] == "void"
    assert history[-1]["before"]["status"] == "confirmed"
    with Session(session.get_bind()) as s:
        assert compute_indicators(s, basis="enrolled")["total"]["indicators"]["got_job"]["n"] == 0
    # voiding again changes nothing more
    again = client.post("/api/v1/events/e1/void", headers=staff)
    assert again.json()["version"] == 2


def test_bad_corrections_are_refused_and_change_nothing(client, staff, session) -> None:
    _setup(session)
    client.post("/api/v1/events", json=EVENT, headers=staff)
    for body, words in (
        ({"type": None}, "'type' cannot be empty"),
        ({"occurred_on": None}, "'occurred_on' cannot be empty"),
        ({"participant": "p2"}, "Extra inputs"),
        ({"version": 7}, "Extra inputs"),
        ({"type": "got_rich"}, "type"),
        ({"attributes": {"extent": "sometimes"}}, "extent"),
    ):
        response = client.patch("/api/v1/events/e1", json=body, headers=staff)
        assert response.status_code == 422, body
        assert words in response.text
    event = client.get("/api/v1/events/e1", headers=staff).json()
    assert event["version"] == 1
    assert event["type"] == "job_started"
    assert client.patch("/api/v1/events/nope", json={}, headers=staff).status_code == 404
    assert client.post("/api/v1/events/nope/void", headers=staff).status_code == 404
    assert client.get("/api/v1/events/nope/history", headers=staff).status_code == 404


def test_an_event_of_an_unknown_participant_is_refused(client, staff, session) -> None:
    _setup(session)
    response = client.post("/api/v1/events", json={**EVENT, "participant": "ghost"}, headers=staff)
    assert response.status_code == 404
    assert "participant 'ghost' does not exist" in response.json()["detail"]
