"""Pushing updates to a bot's webhook, in order, with ``X-Telegram-Bot-Api-Secret-Token``.

Like Telegram, a delivery counts only when the webhook answers 2xx; otherwise the error is kept
for getWebhookInfo (``last_error_message``) and the same update is tried again after a pause.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Protocol

import httpx

from emulator.config import EmulatorConfig
from emulator.state import BotState, EmulatorState, WebhookSettings

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  (a header name)


class WebhookHost(Protocol):
    """What the pusher needs of the emulator (``emulator.core.Emulator`` is one)."""

    @property
    def state(self) -> EmulatorState: ...

    @property
    def config(self) -> EmulatorConfig: ...

    @property
    def closing(self) -> bool: ...


class WebhookPusher:
    """One delivery task per bot with a webhook, in the event loop that set the webhook."""

    def __init__(self, emulator: WebhookHost) -> None:
        self._emulator = emulator
        self._tasks: dict[int, asyncio.Task[None]] = {}

    def start(self, bot: BotState) -> None:
        """(Re)start delivering ``bot``'s updates to its current webhook."""
        self.stop(bot.bot_id)
        settings = bot.webhook
        if settings is not None:
            self._tasks[bot.bot_id] = asyncio.create_task(
                self._deliver_forever(bot, settings), name=f"emulator-webhook-{bot.bot_id}"
            )

    def stop(self, bot_id: int) -> None:
        """Stop delivering to ``bot_id``'s webhook."""
        task = self._tasks.pop(bot_id, None)
        if task is not None:
            task.cancel()

    async def aclose(self) -> None:
        """Stop every delivery task and wait for them."""
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _post(
        self, client: httpx.AsyncClient, settings: WebhookSettings, update: dict[str, Any]
    ) -> str | None:
        """Deliver one update; None when the webhook took it, else the error Telegram reports."""
        headers = {SECRET_HEADER: settings.secret_token} if settings.secret_token else {}
        try:
            response = await client.post(settings.url, json=update, headers=headers)
        except httpx.HTTPError as exc:
            return f"Connection failed: {type(exc).__name__}"
        if 200 <= response.status_code < 300:
            return None
        return f"Wrong response from the webhook: {response.status_code} {response.reason_phrase}"

    async def _deliver_forever(self, bot: BotState, settings: WebhookSettings) -> None:
        emulator = self._emulator
        state = emulator.state
        queue = bot.updates
        pause = emulator.config.webhook_retry_seconds
        timeout = emulator.config.webhook_timeout_seconds
        async with httpx.AsyncClient(timeout=timeout) as client:
            while bot.webhook is settings and not emulator.closing:
                with state.lock:
                    version = queue.signal.version
                    batch = queue.take(1)
                    queued = queue.pending[0] if queue.pending else None
                if not batch:
                    await queue.signal.wait(version, 30.0)
                    continue
                update = batch[0]
                error = await self._post(client, settings, update)
                with state.lock:
                    if error is None:
                        state.stats.webhook_deliveries += 1
                        settings.last_error_message = None
                        if queued is not None and queued.update is update:
                            queue.pending.remove(queued)
                            twice = queued.twice
                        else:  # a repeat delivery (fault) has no queue entry left
                            twice = False
                    else:
                        state.stats.webhook_errors += 1
                        settings.last_error_date = state.now()
                        settings.last_error_message = error
                if error is not None:
                    if queued is None or queued.update is not update:
                        with state.lock:  # a failed repeat: put it back, it was not delivered
                            queue.redeliver.insert(0, update)
                            queue.duplicates_delivered -= 1
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, 5.0)
                    continue
                pause = emulator.config.webhook_retry_seconds
                if twice:
                    with state.lock:
                        queue.redeliver.append(update)
