"""Surveys as button conversations through the emulator: stored as given, skip is no answer,
an interrupted survey resumes at the first unanswered question, and finishing stops reminders."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from bot.handlers import survey as survey_handler
from bot.i18n import Tr
from bot.state import Turn
from core.vocab import STEP_ITEMS
from outcomes.contacts import find_by_person
from outcomes.models import Survey
from outcomes.schedule_models import Delivery, ScheduledItem
from outcomes.survey_skips import SurveySkip
from tests.checkins.conftest import FakeClock, Running, newest_with, with_data
from tests.utils.pairs import make_pair

pytestmark = pytest.mark.e2e


def _survey(engine, participant: str, wave: str) -> Survey | None:
    with Session(engine) as session:
        return session.exec(
            select(Survey).where(Survey.participant == participant, Survey.wave == wave)
        ).first()


def _item(engine, pair: str, kind: str) -> ScheduledItem:
    with Session(engine) as session:
        return session.exec(
            select(ScheduledItem).where(
                ScheduledItem.pair == pair,
                ScheduledItem.kind == kind,
                ScheduledItem.role == "participant",
            )
        ).one()


async def test_baseline_comes_at_joining_skip_is_no_answer_and_a_reminder_resumes(
    running: Running, clock: FakeClock
) -> None:
    world, engine = running.world, running.world.engine
    ids = make_pair(engine, start=date(2025, 2, 1))
    olena = await world.join(ids.pair, "participant", name="Olena", language_code="uk")
    first = await newest_with(world, olena, "sv:b:emp:")
    assert world.text(olena, "Do you have paid work right now?") in first["text"]
    assert world.text(olena, "Question {number} of {count}", number=1, count=4) in first["text"]

    changed = await world.press(olena, data="sv:b:emp:p")  # part time
    assert any(
        world.text(olena, "Does the job match your education or your trade?") in m["text"]
        for m in changed
    )
    await world.press(olena, data="sv:b:rel:-")  # skip: no answer, not "no"
    await world.press(olena, data="sv:b:int:3")
    stored = _survey(engine, ids.participant, "baseline")
    assert stored is not None
    assert stored.status == "in_progress"
    assert (stored.employment, stored.job_relevant, stored.interviews_last_2_months) == (
        "part_time",
        None,
        3,
    )
    assert stored.professional_contacts is None

    # She stops here. Three days later the reminder asks the first unanswered question.
    clock.advance(days=3, hours=1)
    sent = await running.sender.drain()
    assert sent["sent"] == 1
    reminder = await newest_with(world, olena, "sv:b:")
    assert (
        world.text(olena, "🔔 Your survey is not finished yet. Here is the next question:")
        in reminder["text"]
    )
    assert all(
        d.startswith("sv:b:con:")
        for _l, d in [
            (b["text"], b["callback_data"])
            for row in reminder["reply_markup"]["inline_keyboard"]
            for b in row
        ]
    )

    done = await world.press(olena, data="sv:b:con:10", message_id=reminder["message_id"])
    assert any(
        world.text(
            olena, "🙏 Thank you! Your answers are saved. They help the program help others."
        )
        in m["text"]
        for m in done
    )
    stored = _survey(engine, ids.participant, "baseline")
    assert stored is not None
    assert stored.status == "complete"
    assert stored.professional_contacts == 10
    assert stored.job_relevant is None
    assert _item(engine, ids.pair, "baseline").state == "answered"

    # finished: the last reminder (day 7) is not sent
    clock.advance(days=5)
    assert (await running.sender.drain())["sent"] == 0
    with Session(engine) as session:
        assert len(session.exec(select(Delivery)).all()) == 2  # at joining, and one reminder


async def test_result_survey_stores_items_and_contribution_exactly(
    running: Running, clock: FakeClock
) -> None:
    world, engine = running.world, running.world.engine
    ids = make_pair(engine, start=date(2025, 2, 1))
    amal = await world.join(ids.pair, "participant", name="Amal", language_code="ar")
    await world.press(amal, data="sv:b:emp:n")
    clock.set(_item(engine, ids.pair, "result").due_at)
    await running.sender.drain()
    opening = await newest_with(world, amal, "sv:r:emp:")
    assert "\u200f" in opening["text"]  # right to left, line by line
    for data in ("sv:r:emp:f", "sv:r:rel:y", "sv:r:chg:n", "sv:r:int:2", "sv:r:con:4"):
        await world.press(amal, data=data)
    items = await newest_with(world, amal, "sv:r:it:")
    ticks = [
        d
        for d in (
            b["callback_data"] for row in items["reply_markup"]["inline_keyboard"] for b in row
        )
        if d.startswith("sv:r:it:t")
    ]
    assert len(ticks) == len(STEP_ITEMS)
    await world.press(amal, data=ticks[0])  # internship
    await world.press(amal, data="sv:r:it:t5")  # and the third one, CV: mask 0b101
    before = _survey(engine, ids.participant, "result")
    assert before is not None
    assert before.item_internship is None
    await world.press(amal, data="sv:r:it:5")  # Done
    for data in ("sv:r:cj:y", "sv:r:ci:u", "sv:r:sat:5"):
        await world.press(amal, data=data)

    result = _survey(engine, ids.participant, "result")
    assert result is not None
    assert result.status == "complete"
    assert (result.employment, result.job_relevant, result.job_changed) == (
        "full_time",
        True,
        False,
    )
    assert (result.interviews_last_2_months, result.professional_contacts) == (2, 4)
    assert result.item_internship is True
    assert result.item_cv_improved is True
    assert result.item_education_started is False
    assert result.item_network_expanded is False
    assert (result.contributed_job, result.contributed_internship) == ("yes", "unsure")
    assert result.contributed_education_started is None  # not asked: no studies started
    assert result.satisfaction == 5
    assert _item(engine, ids.pair, "result").state == "answered"
    # a button of the finished survey, pressed again, changes nothing
    sat = with_data(await world.tg.transcript(amal.chat), "sv:r:sat:")
    assert sat == []  # its message was turned into the answer, without buttons


def _turn(session: Session, settings, person: str) -> Turn:
    contact = find_by_person(session, person)
    assert contact is not None
    return Turn(
        session=session,
        settings=settings,
        contact=contact,
        language_code=None,
        user_id=1,
        chat_id=1,
    )


FORGED = [
    ("mentor", "sv:b:emp:f"),  # only participants answer surveys
    ("participant", "sv:r:emp:f"),  # the result survey was not sent yet
    ("participant", "sv:b:emp:x"),  # not an option
    ("participant", "sv:b:int:11"),  # more than the buttons offer
    ("participant", "sv:b:zz:1"),  # no such question
    ("participant", "sv:r:it:t7ff"),  # more items than there are
    ("participant", "sv:b:emp"),  # cut short
]


async def test_forged_survey_buttons_change_nothing(
    running: Running, clock: FakeClock, settings
) -> None:
    world, engine = running.world, running.world.engine
    ids = make_pair(engine, start=date(2025, 2, 1))
    await world.join(ids.pair, "participant", name="Sahra", language_code="so")
    await world.join(ids.pair, "mentor", name="Erik", language_code="sv")
    for who, data in FORGED:
        with Session(engine) as session:
            outcome = survey_handler._pressed(_turn(session, settings, getattr(ids, who)), data)
            session.commit()
            tr = Tr("so" if who == "participant" else "sv")
            assert outcome.toast == tr.label("That button no longer works."), data
            assert session.exec(select(Survey)).all() == [], data
            assert session.exec(select(SurveySkip)).all() == [], data


async def test_survey_command_goes_on_where_the_person_stopped(
    running: Running, clock: FakeClock
) -> None:
    world, engine = running.world, running.world.engine
    ids = make_pair(engine, start=date(2025, 2, 1))
    amal = await world.join(ids.pair, "participant", name="Amal", language_code="ar")
    maria = await world.join(ids.pair, "mentor", name="Maria", language_code="sv")
    await newest_with(world, amal, "sv:b:emp:")
    await world.press(amal, data="sv:b:emp:n")  # no work; then she leaves the survey

    [resumed] = await world.say(amal, "/survey")
    assert (
        world.text(amal, "🔔 Your survey is not finished yet. Here is the next question:")
        in resumed["text"]
    )
    assert world.text(amal, "Question {number} of {count}", number=2, count=3) in resumed["text"]
    assert {
        b["callback_data"].rsplit(":", 1)[0]
        for row in resumed["reply_markup"]["inline_keyboard"]
        for b in row
    } == {"sv:b:int"}
    await world.press(amal, data="sv:b:int:0", message_id=resumed["message_id"])
    done = await world.press(amal, data="sv:b:con:2")
    assert any(
        world.text(amal, "🙏 Thank you! Your answers are saved. They help the program help others.")
        in m["text"]
        for m in done
    )
    stored = _survey(engine, ids.participant, "baseline")
    assert stored is not None
    assert (
        stored.status,
        stored.employment,
        stored.interviews_last_2_months,
        stored.professional_contacts,
    ) == ("complete", "none", 0, 2)

    [nothing] = await world.say(amal, "/survey")
    assert nothing["text"] == world.text(
        amal,
        "You have no survey to answer right now. I will send the next one when it is "
        "time. Thank you!",
    )
    assert not nothing.get("reply_markup")
    [for_mentor] = await world.say(maria, "/survey")
    assert for_mentor["text"] == world.text(
        maria, "The surveys are for participants; I send them to your participant."
    )
