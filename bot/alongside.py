"""A task that runs alongside the bot: started after ``post_init``, stopped in ``post_stop``.

    run_alongside(app, key=SENDER_KEY, name="stegvis-scheduled-sender", start=start)

``start(application)`` returns what stops the work (anything with ``stop()``) and the work
itself (a coroutine); the task runs from after the hooks already set in ``post_init`` until
``post_stop``, which asks it to stop, waits up to ``grace`` seconds, then runs the hooks already
set. ``application.bot_data[key]`` holds ``(the stopper, the task)`` meanwhile. The scheduled
sender (``bot/scheduler.py``) and the daily retention job (``bot/retention.py``) run this way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

from bot.ptb import BotApplication

log = logging.getLogger(__name__)

Hook = Callable[[BotApplication], Awaitable[None]]


class Stoppable(Protocol):
    def stop(self) -> None: ...


class Stopping(asyncio.Event):
    """An event that ``stop()`` sets: the stopper of a loop that waits on it."""

    def stop(self) -> None:
        self.set()


Start = Callable[[BotApplication], Awaitable[tuple[Stoppable, Coroutine[Any, Any, None]]]]


def run_alongside(
    app: BotApplication, *, key: str, name: str, start: Start, grace: float = 30
) -> None:
    """Run the work ``start`` gives alongside the bot, under ``bot_data[key]``."""
    before_init: Hook | None = app.post_init
    before_stop: Hook | None = app.post_stop

    async def post_init(application: BotApplication) -> None:
        if before_init is not None:
            await before_init(application)
        stopper, work = await start(application)
        application.bot_data[key] = (stopper, asyncio.create_task(work, name=name))

    async def post_stop(application: BotApplication) -> None:
        running = application.bot_data.pop(key, None)
        if running is not None:
            stopper, task = running
            stopper.stop()
            try:
                await asyncio.wait_for(task, grace)
            except TimeoutError:
                log.warning("%s did not stop in time", name)
        if before_stop is not None:
            await before_stop(application)

    app.post_init = post_init
    app.post_stop = post_stop
