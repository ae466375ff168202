"""POST/GET/PATCH /api/v1/announcements: the preview per language, the counts, cancelling, and
bad requests refused with a clear 4xx that stores nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from outcomes.announcements import Announcement, AnnouncementRecipient
from outcomes.clock import today, utcnow
from outcomes.models import AuditLog, Mentor, Pair
from tests.utils.connected import connected_cohort

URL = "/api/v1/announcements"
TEXTS = {"sv": "Jobbmässa på torsdag!", "en": "Job fair on Thursday!"}
PAIRS = 8  # 16 people, two of each of the eight languages


@pytest.fixture
def cohort(db, settings) -> str:
    connected_cohort(
        db, settings, PAIRS, first=800_000_001, now=utcnow(), start=today() - timedelta(days=30)
    )
    return "c-a"


def stored(db) -> tuple[int, int]:
    with Session(db) as session:
        return (
            session.exec(select(func.count()).select_from(Announcement)).one(),
            session.exec(select(func.count()).select_from(AnnouncementRecipient)).one(),
        )


def test_the_preview_counts_people_per_language_and_stores_nothing(
    client: TestClient, staff, cohort, db
):
    for answer in (
        client.post(
            URL,
            headers=staff,
            json={"cohort": cohort, "audience": "cohort", "texts": TEXTS, "dry_run": True},
        ),
        client.post(
            f"{URL}/preview",
            headers=staff,
            json={"cohort": cohort, "audience": "cohort", "texts": TEXTS},
        ),
    ):
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["recipients"], body["not_connected"]) == (16, 0)
        assert body["by_language"]["sv"] == {"recipients": 2, "version": "sv", "note": False}
        assert body["by_language"]["en"] == {"recipients": 2, "version": "en", "note": False}
        assert body["by_language"]["ti"] == {"recipients": 2, "version": "sv", "note": True}
    assert stored(db) == (0, 0)
    with Session(db) as session:  # a mentor who never joined the bot counts as not connected
        session.add(Mentor(id="m-new", cohort=cohort))
        session.commit()
    mentors = client.post(
        URL,
        headers=staff,
        json={"cohort": cohort, "audience": "mentors", "texts": TEXTS, "dry_run": True},
    ).json()
    assert (mentors["recipients"], mentors["not_connected"]) == (PAIRS, 1)
    assert sum(v["recipients"] for v in mentors["by_language"].values()) == PAIRS


def test_sent_it_shows_its_counts_and_a_cancel_stops_the_rest(
    client: TestClient, staff, cohort, db
):
    made = client.post(
        URL, headers=staff, json={"cohort": cohort, "audience": "participants", "texts": TEXTS}
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["state"] == "sending"
    assert body["counts"] == {
        "recipients": PAIRS,
        "pending": PAIRS,
        "sent": 0,
        "delivered": 0,
        "blocked": 0,
        "cancelled": 0,
    }
    one = client.get(f"{URL}/{body['id']}", headers=staff).json()
    assert one["counts"] == body["counts"]
    assert one["texts"] == TEXTS
    stopped = client.patch(f"{URL}/{body['id']}", headers=staff, json={"state": "cancelled"})
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["state"] == "cancelled"
    assert stopped.json()["counts"]["cancelled"] == PAIRS
    again = client.patch(f"{URL}/{body['id']}", headers=staff, json={"state": "cancelled"})
    assert again.json()["counts"]["cancelled"] == PAIRS
    with Session(db) as session:
        actions = [
            a.action
            for a in session.exec(select(AuditLog).where(AuditLog.table_name == "announcement"))
        ]
    assert actions == ["create", "cancel"]
    assert [a["id"] for a in client.get(URL, headers=staff).json()] == [body["id"]]


def test_the_pairs_with_a_flag_get_it_mentor_and_participant(client: TestClient, staff, cohort, db):
    with Session(db) as session:
        for pair in ("pr-1", "pr-4"):
            row = session.get(Pair, pair)
            assert row is not None
            row.ended_on = today()
            session.add(row)
        session.commit()
    made = client.post(
        URL,
        headers=staff,
        json={"cohort": cohort, "audience": "flag", "flag": "ended", "texts": TEXTS},
    )
    assert made.status_code == 201, made.text
    with Session(db) as session:
        people = sorted(r.person for r in session.exec(select(AnnouncementRecipient)))
    assert people == ["m-1", "m-4", "p-1", "p-4"]


BAD = [
    (
        {"cohort": "nope", "audience": "cohort", "texts": TEXTS},
        404,
        "cohort 'nope' does not exist",
    ),
    (
        {"cohort": "c-a", "audience": "cohort", "texts": {"sv": "   ", "en": "Hi"}},
        422,
        "Swedish text",
    ),
    ({"cohort": "c-a", "audience": "cohort", "texts": {"en": "Hi"}}, 422, "Swedish text"),
    (
        {"cohort": "c-a", "audience": "cohort", "texts": {"sv": "Hej", "de": "Hallo"}},
        422,
        "does not speak de",
    ),
    ({"cohort": "c-a", "audience": "flag", "texts": TEXTS}, 422, "needs a flag"),
    ({"cohort": "c-a", "audience": "flag", "flag": "sad", "texts": TEXTS}, 422, "needs a flag"),
    (
        {"cohort": "c-a", "audience": "mentors", "flag": "ended", "texts": TEXTS},
        422,
        "only with audience",
    ),
    ({"cohort": "c-a", "audience": "everyone", "texts": TEXTS}, 422, "audience"),
    ({"cohort": "c-a", "audience": "cohort", "texts": {"sv": "x" * 3501}}, 422, "at most 3500"),
    ({"cohort": "c-a", "audience": "cohort", "texts": TEXTS, "when": "now"}, 422, "when"),
    (
        {"cohort": "c-a", "audience": "flag", "flag": "blocked", "texts": TEXTS},
        422,
        "no one in this audience",
    ),
]


def test_bad_requests_get_a_clear_answer_and_change_nothing(client: TestClient, staff, cohort, db):
    for body, status, says in BAD:
        answer = client.post(URL, headers=staff, json=body)
        assert answer.status_code == status, (body, answer.text)
        assert says in answer.text, body
        assert stored(db) == (0, 0)


def test_analysts_may_not_and_unknown_ids_are_404(client: TestClient, analyst, staff, cohort):
    assert (
        client.post(
            URL, headers=analyst, json={"cohort": cohort, "audience": "cohort", "texts": TEXTS}
        ).status_code
        == 403
    )
    assert client.get(f"{URL}/99", headers=staff).status_code == 404
    assert client.patch(f"{URL}/99", headers=staff, json={"state": "cancelled"}).status_code == 404
    assert client.patch(f"{URL}/99", headers=staff, json={"state": "sending"}).status_code == 422
