"""Pair health (outcomes/health.py): the four flags at their edges, sorting, filtering, timeline."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from outcomes import service
from outcomes.errors import Invalid
from outcomes.health import flag_counts, pair_health, pair_timeline
from outcomes.schedule_models import Delivery, ScheduledItem
from tests.utils.factories import (
    make_cohort,
    make_event,
    make_meeting,
    make_mentor,
    make_pair,
    make_participant,
)

TODAY = date(2025, 6, 30)
AT = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)


def health(session: Session, **kwargs) -> dict[str, dict]:
    items, _total = pair_health(session, day=TODAY, limit=1000, **kwargs)
    return {i.pair: i.as_dict() for i in items}


def checkin(
    session: Session, pair, sequence: int, state: str, *, role="participant", attempt=1
) -> ScheduledItem:
    item = ScheduledItem(
        pair=pair.id,
        role=role,
        person=pair.participant if role == "participant" else pair.mentor,
        kind="checkin",
        sequence=sequence,
        due_at=AT + timedelta(days=30 * sequence),
        attempt=attempt,
        state=state,
        updated_at=AT + timedelta(days=30 * sequence, hours=2),
    )
    session.add(item)
    session.flush()
    return item


def delivery(session: Session, item: ScheduledItem, outcome: str, detail: str | None = None):
    session.add(
        Delivery(
            item_id=item.id,
            attempt=item.attempt,
            outcome=outcome,
            detail=detail,
            started_at=AT,
            sent_at=AT,
        )
    )
    session.flush()


@pytest.fixture
def cohort(session: Session):
    return make_cohort(session, start=date(2025, 1, 1), end=date(2025, 12, 31))


def pair_in(session, cohort, **kwargs):
    """A pair whose mentor and participant are in ``cohort``."""
    mentor = make_mentor(session, cohort=cohort)
    participant = make_participant(session, cohort=cohort)
    return make_pair(session, mentor=mentor, participant=participant, **kwargs)


def test_no_meeting_in_45_days_counts_from_the_last_meeting_or_the_matching(
    session, cohort
) -> None:
    day45 = TODAY - timedelta(days=45)
    recent = pair_in(session, cohort, id="recent", matched_on=date(2025, 1, 10))
    make_meeting(session, pair=recent, held_on=day45)  # exactly 45 days ago: still in time
    old = pair_in(session, cohort, id="old", matched_on=date(2025, 1, 10))
    make_meeting(session, pair=old, held_on=day45 - timedelta(days=1))
    new = pair_in(session, cohort, id="new", matched_on=day45)  # matched 45 days ago, no meeting
    never = pair_in(session, cohort, id="never", matched_on=day45 - timedelta(days=1))
    h = health(session)
    assert h["recent"]["flags"] == []
    assert h["recent"]["last_meeting"] == day45.isoformat()
    assert h["old"]["flags"] == ["no_meeting_45d"]
    assert h["new"]["flags"] == []
    assert h["never"]["flags"] == ["no_meeting_45d"]
    assert h["never"]["last_meeting"] is None
    assert {recent.id, old.id, new.id, never.id} == set(h)


def test_the_last_two_sent_checkins_unanswered(session, cohort) -> None:
    two = pair_in(session, cohort, id="two", matched_on=TODAY)
    checkin(session, two, 1, "answered")
    checkin(session, two, 2, "expired")
    checkin(session, two, 3, "pending", attempt=2)  # sent, reminders still to come
    checkin(session, two, 4, "pending", attempt=0)  # not sent yet: does not count
    one = pair_in(session, cohort, id="one", matched_on=TODAY)
    checkin(session, one, 1, "expired")
    checkin(session, one, 2, "answered")
    checkin(session, one, 3, "expired")
    cancelled = pair_in(session, cohort, id="cancelled", matched_on=TODAY)
    checkin(session, cancelled, 1, "expired")
    checkin(session, cancelled, 2, "cancelled")
    mentor_side = pair_in(session, cohort, id="mentorside", matched_on=TODAY)
    checkin(session, mentor_side, 1, "expired", role="mentor")
    checkin(session, mentor_side, 2, "expired", role="mentor")
    h = health(session)
    assert h["two"]["flags"] == ["checkins_unanswered"]
    assert h["two"]["last_checkin_answered"] == "2025-07-01"  # when sequence 1 was answered
    assert h["one"]["flags"] == []
    assert h["cancelled"]["flags"] == []
    assert h["mentorside"]["flags"] == []  # only check-ins sent to the participant count


def test_blocked_is_the_latest_delivery_to_either_person(session, cohort) -> None:
    mentor_blocked = pair_in(session, cohort, id="mb", matched_on=TODAY)
    item = checkin(session, mentor_blocked, 1, "cancelled", role="mentor")
    delivery(session, item, "unreachable", "blocked")
    unblocked = pair_in(session, cohort, id="ub", matched_on=TODAY)
    first = checkin(session, unblocked, 1, "cancelled")
    delivery(session, first, "unreachable", "blocked")
    later = checkin(session, unblocked, 2, "answered")
    delivery(session, later, "sent")  # they came back: a later message went through
    gone = pair_in(session, cohort, id="gone", matched_on=TODAY)
    delivery(session, checkin(session, gone, 1, "cancelled"), "unreachable", "chat not found")
    h = health(session)
    assert h["mb"]["flags"] == ["blocked"]
    assert h["ub"]["flags"] == []
    assert h["gone"]["flags"] == []


def test_ended_pairs_and_ended_rounds_need_no_call(session, cohort) -> None:
    ended = pair_in(session, cohort, id="ended", matched_on=date(2025, 1, 10), ended_on=TODAY)
    later = pair_in(
        session, cohort, id="later", matched_on=date(2025, 1, 10), ended_on=TODAY + timedelta(1)
    )
    past = make_cohort(session, start=date(2024, 1, 1), end=date(2024, 12, 31))
    over = pair_in(session, past, id="over", matched_on=date(2024, 1, 10))
    h = health(session)
    assert h[ended.id]["flags"] == ["ended"]
    assert h[later.id]["flags"] == ["no_meeting_45d"]
    assert h[over.id]["flags"] == ["ended"]
    counts = flag_counts(session, day=TODAY)
    assert counts == {
        "all": 3,
        "no_meeting_45d": 1,
        "checkins_unanswered": 0,
        "blocked": 0,
        "ended": 2,
    }
    assert set(health(session, flag="ended")) == {"ended", "over"}
    assert set(health(session, cohort=past.id)) == {"over"}


def test_steps_sorting_and_paging(session, cohort) -> None:
    a = pair_in(session, cohort, id="a", matched_on=TODAY)
    b = pair_in(session, cohort, id="b", matched_on=TODAY)
    c = pair_in(session, cohort, id="c", matched_on=date(2025, 1, 2))
    for _ in range(3):
        make_event(session, participant=b.participant)
    make_event(session, participant=b.participant, type="job_ended")  # no step
    make_event(session, participant=b.participant, status="voided")  # does not count
    make_event(session, participant=a.participant)
    assert health(session)["b"]["steps"] == 3
    by_steps, total = pair_health(session, day=TODAY, sort="steps")
    assert [i.pair for i in by_steps] == ["b", "a", "c"]
    assert total == 3
    oldest_first, _ = pair_health(session, day=TODAY, sort="matched_on", descending=False)
    assert [i.pair for i in oldest_first] == ["c", "a", "b"]
    flagged_first, _ = pair_health(session, day=TODAY)
    assert flagged_first[0].pair == c.id  # the only flagged one
    page, total = pair_health(session, day=TODAY, sort="pair", limit=2, offset=2)
    assert [i.pair for i in page] == ["c"]
    assert total == 3
    with pytest.raises(Invalid):
        pair_health(session, flag="lonely")


def test_the_timeline_has_every_kind_newest_first_with_an_events_history(session, cohort) -> None:
    pair = pair_in(session, cohort, id="t1", matched_on=date(2025, 1, 10))
    make_meeting(session, pair=pair, held_on=date(2025, 2, 1))
    event = make_event(session, participant=pair.participant, occurred_on=date(2025, 3, 1))
    service.void_event(session, event_id=event.id, actor="web:anna@example.org")
    item = checkin(session, pair, 1, "answered")
    delivery(session, item, "sent")
    entries = pair_timeline(session, pair.id)
    assert [e.kind for e in entries] == ["checkin", "event", "meeting", "matched"]
    voided = entries[1]
    assert voided.record.status == "voided"
    assert [h.action for h in voided.history] == ["create", "void"]
    assert voided.history[-1].actor == "web:anna@example.org"
