"""The mentors' own survey through the emulator: the start wave after joining, the end wave in
the last two weeks, stored as given (skip is no answer), and what it gives the indicators."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from outcomes.indicators import compute_mentor_indicators
from outcomes.mentor_surveys import MentorSurvey
from outcomes.schedule_models import ScheduledItem
from tests.checkins.conftest import FakeClock, Running, local, newest_with
from tests.utils.pairs import make_pair

pytestmark = pytest.mark.e2e


def _wave(engine, mentor: str, wave: str) -> MentorSurvey | None:
    with Session(engine) as session:
        return session.exec(
            select(MentorSurvey).where(MentorSurvey.person == mentor, MentorSurvey.wave == wave)
        ).first()


def _item(engine, pair: str, kind: str) -> ScheduledItem:
    with Session(engine) as session:
        return session.exec(
            select(ScheduledItem).where(ScheduledItem.pair == pair, ScheduledItem.kind == kind)
        ).one()


async def test_a_mentor_answers_at_the_start_and_at_the_end(running: Running, clock: FakeClock):
    world, engine = running.world, running.world.engine
    ids = make_pair(engine, start=date(2025, 2, 1))
    ahmad = await world.join(ids.pair, "mentor", name="Ahmad", language_code="ar")
    assert (await running.sender.drain())["sent"] == 0  # not on top of the welcome
    clock.advance(days=1)
    assert (await running.sender.drain())["sent"] == 1  # the start wave, the morning after
    first = await newest_with(world, ahmad, "ms:s:mc:")
    assert world.text(ahmad, "Question {number} of {count}", number=1, count=3) in first["text"]
    assert (
        world.text(
            ahmad,
            "How often are you in contact with people who are new to Sweden (outside this program)?",
        )
        in first["text"]
    )
    await world.press(ahmad, data="ms:s:mc:2")
    await world.press(ahmad, data="ms:s:mk:-")  # skipped: no answer
    await world.press(ahmad, data="ms:s:me:3")
    start = _wave(engine, ids.mentor, "mentor_start")
    assert start is not None
    assert (start.status, start.contact_newcomers, start.integration_knowledge) == (
        "complete",
        2,
        None,
    )
    assert start.integration_engagement == 3
    assert _item(engine, ids.pair, "mentor_start").state == "answered"

    # the end wave: in the last two weeks of the round
    end_item = _item(engine, ids.pair, "mentor_end")
    assert end_item.due_at.date() <= date(2025, 2, 1) + timedelta(days=240)
    clock.set(local(end_item.due_at.year, end_item.due_at.month, end_item.due_at.day, 10))
    assert (await running.sender.drain())["sent"] >= 1
    last = await newest_with(world, ahmad, "ms:e:mc:")
    assert world.text(ahmad, "Question {number} of {count}", number=1, count=5) in last["text"]
    for data in ("ms:e:mc:4", "ms:e:mk:4", "ms:e:me:3", "ms:e:ms:5", "ms:e:ma:y"):
        await world.press(ahmad, data=data)
    end = _wave(engine, ids.mentor, "mentor_end")
    assert end is not None
    assert (end.status, end.satisfaction, end.mentor_again) == ("complete", 5, "yes")
    with Session(engine) as session:
        got = compute_mentor_indicators(session)["total"]["indicators"]
    assert got["mentor_more_contact"] == {"n": 1, "of": 1, "share": 1.0}
    assert got["mentor_more_knowledge"] == {"n": 0, "of": 0, "share": None}  # skipped at start
    assert got["mentor_more_engagement"] == {"n": 0, "of": 1, "share": 0.0}  # the same
    assert got["mentor_would_again"] == {"n": 1, "of": 1, "share": 1.0}
