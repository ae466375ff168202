"""``stegvis up`` in sandbox mode: staff API, emulator, sandbox page and bot on one port."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlmodel import Session, select
from telegram.ext import Application, ApplicationBuilder

from core.settings import Settings, get_settings
from emulator.server import bind_socket, serve_in_loop
from emulator.testing import EmulatorClient
from outcomes.contacts import Invite
from outcomes.db import get_engine
from outcomes.models import Pair
from stegvis.sandbox import SANDBOX_USERS_FILE, sandbox_token_for
from stegvis.up import assemble_sandbox, assemble_telegram
from tests.emulator.minibot import build_minibot

pytestmark = pytest.mark.e2e


def minibot_factory(settings: Settings, *, base_url: str, base_file_url: str) -> Application:  # type: ignore[type-arg]
    """Stands in for bot.app.build_application with the same signature."""
    assert settings.telegram_token is not None
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(base_url)
        .base_file_url(base_file_url)
    )
    return build_minibot(builder)


async def test_sandbox_on_one_port(settings: Settings) -> None:
    sock = bind_socket()
    root = f"http://127.0.0.1:{sock.getsockname()[1]}"
    assembled = assemble_sandbox(settings, root_url=root, build_bot=minibot_factory)
    assert assembled.runner is not None
    async with serve_in_loop(assembled.app, sock=sock):
        await assembled.runner.start()
        try:
            async with httpx.AsyncClient(base_url=root) as client:
                assert (await client.get("/")).headers["location"] == "/sandbox"
                assert "sandbox.js" in (await client.get("/sandbox")).text
                assert (await client.get("/health")).status_code == 200  # the staff API
                assert (await client.get("/api/v1/cohorts")).status_code == 401
                user = (
                    await client.post(
                        "/_emulator/users", json={"first_name": "Ada", "role": "mentor"}
                    )
                ).json()
                await client.post(
                    "/_emulator/messages", json={"chat_id": user["chat_id"], "text": "/start"}
                )
                for _ in range(100):
                    transcript = (
                        await client.get(
                            f"/_emulator/chats/{user['chat_id']}/messages",
                            params={"version": 0, "wait": 0.05},
                        )
                    ).json()
                    if len(transcript) == 2:
                        break
                assert transcript[1]["text"] == "Hej! Do you want a mentor?"

                # invite links of demo pairs: a mentor and then a participant share one pair
                tokens = []
                for role in ("mentor", "participant", "mentor"):
                    invited = await client.post("/_sandbox/invite", json={"role": role})
                    assert invited.status_code == 201
                    tokens.append(invited.json()["start"])
                assert len(set(tokens)) == 3
                bad = await client.post("/_sandbox/invite", json={"role": "staff"})
                assert bad.status_code == 422
        finally:
            await assembled.runner.stop()

    # the data folder keeps the token and the people for the next start
    data_dir = settings.data_dir
    assert assembled.emulator is not None
    assert sandbox_token_for(data_dir) == assembled.emulator.config.bots[0].token
    saved = json.loads((data_dir / SANDBOX_USERS_FILE).read_text())
    assert [(u["first_name"], u["role"]) for u in saved] == [("Ada", "mentor")]
    with Session(get_engine(settings)) as session:
        pairs = session.exec(select(Pair).where(Pair.id.startswith("sbx-"))).all()  # type: ignore[attr-defined]
        invites = session.exec(select(Invite).where(Invite.pair.in_([p.id for p in pairs]))).all()  # type: ignore[attr-defined]
    assert len(pairs) == 2
    assert sorted(str(i.role) for i in invites) == [
        "mentor",
        "mentor",
        "participant",
        "participant",
    ]

    again = assemble_sandbox(settings, root_url=root, build_bot=minibot_factory)
    assert again.emulator is not None
    assert [u.first_name for u in again.emulator.state.users.values()] == ["Ada"]
    assert again.emulator.create_user("Bo").user_id == user["user_id"] + 1


SECRET = "s3cret-token_1"


async def test_telegram_webhook_mode_on_one_port(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tg: EmulatorClient
) -> None:
    """With a token and a webhook URL, Telegram's updates come to up's port, secret checked."""
    sock = bind_socket()
    root = f"http://127.0.0.1:{sock.getsockname()[1]}"
    monkeypatch.setenv("STEGVIS_TELEGRAM_TOKEN", tg.token)
    monkeypatch.setenv("STEGVIS_WEBHOOK_URL", f"{root}/telegram/hook")
    monkeypatch.setenv("STEGVIS_WEBHOOK_SECRET", SECRET)
    get_settings.cache_clear()
    assembled = assemble_telegram(
        get_settings(), build_bot=lambda _settings: build_minibot(tg.application_builder())
    )
    async with serve_in_loop(assembled.app, sock=sock):
        await assembled.runner.start()
        try:
            info = await assembled.runner.application.bot.get_webhook_info()
            assert info.url == f"{root}/telegram/hook"
            ada = await tg.create_user("Ada")
            async with httpx.AsyncClient(base_url=root) as client:
                assert (await client.get("/health")).status_code == 200  # the staff API
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
                missing = await client.post("/telegram/hook", json=forged)
                wrong = await client.post(
                    "/telegram/hook",
                    json=forged,
                    headers={"X-Telegram-Bot-Api-Secret-Token": "guess"},
                )
            assert (missing.status_code, wrong.status_code) == (403, 403)
            await tg.send(ada.chat_id, "hej")  # pushed by the emulator with the secret
            [reply] = await tg.wait_for_reply(ada.chat_id, timeout=20)
            assert reply["text"] == "hej"
            # the bot handles updates in order: a forged one taken would have been answered first
            assert [m["text"] for m in await tg.transcript(ada.chat_id)] == ["hej", "hej"]
        finally:
            await assembled.runner.stop()
