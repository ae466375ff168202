"""python-telegram-bot in webhook mode: the emulator pushes updates with the secret token header."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from emulator.server import bind_socket, serve_in_loop
from emulator.testing import EmulatorClient
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e

SECRET = "s3cret-token_1"


def _free_port() -> int:
    sock = bind_socket()
    port = int(sock.getsockname()[1])
    sock.close()
    return port


async def test_webhook_delivery_and_secret_token(tg: EmulatorClient) -> None:
    handled: list[int] = []

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Echo and remember which update ran a handler."""
        assert update.message is not None
        assert update.message.text is not None
        handled.append(update.update_id)
        await update.message.reply_text(update.message.text.upper())

    application: Application = tg.application_builder().build()  # type: ignore[type-arg]
    application.add_handler(MessageHandler(filters.TEXT, echo))
    port = _free_port()
    hook = f"http://127.0.0.1:{port}/hook"
    async with application:
        assert application.updater is not None
        await application.updater.start_webhook(
            listen="127.0.0.1", port=port, url_path="hook", webhook_url=hook, secret_token=SECRET
        )
        await application.start()
        try:
            info = await application.bot.get_webhook_info()
            assert info.url == hook

            ada = await tg.create_user("Ada")
            await tg.send(ada.chat_id, "hej")
            [reply] = await tg.wait_for_reply(ada.chat_id)
            assert reply["text"] == "HEJ"
            assert len(handled) == 1

            # Someone who does not know the secret posts an update straight to the webhook.
            forged = {
                "update_id": 999,
                "message": {
                    "message_id": 50,
                    "date": 0,
                    "chat": {"id": ada.chat_id, "type": "private"},
                    "from": {"id": ada.user_id, "is_bot": False, "first_name": "Eve"},
                    "text": "forged",
                },
            }
            async with httpx.AsyncClient() as client:
                missing = await client.post(hook, json=forged)
                wrong = await client.post(
                    hook, json=forged, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}
                )
            assert missing.status_code == 403
            assert wrong.status_code == 403
            # Had the forged update been queued, PTB would handle it before the next real one:
            # once that is answered, the forged one can no longer turn up.
            await tg.send(ada.chat_id, "igen")
            [again] = await tg.wait_for_reply(ada.chat_id)
            assert again["text"] == "IGEN"
            assert 999 not in handled
            assert len(handled) == 2
            assert [m["text"] for m in await tg.transcript(ada.chat_id)] == [
                "hej",
                "HEJ",
                "igen",
                "IGEN",
            ]

            stats = await tg.stats()
            assert stats["webhook_deliveries"] == 2
            # While a webhook is set, getUpdates is refused with 409 Conflict.
            async with httpx.AsyncClient() as client:
                conflict = await client.post(f"{tg.base_url}{tg.token}/getUpdates")
            assert conflict.status_code == 409
            assert "webhook is active" in conflict.json()["description"]
        finally:
            await application.updater.stop()
            await application.stop()


async def test_failed_delivery_is_retried_and_reported(
    tg: EmulatorClient, api: httpx.AsyncClient
) -> None:
    port = _free_port()  # nothing listens here yet
    url = f"http://127.0.0.1:{port}/hook"
    response = await api.post("setWebhook", data={"url": url, "secret_token": SECRET})
    assert response.json() == {"ok": True, "result": True, "description": "Webhook was set"}
    ada = await tg.create_user("Ada")
    await tg.send(ada.chat_id, "hej")

    async def failed_info() -> dict[str, Any] | None:
        info: dict[str, Any] = (await api.get("getWebhookInfo")).json()["result"]
        return info if "last_error_message" in info else None

    info = await eventually(failed_info, what="getWebhookInfo reports the failed delivery")
    assert info["pending_update_count"] == 1
    assert info["last_error_message"].startswith("Connection failed")

    received: list[tuple[str | None, dict[str, object]]] = []
    arrived = asyncio.Event()

    async def receiver(scope: dict[str, Any], receive: Any, send: Any) -> None:
        """A bare ASGI webhook that records what arrives."""
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = dict(scope["headers"])
        received.append(
            (headers.get(b"x-telegram-bot-api-secret-token", b"").decode(), json.loads(body))
        )
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        arrived.set()

    async with serve_in_loop(receiver, port=port):
        try:  # the emulator tries again after its pause (doubling, at most 5 s)
            await asyncio.wait_for(arrived.wait(), 20)
        except TimeoutError:
            raise AssertionError(
                "the update was not delivered again once the hook listened"
            ) from None
    assert received
    assert received[0][0] == SECRET
    assert received[0][1]["message"]["text"] == "hej"  # type: ignore[index]
    deleted = (await api.post("deleteWebhook")).json()
    assert deleted["description"] == "Webhook was deleted"


async def test_updates_of_several_chats_arrive_at_once_each_chat_in_order(
    tg: EmulatorClient, api: httpx.AsyncClient
) -> None:
    """Up to max_connections deliveries in flight, never two of one chat (as Telegram)."""
    in_flight: dict[int, int] = {}
    most = 0
    seen: list[tuple[int, str]] = []

    async def hook(request: Request) -> Response:
        nonlocal most
        update = await request.json()
        chat = update["message"]["chat"]["id"]
        in_flight[chat] = in_flight.get(chat, 0) + 1
        assert in_flight[chat] == 1, "two updates of one chat at once"
        most = max(most, sum(in_flight.values()))
        await asyncio.sleep(0.05)  # a handler at work, so that deliveries overlap
        seen.append((chat, update["message"]["text"]))
        in_flight[chat] -= 1
        return Response(status_code=200)

    sock = bind_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    async with serve_in_loop(Starlette(routes=[Route("/hook", hook, methods=["POST"])]), sock=sock):
        users = [await tg.create_user(f"U{i}") for i in range(4)]
        for round_ in range(3):
            for user in users:
                await tg.send(user.chat_id, f"m{round_}")
        response = await api.post("setWebhook", data={"url": url, "max_connections": 3})
        assert response.json()["ok"]
        await eventually(lambda: len(seen) == 12, what="every update delivered", within=20)
    assert most == 3  # three chats at once, as max_connections allows
    for user in users:
        assert [t for c, t in seen if c == user.chat_id] == ["m0", "m1", "m2"]
