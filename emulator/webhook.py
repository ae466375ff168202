"""Pushing updates to a bot's webhook, in order, with ``X-Telegram-Bot-Api-Secret-Token``.

Like Telegram, a delivery counts only when the webhook answers 2xx; otherwise the error is kept
for getWebhookInfo (``last_error_message``) and the same update is tried again after a pause
that doubles with each failure in a row (0.2 s up to 5 s). Up to ``max_connections`` updates
are in flight at once (setWebhook's parameter, 40 by default), but never two of one chat: a
chat's updates arrive in order, each only after the one before it was taken (or given up on).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Protocol

import httpx

from emulator.config import EmulatorConfig
from emulator.state import BotState, EmulatorState, WebhookSettings
from emulator.updates import Queued, UpdateQueue

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
        self._failures = 0  # deliveries failed in a row: the pause before a retry doubles

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
        """Up to ``max_connections`` deliveries at once, one at a time per chat (in order)."""
        emulator = self._emulator
        state = emulator.state
        queue = bot.updates
        timeout = emulator.config.webhook_timeout_seconds
        busy: set[object] = set()  # chats with a delivery in flight (or waiting to retry)
        taken: set[int] = set()  # ids of the pending updates in flight
        running: set[asyncio.Task[None]] = set()
        limits = httpx.Limits(max_connections=settings.max_connections)
        async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:
            try:
                while bot.webhook is settings and not emulator.closing:
                    with state.lock:
                        version = queue.signal.version
                        picked = self._pick(
                            queue, busy, taken, settings.max_connections - len(running)
                        )
                    for update, queued, key in picked:
                        task = asyncio.create_task(
                            self._deliver(client, bot, settings, update, queued, key, busy, taken)
                        )
                        running.add(task)
                        task.add_done_callback(running.discard)
                    if not picked:
                        await queue.signal.wait(version, 30.0)
            finally:
                for task in list(running):
                    task.cancel()

    @staticmethod
    def _pick(
        queue: UpdateQueue, busy: set[object], taken: set[int], room: int
    ) -> list[tuple[dict[str, Any], Queued | None, object]]:
        """Updates to deliver now (the emulator's lock held): repeats first, then the oldest
        pending update of each chat that has nothing in flight."""
        picked: list[tuple[dict[str, Any], Queued | None, object]] = []
        if room <= 0:
            return picked
        for update in list(queue.redeliver):
            key = chat_key(update)
            if len(picked) >= room:
                return picked
            if key is not None and key in busy:
                continue
            queue.redeliver.remove(update)
            queue.duplicates_delivered += 1
            if key is not None:
                busy.add(key)
            picked.append((update, None, key))
        unwanted = [q for q in queue.pending if not queue.allowed(q.update)]
        if unwanted:
            queue.pending = [q for q in queue.pending if queue.allowed(q.update)]
        seen: set[object] = set()
        for queued in queue.pending:
            if len(picked) >= room:
                break
            key = chat_key(queued.update)
            if id(queued) in taken or (key is not None and (key in busy or key in seen)):
                if key is not None:
                    seen.add(key)  # later updates of that chat wait for it
                continue
            taken.add(id(queued))
            if key is not None:
                busy.add(key)
            picked.append((queued.update, queued, key))
        return picked

    async def _deliver(
        self,
        client: httpx.AsyncClient,
        bot: BotState,
        settings: WebhookSettings,
        update: dict[str, Any],
        queued: Queued | None,
        key: object,
        busy: set[object],
        taken: set[int],
    ) -> None:
        """Post one update; on an error wait (backing off, as Telegram does) and leave it queued."""
        state = self._emulator.state
        queue = bot.updates
        try:
            error = await self._post(client, settings, update)
            with state.lock:
                if error is None:
                    state.stats.webhook_deliveries += 1
                    settings.last_error_message = None
                    self._failures = 0
                    if queued is not None:
                        with contextlib.suppress(ValueError):
                            queue.pending.remove(queued)
                        if queued.twice:
                            queue.redeliver.append(update)
                else:
                    state.stats.webhook_errors += 1
                    settings.last_error_date = state.now()
                    settings.last_error_message = error
                    if queued is None:  # a failed repeat: put it back, it was not delivered
                        queue.redeliver.insert(0, update)
                        queue.duplicates_delivered -= 1
                    self._failures += 1
            if error is not None:
                base = self._emulator.config.webhook_retry_seconds
                await asyncio.sleep(min(base * 2 ** (self._failures - 1), 5.0))
        finally:
            with state.lock:
                if queued is not None:
                    taken.discard(id(queued))
                busy.discard(key)
            queue.signal.notify()


def chat_key(update: dict[str, Any]) -> object:
    """The chat (else the user) an update belongs to: its updates are delivered in order."""
    body = next((v for k, v in update.items() if k != "update_id"), None)
    if not isinstance(body, dict):
        return None
    for holder in (body, body.get("message")):
        if isinstance(holder, dict) and isinstance(holder.get("chat"), dict):
            return ("chat", holder["chat"].get("id"))
    sender = body.get("from") or body.get("user")
    if isinstance(sender, dict):
        return ("user", sender.get("id"))
    return None
