"""The group meetings API: planning invites the cohort's connected people (the sender's items
are due at once), bad requests get a clear 4xx and store nothing, staff mark attendance (all or
nothing) and a participant's attendance gives the pair a Meeting of that kind."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import Session, select
from typer.testing import CliRunner

from core.vocab import Gender
from outcomes import group_meetings as gm
from outcomes.clock import set_clock, utcnow
from outcomes.contacts import PersonRole
from outcomes.models import AuditLog, Cohort, Meeting
from outcomes.schedule import allowed_time
from outcomes.schedule_models import ScheduledItem
from stegvis.cli import build_cli
from tests.utils.factories import add_pairs, connect

START = date(2025, 2, 1)


@pytest.fixture
def cohort(db, settings) -> str:
    """Cohort c-1 with three pairs; pairs 0 and 1 have both sides connected, pair 2 nobody."""
    with Session(db) as session:
        session.add(Cohort(id="c-1", name="Round 1", start=START, end=START + timedelta(days=240)))
        add_pairs(session, "c-1", 3, matched_on=START, gender=Gender.man)
        for i in range(2):
            for k, role, person in ((0, PersonRole.participant, "p"), (1, PersonRole.mentor, "m")):
                connect(
                    session,
                    settings,
                    user=700 + 2 * i + k,
                    person=f"{person}-{i}",
                    role=role,
                    pair=f"pair-{i}",
                )
        session.commit()
    return "c-1"


def _soon(days: float = 3) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def _stored(db) -> tuple[int, int, int]:
    with Session(db) as session:
        return (
            session.exec(select(func.count()).select_from(gm.GroupMeeting)).one(),
            session.exec(select(func.count()).select_from(gm.GroupMeetingPerson)).one(),
            session.exec(select(func.count()).select_from(ScheduledItem)).one(),
        )


def test_planning_invites_the_connected_people_at_once(client, staff, db, cohort) -> None:
    body = {"cohort": cohort, "kind": "workshop_interview", "starts_at": _soon(), "place": "Zoom"}
    r = client.post("/api/v1/group-meetings", json=body, headers=staff)
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["counts"] == {"invited": 4, "yes": 0, "no": 0, "no_answer": 4, "attended": 0}
    assert len(got["code"]) == 6
    assert got["code"].isdigit()
    with Session(db) as session:
        items = session.exec(select(ScheduledItem)).all()
    invites = [i for i in items if i.kind == gm.INVITE]
    assert sorted(i.person for i in invites) == ["m-0", "m-1", "p-0", "p-1"]
    assert all(i.due_at <= allowed_time(utcnow()) for i in invites)  # due now (08:00 at night)
    assert len([i for i in items if i.kind == gm.REMINDER]) == 4
    listed = client.get("/api/v1/group-meetings", params={"cohort": cohort}, headers=staff)
    assert [m["id"] for m in listed.json()] == [got["id"]]
    assert client.get(f"/api/v1/group-meetings/{got['id']}", headers=staff).json() == got


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"starts_at": "2020-01-01T10:00:00+01:00"}, 422, "past"),
        ({"cohort": "c-404"}, 404, "c-404"),
        ({"note": {"de": "Hallo"}}, 422, "does not speak 'de'"),
        ({"kind": "individual"}, 422, "individual"),
        ({"kind": "party"}, 422, "kind"),
        ({"place": "  "}, 422, "place"),
        ({"starts_at": "2030-01-01T10:00:00"}, 422, "time zone"),
        ({"ends_at": "2020-01-01T10:00:00+01:00"}, 422, "ends before"),
        ({"starts_at": "9999-12-31T23:30:00+00:00"}, 422, "two years"),
        ({"note": {"sv": "x" * 1001}}, 422, "longer than"),
    ],
)
def test_a_bad_request_is_refused_and_changes_nothing(
    client, staff, db, cohort, change, status, words
) -> None:
    body = {"cohort": cohort, "kind": "kickoff", "starts_at": _soon(), "place": "Room 1", **change}
    r = client.post("/api/v1/group-meetings", json=body, headers=staff)
    assert r.status_code == status, r.text
    assert words in r.text
    assert _stored(db) == (0, 0, 0)


def test_unknown_meeting_and_cohort_are_404_and_analysts_may_not(
    client, staff, analyst, cohort
) -> None:
    assert client.get("/api/v1/group-meetings/99", headers=staff).status_code == 404
    r = client.get("/api/v1/group-meetings", params={"cohort": "c-404"}, headers=staff)
    assert r.status_code == 404
    body = {"cohort": cohort, "kind": "kickoff", "starts_at": _soon(), "place": "Room 1"}
    assert client.post("/api/v1/group-meetings", json=body, headers=analyst).status_code == 403


def test_staff_mark_attendance_all_or_nothing(client, staff, db, cohort) -> None:
    starts = datetime.now(UTC) + timedelta(days=2)
    body = {"cohort": cohort, "kind": "workshop_networking", "starts_at": starts.isoformat()}
    mid = client.post(
        "/api/v1/group-meetings", json={**body, "place": "Room 2"}, headers=staff
    ).json()["id"]
    url = f"/api/v1/group-meetings/{mid}/attendance"
    early = client.post(url, json={"people": [{"person": "p-0"}]}, headers=staff)
    assert early.status_code == 422
    assert "not started" in early.text

    at_meeting = starts + timedelta(minutes=10)
    set_clock(lambda: at_meeting)
    try:
        bad = client.post(
            url, json={"people": [{"person": "p-0"}, {"person": "p-2"}]}, headers=staff
        )
        assert bad.status_code == 404
        assert "p-2" in bad.text
        assert client.get(url, headers=staff).json()["meeting"]["counts"]["attended"] == 0
        ok = client.post(
            url, json={"people": [{"person": "p-0"}, {"person": "m-1"}]}, headers=staff
        )
        assert ok.status_code == 200, ok.text
        got = ok.json()
        assert got["meeting"]["counts"]["attended"] == 2
        assert {p["person"]: p["attended_via"] for p in got["people"] if p["attended"]} == {
            "p-0": "staff",
            "m-1": "staff",
        }
        with Session(db) as session:
            meetings = session.exec(select(Meeting)).all()
            assert [(m.pair, m.kind, m.held_on) for m in meetings] == [
                ("pair-0", "workshop_networking", starts.astimezone(gm.STOCKHOLM).date())
            ]
        again = client.post(url, json={"people": [{"person": "p-0"}]}, headers=staff)
        assert again.json()["meeting"]["counts"]["attended"] == 2  # marked twice: once
        undo = client.post(
            url, json={"people": [{"person": "p-0", "attended": False}]}, headers=staff
        )
        assert undo.json()["meeting"]["counts"]["attended"] == 1
        with Session(db) as session:
            assert session.exec(select(Meeting)).all() == []
            actions = [
                a.action
                for a in session.exec(select(AuditLog).where(AuditLog.table_name == "meeting"))
            ]
            assert actions == ["create", "delete"]
    finally:
        set_clock(None)


def test_the_attendance_indicators_through_the_api(client, staff, analyst, db, cohort) -> None:
    planned = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # inside the cohort's window
    starts = planned + timedelta(days=2)
    body = {"cohort": cohort, "kind": "kickoff", "starts_at": starts.isoformat(), "place": "Hall"}
    set_clock(lambda: planned)
    try:
        mid = client.post("/api/v1/group-meetings", json=body, headers=staff).json()["id"]
        set_clock(lambda: starts)
        url = f"/api/v1/group-meetings/{mid}/attendance"
        people = [{"person": "p-0"}, {"person": "m-0"}, {"person": "m-1"}]
        assert client.post(url, json={"people": people}, headers=staff).status_code == 200
    finally:
        set_clock(None)
    r = client.get("/api/v1/indicators/group-meetings", headers=analyst)
    assert r.status_code == 200, r.text
    [entry] = r.json()["cohorts"]
    assert entry["enrolled"] == 3
    assert entry["kickoff"] == {"n": 1, "of": 3, "share": 0.3333}  # mentors are not counted
    assert entry["workshop_interview"]["n"] == 0
    missing = client.get("/api/v1/indicators/group-meetings?cohort=c-404", headers=analyst)
    assert missing.status_code == 404
    cli = CliRunner().invoke(build_cli(), ["indicators", "--group-meetings", "--json"])
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.stdout) == r.json()  # the same numbers on the command line
