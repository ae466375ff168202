"""Staff see a pair's schedule and move an item: GET /pairs/{id}/schedule, PATCH /schedule/{id}."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from outcomes import schedule
from outcomes.clock import STOCKHOLM
from outcomes.models import AuditLog
from tests.api import conftest as api_fixtures
from tests.utils.pairs import make_pair

# the staff API's fixtures (app, client, a token per role), shared with tests/api
app, client, tokens = api_fixtures.app, api_fixtures.client, api_fixtures.tokens
admin, staff, analyst = api_fixtures.admin, api_fixtures.staff, api_fixtures.analyst


@pytest.fixture
def api(client: TestClient) -> TestClient:
    """A client of the staff API (api/main.py mounts api/routes/schedule.py)."""
    return client


@pytest.fixture
def planned(db) -> str:
    ids = make_pair(db, start=datetime(2025, 2, 1).date(), cohort="c-api")
    with Session(db) as session:
        onboarded = datetime(2025, 2, 3, 10, tzinfo=STOCKHOLM)
        schedule.plan_person(
            session,
            pair_id=ids.pair,
            role="participant",
            person=ids.participant,
            onboarded=onboarded,
        )
        schedule.plan_person(
            session, pair_id=ids.pair, role="mentor", person=ids.mentor, onboarded=onboarded
        )
        session.commit()
    return ids.pair


def test_staff_see_the_whole_schedule_soonest_first(api: TestClient, staff, planned) -> None:
    body = api.get(f"/api/v1/pairs/{planned}/schedule", headers=staff).json()
    items = body["items"]
    assert body["pair"] == planned
    assert items[0]["kind"] == "baseline"
    assert {i["kind"] for i in items[-2:]} == {"result", "mentor_end"}  # the last two weeks
    assert [i["due_at"] for i in items] == sorted(i["due_at"] for i in items)
    assert {i["role"] for i in items if i["kind"] == "checkin"} == {"participant", "mentor"}
    assert all(i["state"] == "pending" and i["deliveries"] == [] for i in items)


def test_staff_move_an_item_out_of_the_night_and_it_is_audited(
    api: TestClient, staff, planned, db
) -> None:
    item = api.get(f"/api/v1/pairs/{planned}/schedule", headers=staff).json()["items"][3]
    moved = api.patch(
        f"/api/v1/schedule/{item['id']}",
        headers=staff,
        json={"due_at": "2025-03-04T23:30:00+01:00"},
    )
    assert moved.status_code == 200, moved.text
    due = datetime.fromisoformat(moved.json()["due_at"]).astimezone(STOCKHOLM)
    assert (due.date().isoformat(), due.hour) == ("2025-03-05", 8)  # after the quiet hours
    with Session(db) as session:
        [entry] = session.exec(select(AuditLog).where(AuditLog.table_name == "scheduled_item"))
        assert entry.actor == "staff-1"
        assert entry.record_id == str(item["id"])


def test_moving_needs_a_time_zone_and_a_pending_item(api: TestClient, staff, planned, db) -> None:
    items = api.get(f"/api/v1/pairs/{planned}/schedule", headers=staff).json()["items"]
    naive = api.patch(
        f"/api/v1/schedule/{items[0]['id']}", headers=staff, json={"due_at": "2025-03-04T10:00:00"}
    )
    assert naive.status_code == 422
    with Session(db) as session:
        schedule.mark_answered(session, pair=planned, role="participant", kind="baseline")
        session.commit()
    answered = api.patch(
        f"/api/v1/schedule/{items[0]['id']}",
        headers=staff,
        json={"due_at": "2025-03-04T10:00:00+01:00"},
    )
    assert answered.status_code == 422
    assert "pending" in answered.json()["detail"]
    assert (
        api.patch(
            "/api/v1/schedule/999999", headers=staff, json={"due_at": "2025-03-04T10:00:00+01:00"}
        ).status_code
        == 404
    )
    assert api.get("/api/v1/pairs/nope/schedule", headers=staff).status_code == 404


def test_only_staff_and_admins(api: TestClient, analyst, admin, planned) -> None:
    assert api.get(f"/api/v1/pairs/{planned}/schedule").status_code == 401
    assert api.get(f"/api/v1/pairs/{planned}/schedule", headers=analyst).status_code == 403
    assert (
        api.patch(
            "/api/v1/schedule/1", headers=analyst, json={"due_at": "2025-03-04T10:00:00+01:00"}
        ).status_code
        == 403
    )
    assert api.get(f"/api/v1/pairs/{planned}/schedule", headers=admin).status_code == 200
