"""Knowledge-base calls with a time limit, so that a slow or still-building base never stalls the bot.

    answer = await lookup(lambda: service.ask(question, lang_hint="ar"), within=30)  # None: gave up

The knowledge base searches in worker threads, one search at a time; on a fresh install its first
call may build the index for minutes. A call that takes too long is given up (the person gets an
answer without material, or "try again later") but left to finish in the background; while
``MAX_IN_FLIGHT`` such calls are still running, new ones are not started at all, so waiting
threads cannot pile up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_IN_FLIGHT = 2
_in_flight: set[asyncio.Future[Any]] = set()


async def lookup(call: Callable[[], Awaitable[T]], *, within: float) -> T | None:
    """The result of ``call()``, or None when it fails, takes longer than ``within`` seconds, or
    too many earlier calls are still running."""
    if len(_in_flight) >= MAX_IN_FLIGHT:
        log.warning("knowledge base busy: %d calls still running", len(_in_flight))
        return None
    task = asyncio.ensure_future(call())
    _in_flight.add(task)
    task.add_done_callback(_finished)
    try:
        return await asyncio.wait_for(asyncio.shield(task), within)
    except Exception as exc:  # the knowledge base is optional: answer without it
        log.warning("knowledge base unavailable: %s", type(exc).__name__)
        return None


def _finished(task: asyncio.Future[Any]) -> None:
    _in_flight.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.info("a knowledge call failed: %s", type(task.exception()).__name__)
