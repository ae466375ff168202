"""Meetings through the emulator: ideas steered by what the pair has done; /met from both sides."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.i18n import FSI, RLM, Tr
from outcomes.clock import today
from outcomes.models import Meeting
from outcomes.schemas import EventCreate
from outcomes.service import record_event
from tests.utils.botdriver import buttons, running_bot
from tests.utils.pairs import make_pair

pytestmark = pytest.mark.e2e


async def test_a_pair_without_a_reference_is_steered_there(settings, db):
    pair = make_pair(db)
    async with running_bot(settings, db) as world:
        maria = await world.join(pair.pair, "mentor", name="Maria", language_code="sv")
        amal = await world.join(pair.pair, "participant", name="Amal", language_code="ar")
        sv, ar = Tr("sv"), Tr("ar")
        [ideas] = await world.say(maria, "/meeting", within=60)
        text = ideas["text"]
        assert text.startswith(
            sv("💡 Ideas for your meeting – month {month} of {months}:", month=1, months=8)
        )
        assert sv.label("Getting to know each other") in text  # the first month's theme
        assert sv.label("References") in text  # no reference yet: steered there
        assert sv("📖 Read more:") in text  # with material from the knowledge base
        assert "Referenser" in text.split(sv("📖 Read more:"))[1]
        assert [label for label, _ in buttons(ideas)] == [sv.label("📝 Log a meeting")]

        [ideas_ar] = await world.say(amal, "/meeting", within=60)
        assert ar.label("References") in ideas_ar["text"]
        material = ideas_ar["text"].split(ar("📖 Read more:"))[1]
        assert f"{FSI}Referenser" in material  # Swedish material keeps its own direction
        [answer] = await world.say(amal, "/ask Hur skriver jag ett CV?", within=60)
        assert "CV" in answer["text"]
        assert RLM not in answer["text"]  # Swedish text is not laid out right to left

        with Session(db) as s:
            record_event(
                s,
                event=EventCreate(
                    participant=pair.participant,
                    type="reference_obtained",
                    occurred_on=today(),
                    source="mentor",
                ),
                actor="staff:test",
            )
            s.commit()
        [ideas] = await world.say(maria, "/meeting", within=60)
        assert sv.label("References") not in ideas["text"]
        assert sv.label("A workplace visit") in ideas["text"]


async def test_both_sides_log_the_same_meeting_and_it_merges(settings, db):
    pair = make_pair(db, start=today() - timedelta(days=20))
    async with running_bot(settings, db) as world:
        maria = await world.join(pair.pair, "mentor", name="Maria", language_code="sv")
        olena = await world.join(pair.pair, "participant", name="Olena", language_code="uk")
        sv, uk = Tr("sv"), Tr("uk")
        [when] = await world.say(maria, "/met")
        assert when["text"] == sv("📝 When did you meet?")
        await world.press(maria, sv.label("Another day"))
        day = today() - timedelta(days=3)
        [acts] = await world.press(maria, sv.short_date(day))
        assert sv.date(day) in acts["text"]
        await world.press(maria, sv.label("CV"))
        await world.press(maria, sv.label("Interview practice"))
        [toggled] = await world.press(maria, "✅ " + sv.label("CV"))  # changed her mind
        assert "✅ " + sv.label("Interview practice") in [b for b, _ in buttons(toggled)]
        [saved] = await world.press(maria, sv.label("💾 Save"))
        assert saved["text"] == sv(
            "✅ Saved: your meeting on {day} ({what}).",
            day=sv.date(day),
            what=sv.label("Interview practice"),
        )

        await world.say(olena, "/met")
        await world.press(olena, uk.label("Another day"))
        await world.press(olena, uk.short_date(day))
        assert await world.press(olena, uk.label("💾 Save")) == []  # nothing chosen yet
        assert await world.toast(olena) == uk.label("Choose at least one thing you did.")
        await world.press(olena, uk.label("Language"))
        await world.press(olena, uk.label("Interview practice"))
        [saved] = await world.press(olena, uk.label("💾 Save"))
        assert (
            uk("Your mentor had logged this meeting too, so I added your answers to it.")
            in (saved["text"])
        )
        with Session(db) as s:
            [meeting] = s.exec(select(Meeting)).all()
        assert (meeting.pair, meeting.held_on, meeting.kind, meeting.logged_by) == (
            pair.pair,
            day,
            "individual",
            "mentor",
        )
        assert meeting.activities == ["interview_practice", "language"]

        [when] = await world.say(olena, "/met")
        [gone] = await world.press(olena, uk.label("Cancel"))
        assert gone["text"] == uk("OK, nothing was saved.")
        with Session(db) as s:
            assert len(s.exec(select(Meeting)).all()) == 1
