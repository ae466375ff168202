"""A button of something already saved, pressed again, says what was saved (the person may never
have seen "Saved": a crash, a lost message) instead of "that button no longer works"."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.i18n import Tr
from outcomes.clock import today
from outcomes.models import Event, Meeting
from tests.utils.botdriver import buttons, inject_callback, running_bot
from tests.utils.pairs import make_pair

pytestmark = pytest.mark.e2e


async def test_a_saved_meeting_says_so_when_save_is_pressed_again(settings, db) -> None:
    pair = make_pair(db)
    sv = Tr("sv")
    async with running_bot(settings, db) as world:
        maria = await world.join(pair.pair, "mentor", name="Maria", language_code="sv")
        await world.say(maria, "/met")
        await world.press(maria, sv.label("Today"))
        [acts] = await world.press(maria, sv.label("CV"))
        save = next(data for label, data in buttons(acts) if label == sv.label("💾 Save"))
        [saved] = await world.press(maria, data=save)
        assert saved["text"].startswith("✅")
        query = inject_callback(world, maria, saved["message_id"], save)  # the old screen's button
        await world.answered(maria, query)
        now = await world.last(maria)
        assert now["text"] == sv(
            "This meeting is already saved: {day} ({what}).",
            day=sv.date(today()),
            what=sv.label("CV"),
        )
    with Session(db) as s:
        assert [m.activities for m in s.exec(select(Meeting))] == [["cv"]]


async def test_an_undone_step_is_not_called_saved(settings, db) -> None:
    pair = make_pair(db)
    sv = Tr("sv")
    async with running_bot(settings, db) as world:
        sara = await world.join(pair.pair, "participant", name="Sara", language_code="sv")
        await world.say(sara, "/progress")
        [when] = await world.press(sara, sv.label("🤝 Job interview"))
        today_button = next(data for label, data in buttons(when) if label == sv.label("Today"))
        [saved] = await world.press(sara, data=today_button)
        await world.press(sara, sv.label("↩ Undo"))
        query = inject_callback(world, sara, saved["message_id"], today_button)
        await world.answered(sara, query)
        assert sv("That button no longer works.") in (await world.last(sara))["text"]
    with Session(db) as s:
        assert [e.status for e in s.exec(select(Event))] == ["voided"]
