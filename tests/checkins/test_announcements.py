"""Announcements through the real bot and the emulator: everyone once, in their language (or
Swedish with a note), cancelled half-way the rest is recorded as cancelled, a stopping sender
hands back what it did not send, blocked people are recorded, nothing at night."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlmodel import Session, select

from bot.announce import NOTE
from bot.i18n import Tr
from bot.scheduler import Sender
from core.languages import LANGUAGES
from outcomes import announcements as ann
from outcomes.announcements import AnnouncementCreate, AnnouncementRecipient
from tests.checkins.conftest import FakeClock, bot_on_emulator, local
from tests.utils.connected import connected_cohort, language_of, user_of
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e
FIRST = 700_000_001
TEXTS = {
    "sv": "Nytt rum för träffen: B12.",
    "en": "New room for the meeting: B12.",
    "ar": "غرفة جديدة: B12.",
}


def announce(db, audience: str = "cohort", **more) -> int:
    with Session(db) as session:
        row = ann.create_announcement(
            session,
            AnnouncementCreate(cohort="c-a", audience=audience, texts=TEXTS, **more),
            actor="staff-1",
        )
        session.commit()
        assert row.id is not None
        return row.id


def counts(db, announcement: int) -> dict[str, int]:
    with Session(db) as session:
        return ann.announcement_counts(session, announcement)


def per_chat(r) -> Counter[int]:
    return Counter(r.world.tg.emulator.state.stats.messages_per_chat)


async def test_two_senders_share_it_and_everyone_gets_it_once_in_their_language(
    settings, db, clock: FakeClock
):
    pairs = 60
    users = connected_cohort(db, settings, pairs, first=FIRST, now=clock.now)
    async with bot_on_emulator(settings, db, users=users) as r:
        announcement = announce(db)
        one = Sender(r.app.bot, db, settings, worker="one", rate=None)
        two = Sender(r.app.bot, db, settings, worker="two", rate=None)
        first, second = await asyncio.gather(one.drain(), two.drain())
        assert first["announcement delivered"] + second["announcement delivered"] == 2 * pairs
        assert per_chat(r) == Counter({u.user_id: 1 for u in users})  # none lost, none doubled
        assert counts(db, announcement) == {
            "recipients": 2 * pairs,
            "pending": 0,
            "sent": 0,
            "delivered": 2 * pairs,
            "blocked": 0,
            "cancelled": 0,
        }
        assert (await one.drain()) == {}  # nothing is sent again
        for i, role in [
            (i, role) for i in range(len(LANGUAGES)) for role in ("participant", "mentor")
        ]:
            lang = language_of(i, role)
            [message] = await r.world.tg.transcript(user_of(i, role, FIRST))
            version = lang if lang in TEXTS else "sv"
            assert TEXTS[version] in message["text"], (lang, message["text"])
            note = str(Tr(lang)(NOTE))
            assert (note in message["text"]) == (version != lang), (lang, message["text"])


@pytest.mark.slow
async def test_2000_people_cancelled_on_the_way_the_rest_is_recorded_as_cancelled(
    settings, db, clock
):
    pairs = 1000
    users = connected_cohort(db, settings, pairs, first=FIRST, now=clock.now)
    async with bot_on_emulator(settings, db, users=users) as r:
        announcement = announce(db)
        sender = Sender(r.app.bot, db, settings, worker="paced", rate=400)
        going = asyncio.create_task(sender.drain())
        stats = r.world.tg.emulator.state.stats
        await eventually(lambda: stats.methods["sendMessage"] >= 400, within=60, what="400 sent")
        with Session(db) as session:
            stopped = ann.cancel_announcement(session, announcement, actor="staff-1")
            session.commit()
        await going
        got = per_chat(r)
        assert set(got.values()) == {1}  # no one twice
        final = counts(db, announcement)
        assert final["delivered"] == len(got) == stats.methods["sendMessage"]
        assert final["delivered"] + final["cancelled"] == 2000
        assert final["pending"] == final["sent"] == final["blocked"] == 0
        assert stopped == final["cancelled"]
        assert 400 <= final["delivered"] < 1000
        with Session(db) as session:
            states = {rec.person: rec.state for rec in session.exec(select(AnnouncementRecipient))}
        reached = {
            f"{role[0]}-{i}"
            for i in range(pairs)
            for role in ("participant", "mentor")
            if user_of(i, role, FIRST) in got
        }
        assert {p for p, s in states.items() if s == "delivered"} == reached
        assert (await Sender(r.app.bot, db, settings, rate=None).drain()) == {}
        assert per_chat(r) == got


async def test_at_telegrams_limits_a_restart_sends_the_rest_and_no_one_twice(settings, db, clock):
    pairs = 40
    users = connected_cohort(db, settings, pairs, first=FIRST, now=clock.now)
    async with bot_on_emulator(settings, db, users=users, rate_limits=True) as r:
        announcement = announce(db)
        old = Sender(r.app.bot, db, settings, worker="old", batch=80)  # default pacing, 28/s
        running = asyncio.create_task(old.announce_once())
        stats = r.world.tg.emulator.state.stats
        await eventually(lambda: stats.methods["sendMessage"] >= 20, what="the fan-out began")
        old.stop()  # a restart: what is in flight finishes, the rest is handed back
        first = await running
        assert 0 < first["announcement delivered"] < 2 * pairs
        assert first["announcement released"] > 0
        rest = await Sender(r.app.bot, db, settings, worker="new").drain()
        assert first["announcement delivered"] + rest["announcement delivered"] == 2 * pairs
        assert per_chat(r) == Counter({u.user_id: 1 for u in users})
        assert counts(db, announcement)["delivered"] == 2 * pairs


async def test_blocked_people_are_recorded_and_nothing_goes_out_at_night(settings, db, clock):
    pairs = 3
    users = connected_cohort(db, settings, pairs, first=FIRST, now=clock.now)
    async with bot_on_emulator(settings, db, users=users) as r:
        await r.world.tg.block(user_of(0, "mentor", FIRST))
        clock.set(local(2025, 2, 3, 21, 30))
        announcement = announce(db, audience="mentors")
        sender = Sender(r.app.bot, db, settings, rate=None)
        assert await sender.drain() == {}
        clock.set(local(2025, 2, 4, 8, 0))
        done = await sender.drain()
        assert (done["announcement delivered"], done["announcement blocked"]) == (2, 1)
        assert counts(db, announcement) == {
            "recipients": 3,
            "pending": 0,
            "sent": 0,
            "delivered": 2,
            "blocked": 1,
            "cancelled": 0,
        }
        assert set(per_chat(r)) == {user_of(1, "mentor", FIRST), user_of(2, "mentor", FIRST)}
