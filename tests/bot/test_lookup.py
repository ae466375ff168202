"""A slow or broken knowledge base never holds up the bot."""

from __future__ import annotations

import asyncio

from bot import lookup as lookup_module
from bot.lookup import MAX_IN_FLIGHT, lookup


async def test_an_answer_in_time_is_returned():
    async def quick():
        return "answer"

    assert await lookup(quick, within=1) == "answer"


async def test_slow_calls_are_given_up_and_do_not_pile_up():
    release = asyncio.Event()

    async def stuck():
        await release.wait()
        return "late"

    for _ in range(MAX_IN_FLIGHT):
        assert await lookup(stuck, within=0.01) is None  # given up, still running
    started = []

    async def another():
        started.append(True)
        return "x"

    assert await lookup(another, within=1) is None
    assert started == []  # not even started while the others run
    still_running = list(lookup_module._in_flight)
    assert len(still_running) == MAX_IN_FLIGHT
    release.set()
    # they finish in the background; their own callbacks (registered first) forget them
    assert await asyncio.gather(*still_running) == ["late"] * MAX_IN_FLIGHT
    assert lookup_module._in_flight == set()
    assert await lookup(another, within=1) == "x"


async def test_a_broken_knowledge_base_gives_none():
    async def broken():
        raise RuntimeError("no index")

    assert await lookup(broken, within=1) is None
