"""The schedule: planned sends per pair, quiet hours, atomic claims, reminders, no double sends."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from outcomes import schedule
from outcomes.clock import STOCKHOLM
from outcomes.importer import import_jsonl
from outcomes.schedule_models import Delivery, ScheduledItem


def _pair(session: Session, *, start: str = "2025-01-13", end: str = "2025-09-12") -> None:
    lines = [
        {"kind": "cohort", "id": "c1", "name": "VT25", "start": start, "end": end},
        {"kind": "participant", "id": "p1", "cohort": "c1", "gender": "woman"},
        {"kind": "mentor", "id": "m1", "cohort": "c1"},
        {"kind": "pair", "id": "pr1", "mentor": "m1", "participant": "p1", "matched_on": start},
    ]
    import_jsonl(session, [json.dumps(x) for x in lines])
    session.commit()


def local(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=STOCKHOLM)


def test_participant_gets_baseline_checkins_followups_and_result(session: Session) -> None:
    _pair(session)
    added = schedule.plan_person(
        session, pair_id="pr1", role="participant", person="p1", onboarded=local(2025, 1, 14, 12)
    )
    session.commit()
    items = schedule.pair_schedule(session, "pr1")
    kinds = [(i.kind, i.sequence) for i in items]
    assert added == len(items)
    assert kinds[0] == ("baseline", 0)
    assert ("followup_1", 0) in kinds
    assert ("followup_2", 0) in kinds
    assert kinds[-1] == ("result", 0)
    result = items[-1].due_at.astimezone(STOCKHOLM).date()
    assert date(2025, 8, 29) <= result <= date(2025, 9, 12)  # the last two weeks of the window
    checkins = [i for i in items if i.kind == "checkin"]
    assert [c.sequence for c in checkins] == list(range(1, len(checkins) + 1))
    assert len(checkins) == 7
    assert all(not schedule.is_quiet(i.due_at) for i in items)


def test_planning_twice_adds_nothing_and_mentor_gets_checkins_and_own_surveys(
    session: Session,
) -> None:
    _pair(session)
    onboarded = local(2025, 1, 14)
    schedule.plan_person(session, pair_id="pr1", role="mentor", person="m1", onboarded=onboarded)
    again = schedule.plan_person(
        session, pair_id="pr1", role="mentor", person="m1", onboarded=onboarded
    )
    assert again == 0
    items = schedule.pair_schedule(session, "pr1")
    # check-ins and the mentors' own start and end surveys, none of the participants' waves
    assert {i.kind for i in items} == {"checkin", "mentor_start", "mentor_end"}
    assert [i.kind for i in items].count("mentor_start") == 1
    assert [i.kind for i in items].count("mentor_end") == 1


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (local(2025, 3, 3, 22), local(2025, 3, 4, 8)),
        (local(2025, 3, 3, 7), local(2025, 3, 3, 8)),
        (local(2025, 3, 3, 20), local(2025, 3, 3, 20)),
    ],
)
def test_nothing_is_planned_between_21_and_08(moment: datetime, expected: datetime) -> None:
    assert schedule.allowed_time(moment) == expected


def test_claims_nothing_at_night_and_each_due_item_once(session: Session, db) -> None:
    _pair(session)
    schedule.plan_person(
        session, pair_id="pr1", role="participant", person="p1", onboarded=local(2025, 1, 14, 12)
    )
    session.commit()
    assert schedule.claim_due(db, worker="w", now=local(2025, 1, 14, 23)) == []
    first = schedule.claim_due(db, worker="a", now=local(2025, 1, 15, 9))
    second = schedule.claim_due(db, worker="b", now=local(2025, 1, 15, 9))
    assert [c.kind for c in first] == ["baseline"]
    assert second == []


def test_reminders_after_3_and_7_days_then_expired(session: Session, db) -> None:
    _pair(session)
    schedule.plan_person(
        session, pair_id="pr1", role="participant", person="p1", onboarded=local(2025, 1, 14, 12)
    )
    session.commit()
    now = local(2025, 1, 14, 12)
    sends = []
    for _ in range(10):
        claims = [c for c in schedule.claim_due(db, worker="w", now=now) if c.kind == "baseline"]
        for claim in claims:
            assert schedule.begin_delivery(session, claim)
            schedule.finish_delivery(session, claim, outcome="sent", now=now)
            session.commit()
            sends.append(now)
        now += timedelta(days=1)
    assert [(s - sends[0]).days for s in sends] == [0, 3, 7]
    item = session.exec(select(ScheduledItem).where(ScheduledItem.kind == "baseline")).one()
    assert item.state == "expired"


def test_answer_stops_reminders(session: Session, db) -> None:
    _pair(session)
    schedule.plan_person(
        session, pair_id="pr1", role="participant", person="p1", onboarded=local(2025, 1, 14, 12)
    )
    session.commit()
    claim = schedule.claim_due(db, worker="w", now=local(2025, 1, 14, 12))[0]
    schedule.begin_delivery(session, claim)
    schedule.finish_delivery(session, claim, outcome="sent", now=local(2025, 1, 14, 12))
    assert schedule.mark_answered(session, pair="pr1", role="participant", kind="baseline")
    session.commit()
    later = schedule.claim_due(db, worker="w", now=local(2025, 1, 20, 12))
    assert "baseline" not in [c.kind for c in later]


def test_a_crashed_sender_is_taken_over_without_a_second_send(session: Session, db) -> None:
    _pair(session)
    schedule.plan_person(
        session, pair_id="pr1", role="participant", person="p1", onboarded=local(2025, 1, 14, 12)
    )
    session.commit()
    claim = schedule.claim_due(db, worker="dead", now=local(2025, 1, 14, 12))[0]
    assert schedule.begin_delivery(session, claim)
    session.commit()  # ...and the sender dies before finishing
    retaken = schedule.claim_due(
        db, worker="alive", now=local(2025, 1, 14, 12) + timedelta(minutes=6)
    )
    assert [c.id for c in retaken] == [claim.id]
    assert schedule.begin_delivery(session, retaken[0]) is False
    session.commit()
    deliveries = session.exec(select(Delivery).where(Delivery.item_id == claim.id)).all()
    assert len(deliveries) == 1


def test_cancelled_person_gets_nothing(session: Session, db) -> None:
    _pair(session)
    schedule.plan_person(
        session, pair_id="pr1", role="participant", person="p1", onboarded=local(2025, 1, 14, 12)
    )
    assert schedule.cancel_person(session, "p1") > 0
    session.commit()
    assert schedule.claim_due(db, worker="w", now=local(2025, 9, 30, 12)) == []


def test_concurrent_claimers_never_share_an_item(session: Session, db) -> None:
    _pair(session)
    schedule.plan_person(
        session, pair_id="pr1", role="participant", person="p1", onboarded=local(2025, 1, 14, 12)
    )
    schedule.plan_person(
        session, pair_id="pr1", role="mentor", person="m1", onboarded=local(2025, 1, 14, 12)
    )
    session.commit()
    now = datetime(2025, 12, 1, 10, tzinfo=UTC)
    got: list[list[int]] = []

    def claim(worker: str) -> None:
        got.append([c.id for c in schedule.claim_due(db, worker=worker, limit=3, now=now)])

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    flat = [i for ids in got for i in ids]
    assert len(flat) == len(set(flat))
    total = len(schedule.pair_schedule(session, "pr1"))
    assert len(flat) == min(total, 18)


def test_staff_move_shifts_out_of_quiet_hours(session: Session) -> None:
    _pair(session)
    schedule.plan_person(
        session, pair_id="pr1", role="mentor", person="m1", onboarded=local(2025, 1, 14, 12)
    )
    item = schedule.pair_schedule(session, "pr1")[0]
    moved = schedule.move_item(session, item_id=item.id or 0, due_at=local(2025, 2, 1, 23))
    assert moved.due_at == local(2025, 2, 2, 8)
