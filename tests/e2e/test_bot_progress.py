"""Logging progress through the emulator: /progress with follow-up questions, undo, own words."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.common import EVENT_LABELS
from bot.i18n import Tr
from core.vocab import EVENT_BUTTON_ORDER
from outcomes.clock import today
from outcomes.models import Event
from tests.utils.botdriver import buttons, changed, running_bot, snapshot
from tests.utils.pairs import make_pair

pytestmark = pytest.mark.e2e


def events(db):
    with Session(db) as s:
        return s.exec(select(Event).order_by(Event.recorded_at)).all()


async def test_a_new_job_with_its_follow_up_questions_in_ukrainian(settings, db):
    pair = make_pair(db)
    async with running_bot(settings, db) as world:
        olena = await world.join(pair.pair, "participant", name="Olena", language_code="uk")
        tr = Tr("uk")
        [menu] = await world.say(olena, "/progress")
        assert menu["text"] == tr("📈 What happened? Choose the step you took:")
        assert len(buttons(menu)) == 15  # fourteen steps in plain words, and Cancel
        [question] = await world.press(olena, tr.label("💼 New job"))
        assert tr("Part time or full time?") in question["text"]
        [question] = await world.press(olena, tr.label("Full time"))
        assert tr("Is the job in your field – your education or trade?") in question["text"]
        [question] = await world.press(olena, tr.label("Yes"))
        assert tr("Did the mentoring program help with this?") in question["text"]
        [when] = await world.press(olena, tr.label("Not sure"))
        assert tr("When did it happen?") in when["text"]
        assert tr.label("💼 New job") in when["text"]  # the step, above the question
        assert events(db) == []  # nothing is saved before the day is known
        [pick] = await world.press(olena, tr.label("Another day"))
        assert pick["text"] == tr("Which day was it?")
        three_days_ago = today() - timedelta(days=3)
        labels = [label for label, _ in buttons(pick)]
        assert labels[:12] == [tr.short_date(today() - timedelta(days=k)) for k in range(2, 14)]
        assert tr.label("About a month ago") in labels
        [saved] = await world.press(olena, tr.short_date(three_days_ago))
        assert saved["text"].startswith(tr("✅ Saved: {what}.", what=tr.label("💼 New job")))
        [event] = events(db)
        assert (event.participant, event.type, event.source, event.status) == (
            "p-1",
            "job_started",
            "participant",
            "confirmed",
        )
        assert (event.extent, event.relevant, event.program_contributed) == (
            "full_time",
            True,
            "unsure",
        )
        assert event.occurred_on == three_days_ago

        [removed] = await world.press(olena, tr.label("↩ Undo"))
        assert removed["text"] == tr("↩ Removed: {what}.", what=tr.label("💼 New job"))
        assert [e.status for e in events(db)] == ["voided"]
        await world.press(olena, tr.label("↩ Undo"))  # pressed again: nothing more happens
        assert [e.status for e in events(db)] == ["voided"]


async def test_the_step_buttons_come_in_the_vocabulary_order(settings, db):
    pair = make_pair(db)
    async with running_bot(settings, db) as world:
        sahra = await world.join(pair.pair, "participant", name="Sahra", language_code="so")
        tr = Tr("so")
        [menu] = await world.say(sahra, "/progress")
        labels = [label for label, _ in buttons(menu)]
        assert labels == [tr.label(EVENT_LABELS[t]) for t in EVENT_BUTTON_ORDER] + [
            tr.label("Cancel")
        ]
        [question] = await world.press(sahra, labels[3])  # the fourth button is the fourth type
        assert question["text"].startswith(tr.label(EVENT_LABELS[EVENT_BUTTON_ORDER[3]]))


async def test_a_mentor_reports_for_the_participant_in_arabic(settings, db):
    pair = make_pair(db)
    async with running_bot(settings, db) as world:
        karim = await world.join(pair.pair, "mentor", name="Karim", language_code="ar")
        tr = Tr("ar")
        [menu] = await world.say(karim, "/progress")
        assert menu["text"] == tr("📈 What step did your participant take? Choose one:")
        [question] = await world.press(karim, tr.label("🎓 Started studies"))
        assert tr("Will the studies help them towards the work they want?") in question["text"]
        await world.press(karim, tr.label("Yes"))
        await world.press(karim, tr.label("No"))
        [when] = await world.press(karim, tr.label("Yesterday"))
        [event] = events(db)
        assert event.occurred_on == today() - timedelta(days=1)
        assert (
            event.participant,
            event.type,
            event.source,
            event.relevant,
            event.program_contributed,
        ) == ("p-1", "education_started", "mentor", True, "no")
        # a step without follow-up questions asks only for the day; Cancel saves nothing
        await world.say(karim, "/progress")
        [when] = await world.press(karim, tr.label("⭐ Got a reference"))
        assert tr("When did it happen?") in when["text"]
        [saved] = await world.press(karim, tr.label("Today"))
        assert saved["text"].startswith(
            tr("✅ Saved: {what}.", what=tr.label("⭐ Got a reference"))
        )
        before = snapshot(db)
        await world.say(karim, "/progress")
        [question] = await world.press(karim, tr.label("🔄 Changed job"))
        assert tr("Part time or full time?") in question["text"]
        [cancelled] = await world.press(karim, tr.label("Cancel"))
        assert cancelled["text"] == tr("OK, nothing was saved.")
        diff = changed(before, snapshot(db))
        assert set(diff) <= {"bot_conversation"}
        assert [e.type for e in events(db)] == ["education_started", "reference_obtained"]


async def test_progress_in_own_words_is_confirmed_before_it_is_saved(settings, db):
    pair = make_pair(db)
    async with running_bot(settings, db) as world:
        sara = await world.join(pair.pair, "participant", name="Sara", language_code="sv")
        tr = Tr("sv")
        [proposal] = await world.say(
            sara, "Idag fick jag en referens från min chef på praktiken!", within=60
        )
        assert proposal["text"] == tr("It sounds like this happened. Tap to change, then save:")
        labels = [label for label, _ in buttons(proposal)]
        assert "✅ " + tr.label("⭐ Got a reference") in labels
        assert events(db) == []  # nothing before the person confirms
        [when] = await world.press(sara, tr.label("💾 Save"))
        assert events(db) == []
        await world.press(sara, tr.label("Another day"))
        [saved] = await world.press(sara, tr.label("About a month ago"))
        assert tr.label("⭐ Got a reference") in saved["text"]
        assert [(e.type, e.source) for e in events(db)] == [("reference_obtained", "participant")]
        assert "referens" in (events(db)[0].note or "")  # her words, kept as she confirmed
        assert events(db)[0].occurred_on == today() - timedelta(days=30)

        [answer] = await world.say(sara, "Hur långt ska ett CV vara?", within=60)
        assert "CV" in answer["text"]
        assert len(events(db)) == 1
