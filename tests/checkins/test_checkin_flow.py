"""The monthly check-in through the emulator: met → one Meeting per month, steps → Events after
confirming, reminders after 3 and 7 days, nothing after an answer."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from outcomes.clock import today as clock_today
from outcomes.models import Event, Meeting
from outcomes.schedule_models import Delivery, ScheduledItem
from tests.checkins.conftest import FakeClock, Running, data_of, newest_with, with_data
from tests.utils.pairs import make_pair

pytestmark = pytest.mark.e2e

JOB_INTERVIEW, CV, REFERENCE = 5, 6, 8  # indexes of bot.common.EVENT_TYPES


def _first_checkin_due(engine, pair: str, role: str = "participant") -> ScheduledItem:
    with Session(engine) as session:
        return session.exec(
            select(ScheduledItem).where(
                ScheduledItem.pair == pair,
                ScheduledItem.kind == "checkin",
                ScheduledItem.sequence == 1,
                ScheduledItem.role == role,
            )
        ).one()


async def _finish_baseline(running: Running, person) -> None:
    for data in ("sv:b:emp:n", "sv:b:int:0", "sv:b:con:1"):
        await running.world.press(person, data=data)


async def _finish_mentor_start(running: Running, clock: FakeClock, person) -> None:
    """The mentors' own start survey comes the morning after they join: answered, it is not
    reminded of."""
    clock.advance(days=1)
    assert (await running.sender.drain())["sent"] == 1
    for data in ("ms:s:mc:3", "ms:s:mk:3", "ms:s:me:3"):
        await running.world.press(person, data=data)


async def _steps(running: Running, person, indexes: list[int]) -> None:
    world = running.world
    nonce = data_of(await newest_with(world, person, "ci:"), "ci:")[0].split(":")[1]
    for i in indexes:
        await world.press(person, data=f"ci:{nonce}:t:{i}")
    await world.press(person, data=f"ci:{nonce}:d")
    confirm = await newest_with(world, person, f"ci:{nonce}:s")
    assert world.text(person, "Save these steps?") in confirm["text"]
    await world.press(person, data=f"ci:{nonce}:s")


async def test_both_sides_check_in_one_meeting_and_steps_saved_once(
    running: Running, clock: FakeClock
) -> None:
    world, engine = running.world, running.world.engine
    ids = make_pair(engine, start=date(2025, 2, 1))
    dana = await world.join(ids.pair, "participant", name="Dana", language_code="sv")
    await _finish_baseline(running, dana)
    erik = await world.join(ids.pair, "mentor", name="Erik", language_code="en")
    await _finish_mentor_start(running, clock, erik)
    clock.set(_first_checkin_due(engine, ids.pair).due_at)
    sent = await running.sender.drain()
    assert sent["sent"] == 2  # one check-in each

    opening = await newest_with(world, erik, "ci:o:")
    assert world.text(erik, "Did you meet your participant this month?") in opening["text"]
    assert "mi" in data_of(opening, "mi")  # the meeting ideas button under the mentor's
    dana_opening = await newest_with(world, dana, "ci:o:")
    assert world.text(dana, "Did you meet your mentor this month?") in dana_opening["text"]

    [yes] = [d for d in data_of(dana_opening, "ci:o:") if d.endswith(":y")]
    await world.press(dana, data=yes)
    await _steps(running, dana, [JOB_INTERVIEW, CV])
    [erik_yes] = [d for d in data_of(opening, "ci:o:") if d.endswith(":y")]
    await world.press(erik, data=erik_yes)
    await _steps(running, erik, [JOB_INTERVIEW, REFERENCE])

    with Session(engine) as session:
        meetings = session.exec(select(Meeting)).all()
        assert len(meetings) == 1
        assert meetings[0].pair == ids.pair
        assert date(2025, 2, 1) <= meetings[0].held_on <= date(2025, 2, 28)
        events = session.exec(select(Event).order_by(Event.type)).all()
        assert sorted((e.type, e.source) for e in events) == [
            ("cv_improved", "participant"),
            ("interview_attended", "participant"),
            ("reference_obtained", "mentor"),
        ]
        assert all(e.participant == ids.participant for e in events)
        states = {
            i.role: i.state
            for i in session.exec(
                select(ScheduledItem).where(
                    ScheduledItem.kind == "checkin", ScheduledItem.sequence == 1
                )
            )
        }
        assert states == {"participant": "answered", "mentor": "answered"}

    # "Already saved this month" was said to the mentor for the interview
    last = [m for m in await world.tg.transcript(erik.chat) if m["from_bot"]]
    assert any(world.text(erik, "Already saved this month:") in m["text"] for m in last)
    # the last step: nothing to add
    nonce = data_of(await newest_with(world, dana, "ci:"), "ci:")[0].split(":")[1]
    end = await world.press(dana, data=f"ci:{nonce}:e")
    assert any(world.text(dana, "🙏 Thank you! Talk to you next month.") in m["text"] for m in end)

    # answered: no reminders for either of them
    clock.advance(days=8)
    assert (await running.sender.drain())["sent"] == 0


async def test_unanswered_check_in_is_reminded_twice_then_expires(
    running: Running, clock: FakeClock
) -> None:
    world, engine = running.world, running.world.engine
    ids = make_pair(engine, start=date(2025, 2, 1))
    erik = await world.join(ids.pair, "mentor", name="Erik", language_code="uk")
    await _finish_mentor_start(running, clock, erik)
    clock.set(_first_checkin_due(engine, ids.pair, "mentor").due_at)
    assert (await running.sender.drain())["sent"] == 1
    for days, expected in ((1, 0), (2, 1), (3, 0), (1, 1), (10, 0)):
        clock.advance(days=days)
        assert (await running.sender.drain())["sent"] == expected, days
    openings = with_data(await world.tg.transcript(erik.chat), "ci:o:")
    assert len(openings) == 3
    assert (
        world.text(erik, "🔔 A reminder: this month's check-in is waiting for you.")
        in openings[1]["text"]
    )
    with Session(engine) as session:
        item = session.exec(select(ScheduledItem).where(ScheduledItem.sequence == 1)).one()
        assert (item.state, item.attempt) == ("expired", 3)
        deliveries = session.exec(
            select(Delivery).where(Delivery.item_id == item.id).order_by(Delivery.id)
        )
        assert [d.attempt for d in deliveries] == [1, 2, 3]

    # answering late still counts: the meeting is dated in the month it is about
    await world.press(erik, data=data_of(openings[-1], "ci:o:")[0])  # "yes, we met"
    with Session(engine) as session:
        [meeting] = session.exec(select(Meeting)).all()
        assert meeting.held_on == date(2025, 2, 28)


async def test_own_words_are_classified_and_proposed_before_saving(
    running: Running, clock: FakeClock
) -> None:
    world, engine = running.world, running.world.engine
    ids = make_pair(engine, start=date(2025, 2, 1))
    dana = await world.join(ids.pair, "participant", name="Dana", language_code="sv")
    await _finish_baseline(running, dana)
    clock.set(_first_checkin_due(engine, ids.pair).due_at)
    await running.sender.drain()
    opening = await newest_with(world, dana, "ci:o:")
    [no] = [d for d in data_of(opening, "ci:o:") if d.endswith(":n")]
    await world.press(dana, data=no)
    nonce = data_of(await newest_with(world, dana, "ci:"), "ci:")[0].split(":")[1]
    await world.press(dana, data=f"ci:{nonce}:0")  # nothing new in the buttons ...
    # ... but in her own words:
    replies = await world.say(dana, "Jag var på en anställningsintervju i tisdags!", within=60)
    proposal = replies[-1]
    assert "pg:" in str(proposal["reply_markup"])  # /progress's confirmation buttons
    with Session(engine) as session:
        assert session.exec(select(Event)).all() == []  # nothing saved before she confirms
        assert session.exec(select(Meeting)).all() == []  # "not yet" stores no meeting
    save = next(d for d in data_of(proposal, "pg:") if d.endswith(":s"))
    [when] = await world.press(dana, data=save)
    # "i tisdags": last Tuesday, which she picks by its date
    ago = (clock_today().weekday() - 1) % 7 or 7
    if ago >= 2:
        [when] = await world.press(
            dana, data=next(d for d in data_of(when, "pg:") if d.endswith(":w"))
        )
    await world.press(dana, data=next(d for d in data_of(when, "pg:") if d.endswith(f":d:{ago}")))
    with Session(engine) as session:
        [event] = session.exec(select(Event)).all()
        assert (event.type, event.occurred_on) == (
            "interview_attended",
            clock_today() - timedelta(days=ago),
        )
