"""A real python-telegram-bot Application polls the emulator over loopback HTTP (no mocks)."""

from __future__ import annotations

import pytest
from telegram.error import BadRequest, Forbidden, InvalidToken

from emulator.testing import EmulatorClient, polling, running_emulator
from tests.emulator.minibot import build_minibot

pytestmark = pytest.mark.e2e


async def test_start_button_and_edit(tg: EmulatorClient) -> None:
    async with polling(build_minibot(tg.application_builder())):
        ada = await tg.create_user("Ada", language_code="sv")
        await tg.send(ada.chat_id, "/start")
        [greeting] = await tg.wait_for_reply(ada.chat_id)
        assert greeting["text"] == "Hej! Do you want a mentor?"
        assert {"type": "bold", "offset": 0, "length": 4} in greeting["entities"]
        buttons = greeting["reply_markup"]["inline_keyboard"][0]
        assert [b["text"] for b in buttons] == ["Yes", "No"]

        await tg.press(ada.chat_id, "No")
        messages = await tg.wait_for(ada.chat_id, lambda ms: ms[-1]["edited"])
        assert messages[-1]["text"] == "You chose: no"
        assert messages[-1]["reply_markup"] is None  # editing without a keyboard removes it
        chat = await tg.chat(ada.chat_id)
        assert [a["text"] for a in chat["callback_answers"]] == ["You pressed no"]
        stats = await tg.stats()
        assert stats["callback_queries_unanswered"] == 0


async def test_deep_link_payload_reaches_the_handler(tg: EmulatorClient) -> None:
    async with polling(build_minibot(tg.application_builder())):
        ada = await tg.create_user("Ada")
        await tg.send(ada.chat_id, "/start inv-42")
        [reply] = await tg.wait_for_reply(ada.chat_id)
        assert reply["text"].endswith("(invite inv-42)")


async def test_reply_keyboard_one_time_and_removed(tg: EmulatorClient) -> None:
    async with polling(build_minibot(tg.application_builder())):
        ada = await tg.create_user("Ada")
        await tg.send(ada.chat_id, "/keyboard")
        await tg.wait_for_reply(ada.chat_id)
        shown = (await tg.chat(ada.chat_id))["reply_keyboard"]
        assert [b["text"] for b in shown["keyboard"][0]] == ["Mentor", "Participant"]
        result = await tg.press(ada.chat_id, "Mentor")
        assert result["kind"] == "reply_keyboard"
        [reply] = await tg.wait_for_reply(ada.chat_id)
        assert reply["text"] == "Mentor"
        assert (await tg.chat(ada.chat_id))["reply_keyboard"] is None


async def test_user_edit_reaches_edited_message_handler(tg: EmulatorClient) -> None:
    async with polling(build_minibot(tg.application_builder())):
        ada = await tg.create_user("Ada")
        sent = await tg.send(ada.chat_id, "hej")
        await tg.wait_for_reply(ada.chat_id)
        await tg.edit(ada.chat_id, sent["message_id"], "hej då")
        [reply] = await tg.wait_for_reply(ada.chat_id, lambda m: "changed" in m["text"], after=2)
        assert reply["text"] == "You changed it to: hej då"
        transcript = await tg.transcript(ada.chat_id)
        assert transcript[0]["text"] == "hej då"
        assert transcript[0]["edited"]


async def test_documents_both_ways(tg: EmulatorClient) -> None:
    async with polling(build_minibot(tg.application_builder())):
        ada = await tg.create_user("Ada")
        await tg.send_media(ada.chat_id, "document", file_name="cv.txt", content=b"x" * 1234)
        [reply] = await tg.wait_for_reply(ada.chat_id)
        assert reply["text"] == "Got cv.txt: 1234 bytes"  # the bot downloaded it via getFile

        await tg.send(ada.chat_id, "/file")
        [doc] = await tg.wait_for_reply(ada.chat_id)
        assert doc["kind"] == "document"
        assert doc["media"]["document"]["file_name"] == "ideas.txt"
        assert doc["text"] == "Ideas"
        assert doc["entities"][0]["type"] == "italic"


async def test_commands_and_typing(tg: EmulatorClient) -> None:
    async with polling(build_minibot(tg.application_builder())):
        ada = await tg.create_user("Ada", language_code="ar")
        chat = await tg.chat(ada.chat_id)
        assert [c["command"] for c in chat["commands"]] == ["start", "keyboard"]
        await tg.send(ada.chat_id, "/slow")
        [reply] = await tg.wait_for_reply(ada.chat_id)
        assert reply["text"] == "Done thinking."
        stats = await tg.stats()
        assert stats["methods"]["sendChatAction"] == 1
        assert stats["methods"]["setMyCommands"] == 1


async def test_arabic_text_round_trips(tg: EmulatorClient) -> None:
    async with polling(build_minibot(tg.application_builder())):
        amina = await tg.create_user("أمينة", language_code="ar")
        await tg.send(amina.chat_id, "مرحبا، أحتاج مساعدة في السيرة الذاتية 😊")
        [reply] = await tg.wait_for_reply(amina.chat_id)
        assert reply["text"] == "مرحبا، أحتاج مساعدة في السيرة الذاتية 😊"


async def test_bot_errors_surface_as_ptb_exceptions(tg: EmulatorClient) -> None:
    application = build_minibot(tg.application_builder())
    async with application:
        bot = application.bot
        ada = await tg.create_user("Ada")
        with pytest.raises(Forbidden, match="can't initiate conversation"):
            await bot.send_message(ada.chat_id, "hello")
        await tg.send(ada.chat_id, "hi")
        with pytest.raises(BadRequest, match="(?i)can't parse entities: can't find end tag"):
            await bot.send_message(ada.chat_id, "<b>bold", parse_mode="HTML")
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(999, "hello")
        sent = await bot.send_message(ada.chat_id, "same")
        with pytest.raises(BadRequest, match="(?i)message is not modified"):
            await sent.edit_text("same")
        await tg.block(ada.chat_id)
        with pytest.raises(Forbidden, match="blocked by the user"):
            await bot.send_message(ada.chat_id, "hello")


async def test_wrong_token_is_invalid_token(tg: EmulatorClient) -> None:
    application = build_minibot(tg.application_builder().token("123456:" + "A" * 35))
    with pytest.raises(InvalidToken):
        await application.initialize()


async def test_wait_for_answer_returns_the_toast(tg: EmulatorClient) -> None:
    async with polling(build_minibot(tg.application_builder())):
        ada = await tg.create_user("Ada")
        await tg.send(ada.chat_id, "/start")
        await tg.wait_for_reply(ada.chat_id)
        pressed = await tg.press(ada.chat_id, "Yes")
        answer = await tg.wait_for_answer(ada.chat_id, pressed["callback_query_id"])
        assert answer["text"] == "You pressed yes"
        assert answer["show_alert"] is False


async def test_emulator_in_a_thread_serves_the_bot() -> None:
    async with running_emulator(rate_limits=False, in_thread=True) as tg:
        async with polling(build_minibot(tg.application_builder())):
            ada = await tg.create_user("Ada")
            await tg.send(ada.chat_id, "/start")
            [greeting] = await tg.wait_for_reply(ada.chat_id)
            assert greeting["text"] == "Hej! Do you want a mentor?"
