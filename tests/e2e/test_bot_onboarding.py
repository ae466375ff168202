"""Joining through the emulator: invite links, consent first, seven languages, /language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.i18n import RLM, Tr
from core.languages import NATIVE_NAMES as NAMES
from outcomes.clock import set_clock, utcnow
from outcomes.contacts import Contact, PersonRole, find_by_user
from outcomes.invites import InviteStatus, list_invites
from outcomes.models import Mentor, Participant
from tests.utils.botdriver import buttons, changed, running_bot, snapshot
from tests.utils.pairs import make_pair

pytestmark = pytest.mark.e2e

CONSENT = "Before we start, please read what I save:"
NOT_INVITED = (
    "Hello! This bot is for the participants and mentors of a job-mentoring program. "
    "To join, open the personal invitation link you got from the program staff."
)


async def test_a_mentor_and_participants_join_in_swedish_arabic_and_ukrainian(settings, db):
    first, second = make_pair(db, 1), make_pair(db, 2)
    async with running_bot(settings, db) as world:
        for pair, role, lang, name in (
            (first.pair, "mentor", "sv", "Sven"),
            (first.pair, "participant", "ar", "Amal"),
            (second.pair, "participant", "uk", "Olena"),
        ):
            tr = Tr(lang)
            token = world.invite(pair)[role]
            person = await world.user(name, language_code=lang)
            [consent] = await world.say(person, f"/start {token}")
            assert tr(CONSENT) in consent["text"]  # in the client's language, before anything
            labels = [label for label, _data in buttons(consent)]
            assert f"✓ {NAMES[lang]}" in labels  # pre-selected
            assert tr.label("✅ I agree") in labels
            if lang == "ar":
                assert all(line.startswith(RLM) for line in consent["text"].split("\n") if line)
            with Session(db) as s:  # nothing about them before they agree
                assert find_by_user(s, settings, person.user.user_id) is None
            changed_messages = await world.press(person, tr.label("✅ I agree"))
            texts = [m["text"] for m in changed_messages]
            assert tr("✅ Thank you! You are connected.") in texts
            assert any(tr("Here is what I can do:") in t for t in texts)
            reply = await world.say(person, "/help")
            assert tr("/progress – tell me about a step towards work") in reply[0]["text"] or (
                tr("/progress – report a step your participant took") in reply[0]["text"]
            )
        with Session(db) as s:
            contacts = {c.person: (c.role, c.language, c.pair) for c in s.exec(select(Contact))}
            assert contacts == {
                "m-1": ("mentor", "sv", "pair-1"),
                "p-1": ("participant", "ar", "pair-1"),
                "p-2": ("participant", "uk", "pair-2"),
            }
            assert s.get(Participant, "p-1").language == "ar"
            assert s.get(Mentor, "m-1").language == "sv"


async def test_another_language_can_be_chosen_before_agreeing(settings, db):
    pair = make_pair(db)
    async with running_bot(settings, db) as world:
        token = world.invite(pair.pair)["participant"]
        person = await world.user("Roya", language_code="ru")  # pre-selected: Ukrainian
        [consent] = await world.say(person, f"/start {token}")
        assert Tr("uk")(CONSENT) in consent["text"]
        [edited] = await world.press(person, NAMES["fa"])
        assert edited["message_id"] == consent["message_id"]
        assert Tr("fa")(CONSENT) in edited["text"]
        assert f"✓ {NAMES['fa']}" in [label for label, _ in buttons(edited)]
        await world.press(person, Tr("fa").label("✅ I agree"))
        with Session(db) as s:
            assert s.exec(select(Contact.language)).one() == "fa"


async def test_declining_stores_only_the_refusal(settings, db):
    pair = make_pair(db)
    async with running_bot(settings, db) as world:
        token = world.invite(pair.pair)["participant"]
        before = snapshot(db)
        person = await world.user("Hodan", language_code="so")
        await world.say(person, f"/start {token}")
        [answer] = await world.press(person, Tr("so").label("No, thanks"))
        assert (
            Tr("so")(
                "Understood. Nothing about you has been saved. If you change your mind, "
                "ask the program staff for a new invitation link."
            )
            == answer["text"]
        )
        diff = changed(before, snapshot(db))
        assert set(diff) == {"invite", "auditlog"}  # the refusal, and who saw it: nothing else
        assert all("declined_at" in row for row in diff["invite"]["new"])
        with Session(db) as s:
            statuses = {v.role: v.status for v in list_invites(s, pair.pair)}
        assert statuses[PersonRole.participant] is InviteStatus.declined
        [again] = await world.say(person, f"/start {token}")
        assert again["text"] == Tr("so")(
            "This invitation link is not valid. Please ask the program staff for a new one."
        )


async def test_without_a_valid_invite_nothing_is_stored(settings, db):
    pair = make_pair(db)
    async with running_bot(settings, db) as world:
        tokens = world.invite(pair.pair)
        used = await world.join_with(tokens["mentor"], name="Maria", language_code="sv")
        assert used.lang == "sv"
        before = snapshot(db)
        stranger = await world.user("Eve", language_code="en")
        for text in ("/start", "hello", "/progress", "/mydata", "/delete"):
            [reply] = await world.say(stranger, text)
            assert reply["text"] == NOT_INVITED
        await world.tg.send_media(stranger.chat, "sticker")
        [reply] = await world.tg.wait_for_reply(stranger.chat)
        assert reply["text"] == NOT_INVITED
        [reply] = await world.say(stranger, "/start not-a-real-token-at-all")
        assert reply["text"] == (
            "This invitation link is not valid. Please ask the program staff for a new one."
        )
        [reply] = await world.say(stranger, f"/start {tokens['mentor']}")
        assert reply["text"].startswith("This invitation link has already been used.")
        assert changed(before, snapshot(db)) == {}


async def test_an_expired_invite_is_refused_politely(settings, db):
    pair = make_pair(db)
    async with running_bot(settings, db) as world:
        token = world.invite(pair.pair)["participant"]
        later = utcnow() + timedelta(days=settings.invite_ttl_days, minutes=1)
        set_clock(lambda: later)
        try:
            person = await world.user("Tesfay", language_code="ti")
            [reply] = await world.say(person, f"/start {token}")
        finally:
            set_clock(None)
        assert reply["text"] == Tr("ti")(
            "This invitation link has expired. Please ask the program staff for a new one."
        )


async def test_changing_language_later(settings, db):
    pair = make_pair(db)
    async with running_bot(settings, db) as world:
        person = await world.join(pair.pair, "participant", name="Amal", language_code="ar")
        [menu] = await world.say(person, "/language")
        assert f"✓ {NAMES['ar']}" in [label for label, _ in buttons(menu)]
        [done] = await world.press(person, NAMES["uk"])
        assert done["text"] == Tr("uk")(
            "Done! I will write in {language} from now on.", language=NAMES["uk"]
        )
        [reply] = await world.say(person, "/help")
        assert reply["text"].startswith(Tr("uk")("Here is what I can do:"))
        with Session(db) as s:
            assert s.get(Participant, "p-1").language == "uk"
