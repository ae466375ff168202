"""The Bot API over HTTP: tokens, bodies, errors and getUpdates as Telegram does them."""

from __future__ import annotations

import asyncio
import json
import time

import httpx

from emulator.testing import EmulatorClient
from tests.utils.waiting import long_poll_waiting, poll_generation


async def _started_user(tg: EmulatorClient) -> int:
    user = await tg.create_user("Ada")
    await tg.send(user.chat_id, "/start")
    return user.chat_id


async def test_tokens_and_unknown_methods(tg: EmulatorClient) -> None:
    async with httpx.AsyncClient(base_url=tg.root_url) as client:
        malformed = await client.get("/botnot-a-token/getMe")
        unknown = await client.get(f"/bot123456:{'x' * 35}/getMe")
        method = await client.get(f"/bot{tg.token}/sendSticker")
        me = await client.get(f"/bot{tg.token}/GETME")  # method names are case-insensitive
    assert malformed.status_code == 404
    assert unknown.status_code == 401
    assert unknown.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert method.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert me.json()["result"]["username"] == tg.bot_username


async def test_form_json_and_query_bodies_are_all_understood(
    tg: EmulatorClient, api: httpx.AsyncClient
) -> None:
    chat_id = await _started_user(tg)
    markup = {"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]}
    form = await api.post(
        "sendMessage",
        data={"chat_id": str(chat_id), "text": "form", "reply_markup": json.dumps(markup)},
    )
    as_json = await api.post(
        "sendMessage", json={"chat_id": chat_id, "text": "json", "reply_markup": markup}
    )
    query = await api.get("sendMessage", params={"chat_id": chat_id, "text": "query"})
    for response in (form, as_json, query):
        assert response.json()["ok"] is True, response.text
    assert form.json()["result"]["reply_markup"] == markup
    assert [m["text"] for m in await tg.transcript(chat_id)] == ["/start", "form", "json", "query"]


async def test_send_message_errors(tg: EmulatorClient, api: httpx.AsyncClient) -> None:
    chat_id = await _started_user(tg)

    async def error(**data: object) -> tuple[int, str]:
        body = (await api.post("sendMessage", json=data)).json()
        assert body["ok"] is False
        return body["error_code"], body["description"]

    assert await error(chat_id=chat_id, text="  ") == (400, "Bad Request: message text is empty")
    assert await error(chat_id=chat_id, text="x" * 4097) == (
        400,
        "Bad Request: message is too long",
    )
    assert await error(chat_id=42, text="hi") == (400, "Bad Request: chat not found")
    assert await error(text="hi") == (400, "Bad Request: chat_id is empty")
    assert await error(chat_id=chat_id, text="<u>x", parse_mode="HTML") == (
        400,
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"u\"",
    )
    assert await error(chat_id=chat_id, text="x", parse_mode="BBCode") == (
        400,
        "Bad Request: unsupported parse_mode",
    )
    assert await error(
        chat_id=chat_id,
        text="x",
        reply_markup={"inline_keyboard": [[{"text": "B", "callback_data": "d" * 65}]]},
    ) == (400, "Bad Request: BUTTON_DATA_INVALID")
    # the limit counts characters after entity parsing: 4096 inside tags is allowed
    long_html = {"chat_id": chat_id, "text": "<b>" + "x" * 4096 + "</b>", "parse_mode": "HTML"}
    assert (await api.post("sendMessage", json=long_html)).json()["ok"] is True


async def test_edit_and_delete(tg: EmulatorClient, api: httpx.AsyncClient) -> None:
    chat_id = await _started_user(tg)
    sent = (await api.post("sendMessage", json={"chat_id": chat_id, "text": "one"})).json()[
        "result"
    ]
    edit = {"chat_id": chat_id, "message_id": sent["message_id"]}
    same = (await api.post("editMessageText", json=edit | {"text": "one"})).json()
    assert same["description"].startswith("Bad Request: message is not modified")
    changed = (await api.post("editMessageText", json=edit | {"text": "two"})).json()["result"]
    assert changed["text"] == "two"
    assert "edit_date" in changed
    markup = {"inline_keyboard": [[{"text": "Go", "url": "https://example.org"}]]}
    with_kb = await api.post("editMessageReplyMarkup", json=edit | {"reply_markup": markup})
    assert with_kb.json()["result"]["reply_markup"] == markup
    users = (
        await api.post("editMessageText", json={"chat_id": chat_id, "message_id": 1, "text": "x"})
    ).json()
    assert users["description"] == "Bad Request: message can't be edited"
    assert (await api.post("deleteMessage", json=edit)).json() == {"ok": True, "result": True}
    again = (await api.post("deleteMessage", json=edit)).json()
    assert again["description"] == "Bad Request: message to delete not found"
    transcript = await tg.transcript(chat_id)
    assert transcript[-1]["deleted"] is True
    assert transcript[-1]["edited"] is True


async def test_get_updates_offsets_limit_and_allowed_updates(
    tg: EmulatorClient, api: httpx.AsyncClient
) -> None:
    user = await tg.create_user("Ada")
    for text in ("a", "b", "c"):
        await tg.send(user.chat_id, text)

    async def updates(**data: object) -> list[dict[str, object]]:
        body = (await api.post("getUpdates", json=data)).json()
        assert body["ok"], body
        return body["result"]  # type: ignore[no-any-return]

    first = await updates(limit=2)
    assert [u["message"]["text"] for u in first] == ["a", "b"]  # type: ignore[index]
    again = await updates()
    assert len(again) == 3  # nothing was confirmed yet
    rest = await updates(offset=first[-1]["update_id"] + 1)  # type: ignore[operator]
    assert [u["message"]["text"] for u in rest] == ["c"]  # type: ignore[index]
    assert await updates(offset=-1) == rest

    await tg.send(user.chat_id, "d")
    assert await updates(offset=rest[-1]["update_id"] + 1, allowed_updates=["callback_query"]) == []  # type: ignore[operator]
    info = (await api.get("getWebhookInfo")).json()["result"]
    assert info == {"url": "", "has_custom_certificate": False, "pending_update_count": 0}


async def test_long_poll_waits_and_wakes(tg: EmulatorClient, api: httpx.AsyncClient) -> None:
    user = await tg.create_user("Ada")
    started = time.monotonic()
    empty = (await api.post("getUpdates", json={"timeout": 0.3})).json()
    assert empty == {"ok": True, "result": []}
    # a lower bound is what is under test: an empty long poll waits out its timeout
    assert time.monotonic() - started >= 0.25

    # a poll that would wait 50 s (the most the emulator allows) comes back with the update:
    # it woke on it. How fast it wakes is measured in benchmarks/emulator_latency.py.
    generation = poll_generation(tg)
    poll = asyncio.create_task(api.post("getUpdates", json={"timeout": 50}, timeout=60))
    await long_poll_waiting(tg, after=generation)
    await tg.send(user.chat_id, "wake up")
    try:
        response = await asyncio.wait_for(poll, 20)
    except TimeoutError:
        raise AssertionError("the waiting long poll did not wake on the new update") from None
    result = response.json()["result"]
    assert result[0]["message"]["text"] == "wake up"


async def test_second_poller_terminates_the_first(
    tg: EmulatorClient, api: httpx.AsyncClient
) -> None:
    generation = poll_generation(tg)
    first = asyncio.create_task(api.post("getUpdates", json={"timeout": 5}))
    await long_poll_waiting(tg, after=generation)  # the first is waiting when the second comes
    second = asyncio.create_task(api.post("getUpdates", json={"timeout": 0.2}))
    old = await first
    assert old.status_code == 409
    assert old.json()["description"].startswith("Conflict: terminated by other getUpdates request")
    assert (await second).json() == {"ok": True, "result": []}


async def test_set_webhook_rules(tg: EmulatorClient, api: httpx.AsyncClient) -> None:
    user = await tg.create_user("Ada")
    await tg.send(user.chat_id, "queued")
    bad = (await api.post("setWebhook", json={"url": "ftp://x"})).json()
    assert (
        bad["description"] == "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
    )
    secret = (
        await api.post("setWebhook", json={"url": "https://127.0.0.1:1/x", "secret_token": "a b"})
    ).json()
    assert secret["error_code"] == 400
    set_ = (await api.post("setWebhook", json={"url": "https://127.0.0.1:1/x"})).json()
    assert set_["description"] == "Webhook was set"
    again = (await api.post("setWebhook", json={"url": "https://127.0.0.1:1/x"})).json()
    assert again["description"] == "Webhook is already set"
    dropped = (await api.post("deleteWebhook", json={"drop_pending_updates": True})).json()
    assert dropped["description"] == "Webhook was deleted"
    assert (await api.post("getUpdates")).json()["result"] == []


async def test_commands_by_scope_and_language(api: httpx.AsyncClient) -> None:
    commands = [{"command": "start", "description": "Börja"}]
    assert (
        await api.post("setMyCommands", json={"commands": commands, "language_code": "sv"})
    ).json()["ok"]
    assert (await api.post("getMyCommands", json={"language_code": "sv"})).json()[
        "result"
    ] == commands
    assert (await api.post("getMyCommands")).json()["result"] == []
    bad = (
        await api.post(
            "setMyCommands", json={"commands": [{"command": "Start!", "description": "x"}]}
        )
    ).json()
    assert bad["description"] == "Bad Request: BOT_COMMAND_INVALID"


async def test_answer_callback_query_only_once(tg: EmulatorClient, api: httpx.AsyncClient) -> None:
    chat_id = await _started_user(tg)
    markup = {"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]}
    await api.post("sendMessage", json={"chat_id": chat_id, "text": "q", "reply_markup": markup})
    pressed = await tg.press(chat_id, "OK")
    query_id = pressed["callback_query_id"]
    assert (
        await api.post("answerCallbackQuery", json={"callback_query_id": query_id, "text": "Saved"})
    ).json()["ok"]
    twice = (await api.post("answerCallbackQuery", json={"callback_query_id": query_id})).json()
    assert twice["error_code"] == 400
    assert "query ID is invalid" in twice["description"]
    updates = (await api.post("getUpdates")).json()["result"]
    query = updates[-1]["callback_query"]
    assert query["data"] == "ok"
    assert query["message"]["text"] == "q"
    assert query["from"]["id"] == chat_id


async def test_chat_action_must_be_known(tg: EmulatorClient, api: httpx.AsyncClient) -> None:
    chat_id = await _started_user(tg)
    bad = (await api.post("sendChatAction", json={"chat_id": chat_id, "action": "dancing"})).json()
    assert bad["description"] == "Bad Request: wrong parameter action in request"
    assert (await api.post("sendChatAction", json={"chat_id": chat_id, "action": "typing"})).json()[
        "ok"
    ]
    assert (await tg.chat(chat_id))["action"] == "typing"
