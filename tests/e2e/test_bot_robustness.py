"""What the bot does not read, buttons it did not make, and updates that arrive twice."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.i18n import Tr
from outcomes.models import Event, Meeting
from tests.utils.botdriver import (
    Recorder,
    buttons,
    changed,
    inject_callback,
    running_bot,
    snapshot,
)
from tests.utils.pairs import make_pair

pytestmark = pytest.mark.e2e

STALE = "That button no longer works."


async def test_media_edits_and_unknown_commands_get_a_friendly_answer(settings, db):
    pair = make_pair(db)
    async with running_bot(settings, db) as world:
        olena = await world.join(pair.pair, "participant", name="Olena", language_code="uk")
        uk = Tr("uk")
        before = snapshot(db)
        for kind in ("sticker", "photo", "voice", "location", "document"):
            await world.tg.send_media(olena.chat, kind)
            [reply] = await world.tg.wait_for_reply(olena.chat)
            assert reply["text"] == uk(
                "I can only read text and buttons. Write to me, or send /help."
            )
        [reply] = await world.say(olena, "/dance")
        assert reply["text"] == uk("I don't know that command. Send /help to see what I can do.")
        sent = await world.tg.send(olena.chat, "/progress")
        [menu] = await world.tg.wait_for_reply(olena.chat)
        await world.tg.edit(olena.chat, sent["message_id"], "I got a job today")
        [reply] = await world.tg.wait_for_reply(olena.chat, after=menu["message_id"])
        assert reply["text"] == uk(
            "I only read new messages, not changes to old ones. Please "
            "send it again as a new message."
        )
        assert set(changed(before, snapshot(db))) <= {"bot_conversation"}  # /progress started
        with Session(db) as s:
            assert s.exec(select(Event)).all() == []


async def test_forged_and_stale_buttons_change_nothing(settings, db):
    pair = make_pair(db)
    async with running_bot(settings, db) as world:
        amal = await world.join(pair.pair, "participant", name="Amal", language_code="ar")
        ar = Tr("ar")
        [old_menu] = await world.say(amal, "/progress")
        [new_menu] = await world.say(amal, "/progress")  # a new conversation replaces the old
        before = snapshot(db)
        old_button = buttons(old_menu)[5][1]  # the job interview, in the first menu
        [answer] = await world.press(amal, data=old_button, message_id=old_menu["message_id"])
        assert ar(STALE) in answer["text"]
        assert await world.toast(amal) == ar.label(STALE)
        nonce = buttons(new_menu)[0][1].split(":")[1]
        forged = [
            "pg:zzzzzz:t:1",
            f"pg:{nonce}:t:99",
            f"pg:{nonce}:a:e:q",
            f"pg:{nonce}:p:0",
            "pu:ev-0000000000000000",
            "pu:../../etc",
            "lg:xx",
            "lg:",
            "mt:123456:d:1",
            "dl:abcdef:y",
            "ob:y:sv:AAAAAAAAAAAAAAAAAAAAAAAA",
            "kb:nope",
            "🤖",
            "x" * 64,
            "mi:extra",
            f"pg:{nonce}:d:99",
            f"pg:{nonce}:d:5",
            f"pg:{nonce}:w",
        ]
        for data in forged:
            query = inject_callback(world, amal, new_menu["message_id"], data)
            await world.answered(amal, query)
        assert changed(before, snapshot(db)) == {}
        # the current menu still works afterwards
        await world.press(amal, ar.label("🤝 Job interview"))
        await world.press(amal, ar.label("Today"))
        with Session(db) as s:
            assert [e.type for e in s.exec(select(Event))] == ["interview_attended"]


async def session(world, pair):
    """Two people join, report progress, log a meeting, change language: a whole session."""
    sv, ar = Tr("sv"), Tr("ar")
    maria = await world.join(pair.pair, "mentor", name="Maria", language_code="sv")
    amal = await world.join(pair.pair, "participant", name="Amal", language_code="ar")
    await world.say(amal, "/progress")
    await world.press(amal, ar.label("💼 New job"))
    await world.press(amal, ar.label("Part time"))
    await world.press(amal, ar.label("No"))
    await world.press(amal, ar.label("Yes"))
    await world.press(amal, ar.label("Yesterday"))
    await world.say(maria, "/met")
    await world.press(maria, sv.label("Today"))
    await world.press(maria, sv.label("CV"))
    await world.press(maria, sv.label("💾 Save"))
    await world.say(maria, "/progress")
    await world.press(maria, sv.label("🏢 Workplace visit"))
    await world.press(maria, sv.label("Today"))
    await world.say(amal, "/language")
    await world.press(amal, "Українська")
    return maria, amal


async def test_every_update_delivered_twice_is_handled_once(settings, db):
    calm, doubled = make_pair(db, 1), make_pair(db, 2)
    async with running_bot(settings, db) as world:
        reference = await session(world, calm)
        await world.tg.add_fault("duplicate_update", times=None)
        people = await session(world, doubled)
        await world.tg.clear_faults()
        await world.say(people[1], "/help")  # every duplicate was delivered before this
        assert _duplicates(await world.tg.stats()) >= 15  # of the 20 updates of a session
        for expected, person in zip(reference, people, strict=True):
            seen = [
                (m["text"], [b for b, _ in buttons(m)])
                for m in await world.tg.transcript(person.chat)
                if m["from_bot"]
            ]
            wanted = [
                (m["text"], [b for b, _ in buttons(m)])
                for m in await world.tg.transcript(expected.chat)
                if m["from_bot"]
            ]
            assert seen[: len(wanted)] == wanted  # the same conversation, nothing said twice
        with Session(db) as s:
            for p in (calm, doubled):
                assert sorted(
                    e.type for e in s.exec(select(Event).where(Event.participant == p.participant))
                ) == ["job_started", "workplace_visit"]
                assert [
                    m.activities for m in s.exec(select(Meeting).where(Meeting.pair == p.pair))
                ] == [["cv"]]


def _duplicates(stats) -> int:
    """Duplicates delivered, wherever the emulator's stats keep the number."""
    found = [v for k, v in _flatten(stats) if "duplicate" in k and isinstance(v, int)]
    return max(found) if found else 0


def _flatten(value, prefix=""):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _flatten(inner, f"{prefix}.{key}")
    else:
        yield prefix, value


async def test_replaying_a_whole_session_leaves_the_database_unchanged(settings, db):
    pair = make_pair(db)
    async with running_bot(settings, db) as world:
        recorder = Recorder(world)
        maria, amal = await session(world, pair)
        before = snapshot(db, skip=())
        transcripts = {p.chat: await world.tg.transcript(p.chat) for p in (maria, amal)}
        assert recorder.replay() >= 17  # every update of the session
        [_help] = await world.say(maria, "/help")  # handled after every replayed update
        after = snapshot(db, skip=())
        diff = changed(before, after)
        assert set(diff) == {"bot_processed_update"}  # only the /help update is new
        assert len(diff["bot_processed_update"]["new"]) == 1
        assert diff["bot_processed_update"]["gone"] == []
        now = await world.tg.transcript(amal.chat)
        assert now == transcripts[amal.chat]  # the replay made the bot say nothing
        assert len(await world.tg.transcript(maria.chat)) == len(transcripts[maria.chat]) + 2
