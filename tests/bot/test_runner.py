"""The bot's one lifecycle (``bot.runner.BotRunner``): start, the warm-up before any update, stop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from bot.runner import BotRunner
from emulator.testing import EmulatorClient, running_emulator
from tests.emulator.minibot import build_minibot

pytestmark = pytest.mark.e2e


@pytest.fixture
async def tg() -> AsyncIterator[EmulatorClient]:
    async with running_emulator(rate_limits=False) as client:
        yield client


async def greeted(tg: EmulatorClient, name: str) -> str:
    """Someone writes /start; the bot's first answer."""
    user = await tg.create_user(name)
    await tg.send(user.chat_id, "/start")
    [reply] = await tg.wait_for_reply(user.chat_id, timeout=20)
    return str(reply["text"])


async def test_the_bot_takes_updates_only_after_its_warm_up(tg: EmulatorClient) -> None:
    began, release = asyncio.Event(), asyncio.Event()
    calls = 0

    async def warm_up() -> str:
        nonlocal calls
        calls += 1
        began.set()
        await release.wait()
        return "ready"

    runner = BotRunner(build_minibot(tg.application_builder()), warm_up=warm_up)
    starting = asyncio.create_task(runner.start())
    try:
        await asyncio.wait_for(began.wait(), timeout=5)
        ada = await tg.create_user("Ada")
        await tg.send(ada.chat_id, "/start")  # written while the bot still warms up
        # the warm-up holds the start: nothing has asked for updates, nothing is answered
        assert not starting.done()
        assert not runner.started
        assert (await tg.stats())["methods"].get("getUpdates", 0) == 0
        assert [m["from_bot"] for m in await tg.transcript(ada.chat_id)] == [False]
        release.set()
        await asyncio.wait_for(starting, timeout=10)
        assert runner.started
        assert runner.warming is not None
        assert runner.warming.result() == "ready"
        # the message written during the warm-up is answered once it is done
        [reply] = await tg.wait_for_reply(ada.chat_id, timeout=20)
        assert reply["text"] == "Hej! Do you want a mentor?"
    finally:
        await runner.stop()
    assert calls == 1


async def test_a_failing_warm_up_is_logged_and_the_bot_runs_on(
    tg: EmulatorClient, caplog: pytest.LogCaptureFixture
) -> None:
    async def warm_up() -> None:
        raise RuntimeError("no index: the disk is full")

    runner = BotRunner(build_minibot(tg.application_builder()), warm_up=warm_up)
    with caplog.at_level(logging.WARNING, logger="bot.runner"):
        await runner.start()
        try:
            assert runner.warming is not None
            assert await asyncio.wait_for(runner.warming, timeout=5) is None
            assert await greeted(tg, "Bo") == "Hej! Do you want a mentor?"
        finally:
            await runner.stop()
    assert "the warm-up failed: RuntimeError" in caplog.text
    assert "disk is full" not in caplog.text  # error types only in the logs


async def test_stop_during_the_warm_up_ends_the_start_and_is_safe_twice(
    tg: EmulatorClient,
) -> None:
    began, never = asyncio.Event(), asyncio.Event()

    async def warm_up() -> None:
        began.set()
        await never.wait()

    application = build_minibot(tg.application_builder())
    runner = BotRunner(application, warm_up=warm_up)
    starting = asyncio.create_task(runner.start())
    await asyncio.wait_for(began.wait(), timeout=5)
    await runner.stop()
    await asyncio.wait_for(starting, timeout=5)  # the start ends without taking updates
    assert runner.warming is not None
    assert runner.warming.cancelled()
    assert not runner.started
    assert not application.running
    assert application.updater is not None
    assert not application.updater.running
    assert (await tg.stats())["methods"].get("getUpdates", 0) == 0
    await runner.stop()  # nothing left to stop: no error


async def test_stop_after_the_start_stops_polling(tg: EmulatorClient) -> None:
    application = build_minibot(tg.application_builder())
    runner = BotRunner(application)
    await runner.start()
    assert application.running
    assert application.updater is not None
    assert application.updater.running
    await runner.stop()
    assert not application.running
    assert not application.updater.running


async def test_start_waits_for_a_bot_api_that_comes_up_later(tg: EmulatorClient) -> None:
    await tg.add_fault("drop", methods=["getMe"], times=3)  # the first three getMe fail
    runner = BotRunner(build_minibot(tg.application_builder()))
    await runner.start(connect_timeout=15)
    try:
        assert tg.emulator.faults.injected == 3  # three failed tries before the one that worked
        assert await greeted(tg, "Cy") == "Hej! Do you want a mentor?"
    finally:
        await runner.stop()
