"""The control API: users, messages, presses, media, transcripts, stats and reset."""

from __future__ import annotations

import httpx

from emulator.testing import EmulatorClient


async def test_users_get_deterministic_ids(tg: EmulatorClient) -> None:
    first = await tg.create_user("Ada", role="mentor")
    second = await tg.create_user("Bashir", language_code="fa", role="participant")
    assert (first.user_id, second.user_id) == (100_000_001, 100_000_002)
    assert first.chat_id == first.user_id
    async with httpx.AsyncClient(base_url=tg.root_url) as client:
        users = (await client.get("/_emulator/users")).json()
        empty = await client.post("/_emulator/users", json={"first_name": ""})
        unknown = await client.post("/_emulator/messages", json={"chat_id": 5, "text": "hi"})
    assert [u["role"] for u in users] == ["mentor", "participant"]
    assert empty.status_code == 422
    assert unknown.status_code == 404
    assert "no user 5" in unknown.json()["detail"]


async def test_press_finds_the_newest_button_and_refuses_missing_ones(
    tg: EmulatorClient, api: httpx.AsyncClient
) -> None:
    user = await tg.create_user("Ada")
    await tg.send(user.chat_id, "/start")
    for text in ("old", "new"):
        markup = {"inline_keyboard": [[{"text": "Pick", "callback_data": text}]]}
        await api.post(
            "sendMessage", json={"chat_id": user.chat_id, "text": text, "reply_markup": markup}
        )
    pressed = await tg.press(user.chat_id, "Pick")
    assert pressed["message_id"] == 3  # the newest message with that button
    by_data = await tg.press(user.chat_id, message_id=2, callback_data="old")
    assert by_data["message_id"] == 2
    async with httpx.AsyncClient(base_url=tg.root_url) as client:
        missing = await client.post(
            "/_emulator/press", json={"chat_id": user.chat_id, "button_text": "Nope"}
        )
    assert missing.status_code == 404
    updates = (await api.post("getUpdates")).json()["result"]
    assert [u["callback_query"]["data"] for u in updates if "callback_query" in u] == ["new", "old"]


async def test_media_kinds_become_telegram_messages(
    tg: EmulatorClient, api: httpx.AsyncClient
) -> None:
    user = await tg.create_user("Ada")
    for kind in ("sticker", "photo", "voice", "location", "document"):
        await tg.send_media(user.chat_id, kind)
    messages = [u["message"] for u in (await api.post("getUpdates")).json()["result"]]
    assert "sticker" in messages[0]
    assert messages[0]["sticker"]["emoji"] == "👍"
    assert len(messages[1]["photo"]) == 2
    assert messages[2]["voice"]["mime_type"] == "audio/ogg"
    assert messages[3]["location"]["latitude"] > 59
    file_id = messages[4]["document"]["file_id"]
    file = (await api.post("getFile", json={"file_id": file_id})).json()["result"]
    async with httpx.AsyncClient() as client:
        content = await client.get(f"{tg.file_url}{tg.token}/{file['file_path']}")
    assert content.content == b"A document sent in the emulator.\n"


async def test_transcript_shape_and_stats(tg: EmulatorClient, api: httpx.AsyncClient) -> None:
    user = await tg.create_user("Ada")
    await tg.send(user.chat_id, "hej")
    await api.post("sendMessage", json={"chat_id": user.chat_id, "text": "svar"})
    transcript = await tg.transcript(user.chat_id)
    assert {"message_id", "from_bot", "text", "reply_markup", "edited", "deleted", "date"} <= set(
        transcript[0]
    )
    assert [(m["from_bot"], m["text"]) for m in transcript] == [(False, "hej"), (True, "svar")]
    stats = await tg.stats()
    assert stats["methods"]["sendMessage"] == 1
    assert stats["messages_per_chat"] == {str(user.chat_id): 1}
    assert stats["too_many_requests"] == 0
    assert stats["duplicates_delivered"] == 0


async def test_reset_forgets_people_but_update_ids_keep_counting(
    tg: EmulatorClient, api: httpx.AsyncClient
) -> None:
    user = await tg.create_user("Ada")
    first = await tg.send(user.chat_id, "before")
    await tg.reset()
    assert (await tg.stats())["updates_created"] == 0
    again = await tg.create_user("Ada")
    assert again.user_id == user.user_id
    second = await tg.send(again.chat_id, "after")
    assert second["update_id"] > first["update_id"]
    assert [m["text"] for m in await tg.transcript(again.chat_id)] == ["after"]


async def test_blocking_sends_my_chat_member(tg: EmulatorClient, api: httpx.AsyncClient) -> None:
    user = await tg.create_user("Ada")
    await tg.send(user.chat_id, "hi")
    await tg.block(user.chat_id)
    updates = (await api.post("getUpdates")).json()["result"]
    member = updates[-1]["my_chat_member"]
    assert member["new_chat_member"]["status"] == "kicked"
    refused = (await api.post("sendMessage", json={"chat_id": user.chat_id, "text": "x"})).json()
    assert refused["error_code"] == 403


async def test_writing_again_unblocks(tg: EmulatorClient, api: httpx.AsyncClient) -> None:
    user = await tg.create_user("Ada")
    await tg.send(user.chat_id, "hi")
    await tg.block(user.chat_id)
    await tg.send(user.chat_id, "/start")
    kinds = [
        next(k for k in u if k != "update_id")
        for u in (await api.post("getUpdates")).json()["result"]
    ]
    assert kinds == ["message", "my_chat_member", "my_chat_member", "message"]
    sent = (
        await api.post("sendMessage", json={"chat_id": user.chat_id, "text": "welcome back"})
    ).json()
    assert sent["ok"] is True
