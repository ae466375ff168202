"""Telegram's flood limits: token buckets per chat and per bot answer 429 with retry_after."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import httpx
import pytest
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

from emulator.config import LimitsConfig
from emulator.limits import FloodControl
from emulator.testing import EmulatorClient, running_emulator


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class HeldClock:
    """``time.monotonic``, except while held: then it stays at the moment the hold began, so a
    slow or busy machine cannot refill a bucket between sends that a test means as "at once"."""

    def __init__(self) -> None:
        self.held: float | None = None

    def __call__(self) -> float:
        return self.held if self.held is not None else time.monotonic()

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        self.held = time.monotonic()
        try:
            yield
        finally:
            self.held = None


def held_clock(tg: EmulatorClient) -> HeldClock:
    """Give the running emulator's flood control a ``HeldClock`` (its buckets start full)."""
    clock = HeldClock()
    tg.emulator.flood = FloodControl(tg.emulator.flood.config, clock)
    return clock


def test_chat_bucket_allows_a_burst_then_one_per_second() -> None:
    clock = FakeClock()
    flood = FloodControl(LimitsConfig(chat_rate=1, chat_burst=3), clock)
    assert [flood.check(1, 10) for _ in range(3)] == [None, None, None]
    assert flood.check(1, 10) == 1
    assert flood.check(1, 11) is None  # another chat has its own bucket
    clock.now += 1.0
    assert flood.check(1, 10) is None
    assert flood.check(1, 10) == 1


def test_bot_bucket_limits_all_chats_together() -> None:
    clock = FakeClock()
    flood = FloodControl(LimitsConfig(bot_rate=30, bot_burst=30), clock)
    assert all(flood.check(1, chat) is None for chat in range(30))
    assert flood.check(1, 999) == 1
    assert flood.check(2, 999) is None  # another bot
    clock.now += 0.5  # half a second buys 15 more
    assert sum(flood.check(1, 1000 + n) is None for n in range(20)) == 15


def test_limits_can_be_switched_off() -> None:
    flood = FloodControl(LimitsConfig(enabled=False, chat_burst=1))
    assert all(flood.check(1, 1) is None for _ in range(100))


async def test_429_has_telegrams_shape(tg_limited: EmulatorClient) -> None:
    tg = tg_limited
    user = await tg.create_user("Ada")
    await tg.send(user.chat_id, "hi")
    async with httpx.AsyncClient(base_url=f"{tg.base_url}{tg.token}/") as api:
        with held_clock(tg).hold():  # six sends at one moment, however slow the machine
            bodies = [
                (
                    await api.post("sendMessage", json={"chat_id": user.chat_id, "text": f"{n}"})
                ).json()
                for n in range(6)
            ]
    refused = [b for b in bodies if not b["ok"]]
    assert len(refused) == 2  # the default burst per chat is 4
    assert refused[0] == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert (await tg.stats())["too_many_requests"] == 2
    await tg.set_limits(enabled=False)
    async with httpx.AsyncClient(base_url=f"{tg.base_url}{tg.token}/") as api:
        after = await api.post("sendMessage", json={"chat_id": user.chat_id, "text": "free"})
    assert after.json()["ok"] is True


async def test_ptb_sees_retry_after_and_its_rate_limiter_retries() -> None:
    async with running_emulator(limits=LimitsConfig(chat_rate=5, chat_burst=1)) as tg:
        user = await tg.create_user("Ada")
        await tg.send(user.chat_id, "hi")
        clock = held_clock(tg)
        plain = tg.application_builder().build()
        async with plain:
            with clock.hold():  # the second right after the first, however slow the machine
                await plain.bot.send_message(user.chat_id, "first")
                with pytest.raises(RetryAfter):
                    await plain.bot.send_message(user.chat_id, "second")
        limited = tg.application_builder().rate_limiter(AIORateLimiter(max_retries=2)).build()
        async with limited:
            await limited.bot.send_message(user.chat_id, "third")  # retried after 1 s
        texts = [m["text"] for m in await tg.transcript(user.chat_id)]
        assert texts == ["hi", "first", "third"]
