"""The sender: two instances, a stop or a crash never double or lose a send; blocked, left and
ended people get nothing; nothing at night; 429s are waited out and retried."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, timedelta

import pytest
from sqlmodel import Session, select

from bot.scheduler import Sender
from outcomes import schedule
from outcomes.models import Pair, Participant
from outcomes.schedule_models import Delivery, ScheduledItem
from tests.checkins.conftest import (
    FIRST_USER,
    FakeClock,
    bot_messages,
    bot_on_emulator,
    bound_participants,
    due_checkins,
    local,
    user_specs,
)
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e
START = date(2025, 2, 1)


def _states(engine) -> dict[str, int]:
    with Session(engine) as session:
        out: dict[str, int] = {}
        for item in session.exec(select(ScheduledItem)):
            out[item.state] = out.get(item.state, 0) + 1
        return out


async def _each_got(r, n: int) -> list[int]:
    return [len(await bot_messages(r.world, FIRST_USER + i)) for i in range(n)]


async def test_two_senders_share_a_fan_out_and_no_one_gets_two(settings, db, clock: FakeClock):
    n = 40
    async with bot_on_emulator(settings, db, users=user_specs(n)) as r:
        due_checkins(db, bound_participants(db, settings, n, start=START), clock.now)
        one = Sender(r.app.bot, db, settings, worker="one", rate=None, batch=7)
        two = Sender(r.app.bot, db, settings, worker="two", rate=None, batch=7)
        first, second = await asyncio.gather(one.drain(), two.drain())
        assert first["sent"] + second["sent"] == n
        assert await _each_got(r, n) == [1] * n
        with Session(db) as session:
            deliveries = session.exec(select(Delivery)).all()
        assert sorted(d.item_id for d in deliveries) == sorted({d.item_id for d in deliveries})
        assert {(d.attempt, d.outcome) for d in deliveries} == {(1, "sent")}
        assert _states(db) == {"pending": n}  # each waits for its reminder


async def test_a_stopping_sender_hands_back_what_it_did_not_send(settings, db, clock: FakeClock):
    n = 60
    async with bot_on_emulator(settings, db, users=user_specs(n)) as r:
        due_checkins(db, bound_participants(db, settings, n, start=START), clock.now)
        slow = Sender(r.app.bot, db, settings, worker="old", rate=25, batch=n)
        methods = r.world.tg.emulator.state.stats.methods
        running = asyncio.create_task(slow.run_once())
        await eventually(
            lambda: running.done() or methods["sendMessage"] > 0, what="the fan-out began"
        )
        assert not running.done(), running.result()
        slow.stop()  # a restart: finish what is in flight, give back the rest
        counts = await running
        assert 0 < counts["sent"] < n
        assert counts["released"] == n - counts["sent"]
        assert _states(db) == {"pending": n}
        new = Sender(r.app.bot, db, settings, worker="new", rate=None)
        assert (await new.drain())["sent"] == n - counts["sent"]
        assert await _each_got(r, n) == [1] * n


async def test_a_crashed_sender_is_taken_over_without_sending_twice(settings, db, clock: FakeClock):
    n = 6
    async with bot_on_emulator(settings, db, users=user_specs(n)) as r:
        due_checkins(db, bound_participants(db, settings, n, start=START), clock.now)
        # a sender claimed all six, sent the first three, and died
        claims = schedule.claim_due(db, worker="dead", limit=n)
        with Session(db) as session:
            for claim in claims[:3]:
                assert schedule.begin_delivery(session, claim)
            session.commit()
        for i in range(3):
            await r.app.bot.send_message(
                FIRST_USER + i, "🗓 (sent before the crash)", reply_markup=None
            )
        sender = Sender(r.app.bot, db, settings, worker="next", rate=None)
        assert (await sender.drain())["claimed"] == 0  # its lease has not run out yet
        clock.advance(minutes=6)
        counts = await sender.drain()
        assert (counts["taken_over"], counts["sent"]) == (3, 3)
        assert await _each_got(r, n) == [0, 0, 0, 1, 1, 1]
        assert _states(db) == {"pending": n}  # all six count as sent once: reminders next


async def test_nothing_to_blocked_left_or_ended_people(settings, db, clock: FakeClock):
    n = 4
    async with bot_on_emulator(settings, db, users=user_specs(n)) as r:
        due_checkins(db, bound_participants(db, settings, n, start=START), clock.now)
        await r.world.tg.block(FIRST_USER + 0)
        with Session(db) as session:
            session.get(Participant, "p-1").left_on = clock.now.date() - timedelta(days=1)  # type: ignore[union-attr]
            session.get(Pair, "pair-2").ended_on = clock.now.date() - timedelta(days=1)  # type: ignore[union-attr]
            session.commit()
        counts = await Sender(r.app.bot, db, settings, rate=None).drain()
        assert counts["sent"] == 1
        assert await _each_got(r, n) == [0, 0, 0, 1]
        with Session(db) as session:
            states = {i.person: i.state for i in session.exec(select(ScheduledItem))}
        assert states == {
            "p-0": "cancelled",
            "p-1": "cancelled",
            "p-2": "cancelled",
            "p-3": "pending",
        }


async def test_nothing_is_sent_between_21_and_08(settings, db, clock: FakeClock):
    n = 2
    async with bot_on_emulator(settings, db, users=user_specs(n)) as r:
        clock.set(local(2025, 2, 3, 21, 30))
        due_checkins(db, bound_participants(db, settings, n, start=START), clock.now)
        sender = Sender(r.app.bot, db, settings, rate=None)
        assert await sender.drain() == {}
        clock.set(local(2025, 2, 4, 7, 59))
        assert await sender.drain() == {}
        clock.set(local(2025, 2, 4, 8, 0))
        assert (await sender.drain())["sent"] == n


async def test_429s_are_retried_and_what_still_fails_is_sent_later(settings, db, clock):
    n = 15
    async with bot_on_emulator(settings, db, rate_limits=True, users=user_specs(n)) as r:
        # far stricter than Telegram: PTB's AIORateLimiter (30/s) keeps hitting 429
        await r.world.tg.set_limits(enabled=True, bot_rate=5, bot_burst=2)
        due_checkins(db, bound_participants(db, settings, n, start=START), clock.now)
        sender = Sender(r.app.bot, db, settings, rate=None)
        first = await sender.drain()
        stats = await r.world.tg.stats()
        assert stats["too_many_requests"] > 0  # Telegram said "slow down" and was obeyed
        given_up = first["failed (rate limited)"]  # retried 5 times: tried again in 10 minutes
        assert first["sent"] + given_up == n
        await r.world.tg.set_limits(enabled=False)
        clock.advance(minutes=11)
        assert (await sender.drain())["sent"] == given_up
        assert await _each_got(r, n) == [1] * n  # none lost, none doubled


def test_a_late_reminder_is_not_followed_at_once_by_the_last(session: Session, db) -> None:
    """Regression: after downtime the 3-day reminder went out, then the 7-day one right after."""
    from tests.utils.pairs import make_pair

    start = local(2025, 2, 3)
    from outcomes.clock import set_clock

    now = [start.astimezone(UTC)]
    set_clock(lambda: now[0])
    try:
        ids = make_pair(db, start=START)
        schedule.plan_person(
            session, pair_id=ids.pair, role="participant", person=ids.participant, onboarded=start
        )
        session.commit()
        [claim] = schedule.claim_due(db, worker="w", limit=1)
        assert claim.kind == "baseline"
        schedule.begin_delivery(session, claim)
        schedule.finish_delivery(session, claim, outcome="sent")
        session.commit()
        now[0] += timedelta(days=12)  # the bot was down for a week and a half
        [claim] = schedule.claim_due(db, worker="w", limit=1)
        schedule.begin_delivery(session, claim)
        schedule.finish_delivery(session, claim, outcome="sent")
        session.commit()
        assert schedule.claim_due(db, worker="w", limit=5) == []
        item = session.get(ScheduledItem, claim.id)
        session.refresh(item)
        assert item is not None
        assert item.due_at - now[0] >= timedelta(days=2)
    finally:
        set_clock(None)
