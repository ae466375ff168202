"""The daily retention job, in the bot's lifecycle: started after ``post_init``, stopped in
``post_stop`` (like the scheduled sender).

    install(app)       # in build_application

At start (before the first update is taken) and then every
``Settings.retention_check_minutes`` (60) it calls ``outcomes.retention.run_daily``, which
applies the rules once per day: the day's row is the claim, taken in the same transaction as the
deletions, so with several bot instances exactly one of them does the work each day, and a crash
leaves the day to the next try. What it removed (counts per table) is in the audit log; the log
here says only the counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

from bot.alongside import Stopping, run_alongside
from bot.ptb import BotApplication
from bot.scheduler import worker_name
from bot.state import DEPS_KEY, BotDeps
from outcomes import retention

log = logging.getLogger(__name__)

RETENTION_KEY = "stegvis_retention"


async def run_once(deps: BotDeps, worker: str) -> None:
    """One look: apply retention unless today is done (a failure is logged, and retried later)."""
    try:
        done = await asyncio.to_thread(
            retention.run_daily, deps.engine, deps.settings, worker=worker
        )
        if done is not None:
            log.info("retention %s removed %s", done.day, done.removed)
    except Exception as exc:  # the database was away: try again at the next look
        log.warning("retention did not run: %s", type(exc).__name__)


async def run(deps: BotDeps, stopping: asyncio.Event, every: float, worker: str) -> None:
    """A look every ``every`` seconds until ``stopping`` is set."""
    while not stopping.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), every)
        if not stopping.is_set():
            await run_once(deps, worker)


def install(app: BotApplication, *, every: float | None = None) -> None:
    """Run the daily retention job alongside the bot."""

    async def start(application: BotApplication) -> tuple[Stopping, Coroutine[Any, Any, None]]:
        deps: BotDeps = application.bot_data[DEPS_KEY]
        interval = every if every is not None else deps.settings.retention_check_minutes * 60.0
        worker = worker_name()
        await run_once(deps, worker)  # before the first update: a start does today's at once
        stopping = Stopping()
        return stopping, run(deps, stopping, interval, worker)

    run_alongside(app, key=RETENTION_KEY, name="stegvis-retention", start=start)
