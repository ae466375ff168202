"""Retention in the running bot: the daily job removes a finished round's contact data, and
``/mydata`` then tells the person what was removed and when, in their language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.i18n import Tr
from outcomes.clock import set_clock, utcnow
from outcomes.contacts import Contact
from outcomes.conversations import Conversation
from outcomes.models import AuditLog, Cohort, Participant
from outcomes.retention_models import RetentionRun
from tests.utils.botdriver import running_bot
from tests.utils.pairs import make_pair
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e


async def test_mydata_after_retention_says_what_went_and_when(settings, db) -> None:
    quick = settings.model_copy(update={"retention_check_minutes": 0.005})  # a look every 0.3 s
    ids = make_pair(db, 1)
    with Session(db) as s:
        ended = s.get(Cohort, ids.cohort).end
    try:
        async with running_bot(quick, db) as world:
            olena = await world.join(ids.pair, "participant", name="Olena", language_code="uk")
            sven = await world.join(ids.pair, "mentor", name="Sven", language_code="sv")
            await world.say(olena, "/progress")  # a conversation in the middle
            with Session(db) as s:
                assert len(s.exec(select(Contact)).all()) == 2
                assert s.exec(select(RetentionRun)).first() is not None  # ran at start: nothing
            # the round ends; 91 days later (the day after the cut-off) the job takes it away
            later = datetime.combine(ended + timedelta(days=91), datetime.min.time(), UTC)
            moved = later + timedelta(hours=12)
            set_clock(lambda: moved)

            def removed() -> bool:
                with Session(db) as s:
                    return not s.exec(select(Contact)).all()

            await eventually(removed, what="the daily job removed the contacts", within=15)
            with Session(db) as s:
                assert s.exec(select(Conversation)).all() == []
                assert s.get(Participant, ids.participant) is not None  # outcome records kept
                [entry] = s.exec(select(AuditLog).where(AuditLog.action == "retention")).all()
                assert entry.after["removed"]["contact"] == 2

            uk, sv = Tr("uk"), Tr("sv")
            removed_on = utcnow().date()
            texts = {}
            for person, tr in ((olena, uk), (sven, sv)):
                [reply] = await world.say(person, "/mydata")
                text = texts[tr.lang] = reply["text"]
                assert reply["kind"] == "text"  # no document: nothing about them is left to send
                assert tr.full_date(ended) in text
                assert tr.full_date(removed_on) in text
                assert tr("• your connection to me on Telegram (your chat id)") in text
                assert tr("• your invitation link") in text
            assert uk("• where you were in our conversations") in texts["uk"]
            assert "Telegram" in texts["sv"]
            assert "raderades" in texts["sv"]  # Swedish, not the English source
    finally:
        set_clock(None)
