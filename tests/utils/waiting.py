"""Waiting for what a test means, never for a fixed time.

    await eventually(lambda: not fanout.done() and sent() >= 5, what="five messages sent")
    await long_poll_waiting(tg, after=generation)        # a getUpdates call is waiting now

``eventually`` is the deadline loop for conditions nothing signals (a database row, a counter in
another task, a server coming up): it looks again every ``every`` seconds and fails at the
deadline with an ``AssertionError`` that says what did not happen and what it last saw. Where
the emulator signals a change (a chat, the update queue), wait on that signal instead
(``EmulatorClient.wait_for``, ``wait_for_reply``, ``wait_for_answer``, ``long_poll_waiting``).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar

from emulator.testing import EmulatorClient

T = TypeVar("T")


async def eventually(
    condition: Callable[[], T | Awaitable[T]],
    *,
    what: str,
    within: float = 10.0,
    every: float = 0.01,
) -> T:
    """The first truthy value of ``condition()`` (a plain or an async function), looked at every
    ``every`` seconds; ``AssertionError`` naming ``what`` when ``within`` seconds pass first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value  # type: ignore[return-value]
        if loop.time() >= deadline:
            raise AssertionError(f"not within {within} s: {what} (last seen: {value!r})")
        await asyncio.sleep(every)  # the loop's pace, not a wait for the event


def poll_generation(tg: EmulatorClient) -> int:
    """How many getUpdates calls the emulator's bot has had (pass it to ``long_poll_waiting``)."""
    return tg.emulator.bot().updates.poll_generation


async def long_poll_waiting(tg: EmulatorClient, *, after: int, within: float = 10.0) -> None:
    """Wait until a getUpdates call newer than generation ``after`` reached the emulator.

    The emulator bumps the generation and notifies the update queue's signal when a call comes
    in; from then on that call is waiting (or has already returned with what was queued)."""
    queue = tg.emulator.bot().updates
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        version = queue.signal.version  # before looking: a change after this wakes the wait
        if queue.poll_generation > after:
            return
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"no getUpdates call reached the emulator within {within} s")
        await queue.signal.wait(version, remaining)
