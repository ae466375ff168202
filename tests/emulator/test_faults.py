"""Injected faults: 5xx answers, dropped connections, delays and updates delivered twice."""

from __future__ import annotations

import time

import httpx
import pytest
from telegram.error import NetworkError

from emulator.testing import EmulatorClient, polling
from tests.emulator.minibot import build_minibot


async def test_error_then_recovery(tg: EmulatorClient, api: httpx.AsyncClient) -> None:
    await tg.add_fault("error", status=502, methods=["getMe"], times=2)
    first = await api.get("getMe")
    assert first.status_code == 502
    assert first.json() == {"ok": False, "error_code": 502, "description": "Bad Gateway"}
    assert (await api.get("getMe")).status_code == 502
    assert (await api.get("getMe")).json()["ok"] is True
    assert (await tg.stats())["faults_injected"] == 2


async def test_dropped_connection_is_a_network_error_for_ptb(tg: EmulatorClient) -> None:
    await tg.add_fault("drop", methods=["getMe"])
    application = tg.application_builder().build()
    with pytest.raises(NetworkError):
        await application.bot.initialize()
    await application.bot.initialize()  # the fault fired once
    assert application.bot.username == tg.bot_username


async def test_error_after_the_effect_loses_only_the_answer(
    tg: EmulatorClient, api: httpx.AsyncClient
) -> None:
    user = await tg.create_user("Ada")
    await tg.send(user.chat_id, "hi")
    await tg.add_fault("error", methods=["sendMessage"], after=True)
    response = await api.post("sendMessage", json={"chat_id": user.chat_id, "text": "sent anyway"})
    assert response.status_code == 500
    assert [m["text"] for m in await tg.transcript(user.chat_id)] == ["hi", "sent anyway"]


async def test_delay(tg: EmulatorClient, api: httpx.AsyncClient) -> None:
    await tg.add_fault("delay", delay_ms=300, methods=["getMe"])
    started = time.monotonic()
    assert (await api.get("getMe")).json()["ok"]
    assert time.monotonic() - started >= 0.3  # a lower bound: the delay is what is under test


async def test_update_delivered_twice_reaches_the_bot_twice(tg: EmulatorClient) -> None:
    async with polling(build_minibot(tg.application_builder())):
        user = await tg.create_user("Ada")
        await tg.add_fault("duplicate_update")
        await tg.send(user.chat_id, "once")
        replies = await tg.wait_for_reply(user.chat_id, count=2)
        assert [r["text"] for r in replies] == ["once", "once"]  # a bot without dedup answers twice
        stats = await tg.stats()
        assert stats["duplicates_delivered"] == 1
        assert stats["updates_created"] == 1
