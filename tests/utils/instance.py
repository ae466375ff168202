"""``python -m tests.utils.instance [serve options]``: ``stegvis serve`` with test hooks.

The deployment tests start real instances with this module, which runs the real command
(``stegvis.commands.up:serve_command``) after installing three hooks, driven by files in the
folder ``STEGVIS_TEST_HOOKS`` names:

- ``hold``: from the moment it exists, every update's transaction stops just before its commit
  (its work done, its update id inserted) and writes ``held-<update id>``; the scheduled
  sender claims nothing more. So the test can kill -9 the instance in the middle of updates.
- ``ready`` is written by the instance when it holds and nothing is between a commit and the
  end of its update (its replies sent), and its sender is between rounds: a kill then loses
  only uncommitted work, which the webhook's re-delivery brings back.
- ``STEGVIS_TEST_CLOCK_OFFSET`` (seconds) shifts the instance's clock (``outcomes.clock``), so
  that due check-ins go out whatever the hour the test runs at (none between 21 and 08).
"""

from __future__ import annotations

import asyncio
import faulthandler
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import typer

T = TypeVar("T")
HOOKS_ENV = "STEGVIS_TEST_HOOKS"
CLOCK_ENV = "STEGVIS_TEST_CLOCK_OFFSET"


class Hooks:
    """The hold, the bookkeeping behind ``ready``, and the watcher that writes it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lock = threading.Lock()
        self.holding = threading.Event()
        self.unfinished: set[int] = set()  # committed (or about to), replies not yet sent
        self.rounds = 0  # sender rounds in progress

    def watch(self) -> None:
        """Poll for ``hold``; once holding, write ``ready`` when nothing is half done."""
        while True:
            with self.lock:
                if not self.holding.is_set() and (self.folder / "hold").exists():
                    self.holding.set()
                if self.holding.is_set() and not self.unfinished and self.rounds == 0:
                    (self.folder / "ready").touch()
                    return
            time.sleep(0.02)  # a watcher's pace, in the instance under test

    def before_commit(self, update_id: int) -> None:
        """In the update's transaction, after its work: hold, or note it as committing."""
        with self.lock:
            if not self.holding.is_set():
                self.unfinished.add(update_id)
                return
        (self.folder / f"held-{update_id}").touch()
        while True:  # until the test kills this process
            time.sleep(1)


def install(hooks: Hooks) -> None:
    """Wrap ``bot.state._once_sync``, ``BotRunner.process`` and ``Sender.run_once``."""
    from bot import state
    from bot.runner import BotRunner
    from bot.scheduler import Sender

    once_sync = state._once_sync

    def held_once(deps_: Any, update: Any, work: Callable[[Any], T]) -> T | None:
        def work_then_hold(turn: Any) -> T:
            result = work(turn)
            hooks.before_commit(update.update_id)
            return result

        return once_sync(deps_, update, work_then_hold)

    state._once_sync = held_once

    process = BotRunner.process

    async def tracked_process(self: BotRunner, data: dict[str, Any]) -> None:
        try:
            await process(self, data)
        finally:
            with hooks.lock:
                hooks.unfinished.discard(int(data["update_id"]))

    BotRunner.process = tracked_process  # type: ignore[method-assign]

    run_once = Sender.run_once

    async def held_round(self: Sender, now: datetime | None = None) -> Any:
        while True:
            with hooks.lock:
                if not hooks.holding.is_set():
                    hooks.rounds += 1
                    break
            await asyncio.sleep(0.5)  # holding: claim nothing until killed
        try:
            return await run_once(self, now)
        finally:
            with hooks.lock:
                hooks.rounds -= 1

    Sender.run_once = held_round  # type: ignore[method-assign]


def main() -> None:
    faulthandler.register(signal.SIGUSR1)  # a test that times out asks for the stacks
    folder = os.environ.get(HOOKS_ENV)
    if folder:
        hooks = Hooks(Path(folder))
        install(hooks)
        threading.Thread(target=hooks.watch, daemon=True, name="test-hooks").start()
    offset = float(os.environ.get(CLOCK_ENV) or 0)
    if offset:
        from outcomes.clock import set_clock

        shift = timedelta(seconds=offset)
        set_clock(lambda: datetime.now(UTC) + shift)
    from stegvis.commands.up import serve_command

    typer.run(serve_command)


if __name__ == "__main__":
    main()
