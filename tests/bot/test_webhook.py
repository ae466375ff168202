"""The webhook answers only when an update is handled: 500 on a failure (Telegram delivers it
again), 503 while the bot is not running, 400 for a body that is no update; the re-delivery is
handled once (``bot.runner.BotRunner.process``, ``stegvis.asgi.webhook_route``)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from telegram import Update
from telegram.ext import ContextTypes, MessageHandler, filters

from bot.replies import deliver, say
from bot.runner import BotRunner
from bot.state import DEPS_KEY, BotDeps, Turn, once
from core.settings import Settings
from emulator.server import bind_socket, serve_in_loop
from emulator.testing import EmulatorClient, running_emulator
from outcomes.conversations import ProcessedUpdate
from stegvis.asgi import SECRET_HEADER, combine, webhook_route
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e

SECRET = "hook-secret_1"


class NotingBot:
    """A bot of one flow: it notes each message's length once (``once``) and answers; the
    first try of a message that says "fail" breaks inside its transaction."""

    def __init__(self, tg: EmulatorClient, settings: Settings, engine: Engine) -> None:
        self.tries: Counter[int] = Counter()
        self.began, self.release = asyncio.Event(), asyncio.Event()
        self.app = tg.application_builder().build()
        self.app.bot_data[DEPS_KEY] = BotDeps(
            settings=settings, engine=engine, bot_id=int(tg.token.split(":")[0])
        )
        self.app.add_handler(MessageHandler(filters.TEXT, self.note))

    async def note(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Note the message's length once and say it."""
        assert update.message is not None
        text = update.message.text or ""
        if text == "slow":
            self.began.set()
            await self.release.wait()

        def work(_turn: Turn) -> Any:
            self.tries[update.update_id] += 1
            if text == "fail" and self.tries[update.update_id] == 1:
                raise RuntimeError("the database went away")
            return say(f"noted {len(text)}")

        await deliver(update, context, await once(update, context, work))


@pytest.fixture
async def tg() -> AsyncIterator[EmulatorClient]:
    async with running_emulator(rate_limits=False, webhook_retry_seconds=0.05) as client:
        yield client


async def test_a_failed_update_is_answered_500_and_handled_once_when_it_comes_again(
    tg: EmulatorClient, settings: Settings, db: Engine
) -> None:
    bot = NotingBot(tg, settings, db)
    sock = bind_socket()
    root = f"http://127.0.0.1:{sock.getsockname()[1]}"
    runner = BotRunner(bot.app, webhook_url=f"{root}/hook", webhook_secret=SECRET)
    app = combine([webhook_route("/hook", runner)], [])
    update = {
        "update_id": 77,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 5, "type": "private"},
            "from": {"id": 5, "is_bot": False, "first_name": "Ada"},
            "text": "x",
        },
    }
    async with serve_in_loop(app, sock=sock), httpx.AsyncClient(base_url=root) as client:
        headers = {SECRET_HEADER: SECRET}
        early = await client.post("/hook", json=update, headers=headers)
        assert early.status_code == 503  # not started: Telegram tries again later
        await runner.start()
        try:
            bad = await client.post("/hook", content=b"{not json", headers=headers)
            assert bad.status_code == 400
            assert (await client.post("/hook", json={"x": 1}, headers=headers)).status_code == 400

            ada = await tg.create_user("Ada")
            await tg.send(ada.chat_id, "fail")
            [reply] = await tg.wait_for_reply(ada.chat_id, timeout=20)
            assert reply["text"] == "noted 4"
            stats = await tg.stats()
            assert stats["webhook_errors"] == 1  # the first try answered 500 ...
            assert stats["webhook_deliveries"] == 1  # ... the second 200
            assert list(bot.tries.values()) == [2]

            # Telegram may deliver a handled update again (its answer lost): nothing happens
            await tg.add_fault("duplicate_update", times=1)
            await tg.send(ada.chat_id, "hej")
            [second] = await tg.wait_for_reply(ada.chat_id, timeout=20)
            assert second["text"] == "noted 3"
            await eventually(
                lambda: tg.emulator.state.stats.webhook_deliveries == 3,
                what="the duplicate delivered",
            )
            await tg.send(ada.chat_id, "ok")  # in order: once this is answered, all is done
            await tg.wait_for_reply(ada.chat_id, timeout=20)
        finally:
            await runner.stop()
    texts = [m["text"] for m in await tg.transcript(ada.chat_id)]
    assert texts == ["fail", "noted 4", "hej", "noted 3", "ok", "noted 2"]
    assert sorted(bot.tries.values()) == [1, 1, 2]  # the duplicate ran no work
    with Session(db) as session:
        handled = session.exec(select(func.count()).select_from(ProcessedUpdate)).one()
    assert handled == 3


async def test_a_stop_finishes_the_updates_in_hand_and_turns_new_ones_away(
    tg: EmulatorClient, settings: Settings, db: Engine
) -> None:
    bot = NotingBot(tg, settings, db)
    sock = bind_socket()
    root = f"http://127.0.0.1:{sock.getsockname()[1]}"
    runner = BotRunner(bot.app, webhook_url=f"{root}/hook", webhook_secret=SECRET)
    app = combine([webhook_route("/hook", runner)], [])
    async with serve_in_loop(app, sock=sock), httpx.AsyncClient(base_url=root) as client:
        await runner.start()
        ada = await tg.create_user("Ada")
        await tg.send(ada.chat_id, "slow")
        await asyncio.wait_for(bot.began.wait(), 20)
        stopping = asyncio.create_task(runner.stop())
        await eventually(lambda: not runner._started, what="the stop begun")
        late = {"update_id": 5, "message": {"message_id": 9, "date": 0, "text": "x",
                "chat": {"id": 5, "type": "private"}, "from": {"id": 5, "is_bot": False,
                "first_name": "Bo"}}}  # fmt: skip
        turned = await client.post("/hook", json=late, headers={SECRET_HEADER: SECRET})
        assert turned.status_code == 503  # Telegram delivers it again, to a running instance
        assert not stopping.done()  # the update in hand holds the stop
        bot.release.set()
        await asyncio.wait_for(stopping, 20)
    [reply] = [m for m in tg.emulator.transcript(ada.chat_id) if m["from_bot"]]
    assert reply["text"] == "noted 4"  # its reply went out before the bot stopped
