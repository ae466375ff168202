"""Telegram has bad moments (5xx answers, dropped connections): the person still gets the reply.

The bot retries a call that failed in transit with backoff. Telegram offers no idempotency key
for ``sendMessage``, so when an answer is lost *after* the message was sent, the retry sends it a
second time: a reply twice is better than none.
"""

from __future__ import annotations

import pytest

from bot.handlers.help import help_text
from bot.i18n import Tr
from tests.utils.botdriver import running_bot
from tests.utils.pairs import make_pair

pytestmark = pytest.mark.e2e


def replies(transcript, text: str) -> int:
    return sum(1 for m in transcript if m["from_bot"] and m["text"] == text)


async def test_three_500s_on_send_message_and_help_is_answered_once(settings, db) -> None:
    pair = make_pair(db)
    async with running_bot(settings, db) as world:
        amal = await world.join(pair.pair, "participant", name="Amal", language_code="ar")
        expected = str(help_text(Tr("ar"), "participant"))
        before = replies(await world.tg.transcript(amal.chat), expected)  # the welcome has it
        rules = await world.tg.add_fault("error", status=500, methods=["sendMessage"], times=3)
        assert len(rules) == 1
        [reply] = await world.say(amal, "/help", within=10)
        assert reply["text"] == expected
        assert world.tg.emulator.faults.rules() == []  # all three were hit
        [again] = await world.say(amal, "/help")  # whatever the bot says is said by now
        assert again["text"] == expected
        transcript = await world.tg.transcript(amal.chat)
        assert replies(transcript, expected) == before + 2
        sorry = Tr("ar")("Sorry, something went wrong. Please try again.")
        assert replies(transcript, sorry) == 0


async def test_two_dropped_connections_and_the_first_message_gets_its_reply(settings, db) -> None:
    pair = make_pair(db)
    async with running_bot(settings, db) as world:
        sara = await world.join(pair.pair, "participant", name="Sara", language_code="sv")
        await world.tg.add_fault("drop", methods=["sendMessage"], times=2)
        [reply] = await world.say(sara, "/help", within=10)
        assert reply["text"] == str(help_text(Tr("sv"), "participant"))


async def test_a_lost_answer_to_a_sent_message_means_the_reply_comes_twice(settings, db) -> None:
    pair = make_pair(db)
    async with running_bot(settings, db) as world:
        sara = await world.join(pair.pair, "participant", name="Sara", language_code="sv")
        expected = str(help_text(Tr("sv"), "participant"))
        await world.tg.add_fault("drop", methods=["sendMessage"], times=1, after=True)
        replies_now = await world.say(sara, "/help", count=2, within=10)
        assert [r["text"] for r in replies_now] == [expected, expected]


async def test_a_button_is_answered_after_a_500(settings, db) -> None:
    pair = make_pair(db)
    async with running_bot(settings, db) as world:
        sara = await world.join(pair.pair, "participant", name="Sara", language_code="sv")
        [menu] = await world.say(sara, "/progress")
        await world.tg.add_fault("error", status=502, methods=["answerCallbackQuery"], times=1)
        [when] = await world.press(sara, Tr("sv").label("🤝 Job interview"))
        assert when["text"].endswith(Tr("sv")("When did it happen?"))
        assert world.tg.emulator.faults.rules() == []
