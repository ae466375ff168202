"""/mydata and /delete through the emulator, and nobody reaches another pair's data."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from bot.i18n import Tr
from outcomes.contacts import Contact
from outcomes.models import Event, Pair, Participant
from outcomes.privacy import erased_counts
from tests.utils.botdriver import changed, download, inject_callback, running_bot, snapshot
from tests.utils.pairs import make_pair

pytestmark = pytest.mark.e2e


async def test_my_data_then_delete(settings, db):
    mine, other = make_pair(db, 1), make_pair(db, 2)
    async with running_bot(settings, db) as world:
        olena = await world.join(mine.pair, "participant", name="Olena", language_code="uk")
        neighbour = await world.join(other.pair, "participant", name="Amal", language_code="ar")
        uk = Tr("uk")
        for person, lang in ((olena, uk), (neighbour, Tr("ar"))):
            await world.say(person, "/progress")
            await world.press(person, lang.label("🤝 Job interview"))
            await world.press(person, lang.label("Today"))

        [document] = await world.say(olena, "/mydata")
        assert document["kind"] == "document"
        assert document["text"] == uk("📦 Here is everything saved about you.")
        data = json.loads(await download(world, document))
        assert data["person"]["id"] == "p-1"
        assert data["telegram"]["chat_id"] == olena.chat
        assert [e["type"] for e in data["events"]] == ["interview_attended"]
        assert "p-2" not in json.dumps(data)  # nothing of the other pair

        [question] = await world.say(olena, "/delete")
        assert question["text"].startswith(uk("🗑 Delete your data?"))
        before = snapshot(db)
        [kept] = await world.press(olena, uk.label("No, keep it"))
        assert kept["text"] == uk("OK, nothing was deleted.")
        assert set(changed(before, snapshot(db))) <= {"bot_conversation"}

        await world.say(olena, "/delete")
        [gone] = await world.press(olena, uk.label("Yes, delete"))
        assert gone["text"] == uk(
            "Your data has been deleted. Thank you for taking part, and good luck!"
        )
        with Session(db) as s:
            assert s.get(Participant, "p-1").erased_on is not None
            assert s.get(Participant, "p-1").occupation_field is None
            assert [c.person for c in s.exec(select(Contact))] == ["p-2"]
            assert s.exec(select(Event).where(Event.participant == "p-1")).all() == []
            assert erased_counts(s) == {"interview_attended": 1}
            assert s.get(Pair, mine.pair).ended_on is not None
            assert len(s.exec(select(Event).where(Event.participant == "p-2")).all()) == 1
        [reply] = await world.say(olena, "/help")
        assert reply["text"] == uk(
            "Hello! This bot is for the participants and mentors of a "
            "job-mentoring program. To join, open the personal invitation "
            "link you got from the program staff."
        )


async def test_nobody_reaches_another_pairs_data(settings, db):
    first, second = make_pair(db, 1), make_pair(db, 2)
    async with running_bot(settings, db) as world:
        amal = await world.join(first.pair, "participant", name="Amal", language_code="ar")
        sven = await world.join(second.pair, "mentor", name="Sven", language_code="sv")
        ar, sv = Tr("ar"), Tr("sv")
        await world.say(amal, "/progress")
        await world.press(amal, ar.label("⭐ Got a reference"))
        await world.press(amal, ar.label("Today"))
        with Session(db) as s:
            [event] = s.exec(select(Event)).all()
        before = snapshot(db)
        # Sven's client forges button data that names Amal's event, or pair-1's flows
        [help_message] = await world.say(sven, "/help")
        for data in (f"pu:{event.id}", "mt:new", "mi"):
            query = inject_callback(world, sven, help_message["message_id"], data)
            await world.answered(sven, query)
        with Session(db) as s:
            assert s.get(Event, event.id).status == "confirmed"
        transcript = await world.tg.transcript(sven.chat)
        texts = "\n".join(m["text"] or "" for m in transcript if m["from_bot"])
        assert sv("That button no longer works.") in texts
        # "mi" and "mt:new" act on Sven's own pair only
        diff = changed(before, snapshot(db))
        assert set(diff) <= {"bot_conversation"}
        assert all('"m-2"' in row for row in diff.get("bot_conversation", {}).get("new", []))
        [document] = await world.say(sven, "/mydata")
        assert "p-1" not in (await download(world, document)).decode()
