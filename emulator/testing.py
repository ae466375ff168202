"""Helpers for tests that drive a real python-telegram-bot ``Application`` through the emulator.

A recipe::

    from emulator.testing import polling, running_emulator

    async def test_start_greets():
        async with running_emulator(rate_limits=False) as tg:
            app = tg.application_builder().build()          # your handlers: app.add_handler(...)
            async with polling(app):
                ada = await tg.create_user("Ada", language_code="sv")
                await tg.send(ada.chat_id, "/start")
                [reply] = await tg.wait_for_reply(ada.chat_id)
                assert "Hej" in reply["text"]

``running_emulator`` serves a fresh emulator with uvicorn on 127.0.0.1 (a free port) and yields an
``EmulatorClient``: ``base_url`` / ``file_url`` for ``ApplicationBuilder``, and the person's side of
Telegram (``create_user``, ``send``, ``press``, ``edit``, ``send_media``, ``block``), what they see
(``transcript``, ``chat``, ``wait_for_reply``, ``wait_for``) and the emulator's knobs (``stats``,
``set_limits``, ``add_fault``, ``clear_faults``, ``reset``). Actions go through the HTTP control
API; the ``wait_for*`` helpers watch the in-process emulator, waking on each change of the chat.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

import httpx
from telegram.ext import Application, ApplicationBuilder, ContextTypes, ExtBot, JobQueue

from emulator.app import create_emulator_app
from emulator.config import EmulatorConfig, LimitsConfig
from emulator.core import ControlError, Emulator
from emulator.server import serve_in_loop, serve_in_thread

Message = dict[str, Any]
Predicate = Callable[[Message], bool]
Builder: TypeAlias = ApplicationBuilder[
    ExtBot[None],
    ContextTypes.DEFAULT_TYPE,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    JobQueue[ContextTypes.DEFAULT_TYPE],
]
"""PTB's ``ApplicationBuilder()`` with its default types."""
App = TypeVar("App", bound="Application[Any, Any, Any, Any, Any, Any]")


@dataclass(frozen=True)
class EmulatorUser:
    """A Telegram user made with ``create_user``; their private chat id equals the user id."""

    user_id: int
    chat_id: int
    first_name: str
    language_code: str | None = None
    role: str | None = None


def _describe(messages: list[Message]) -> str:
    lines = []
    for m in messages[-12:]:
        who = "bot " if m["from_bot"] else "user"
        flags = "".join(f" [{f}]" for f in ("edited", "deleted") if m.get(f))
        lines.append(f"  #{m['message_id']} {who}: {m.get('text')!r}{flags}")
    return "\n".join(lines) or "  (no messages)"


class EmulatorClient:
    """A test's handle on a running emulator (its HTTP control API, and the emulator object)."""

    def __init__(
        self, root_url: str, http: httpx.AsyncClient, emulator: Emulator, bot: str | None = None
    ) -> None:
        self.root_url = root_url
        self.emulator = emulator
        self._http = http
        selected = emulator.bot(bot)
        self.token: str = selected.spec.token
        self.bot_username: str = selected.spec.username
        self._bot = bot
        self._marks: dict[int, int] = {}  # chat id -> last message id when the user last acted
        self._versions: dict[int, int] = {}  # chat id -> chat version right after that act

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``: ``<root>/bot``."""
        return f"{self.root_url}/bot"

    @property
    def file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url(...)``: ``<root>/file/bot``."""
        return f"{self.root_url}/file/bot"

    def application_builder(self) -> Builder:
        """An ``ApplicationBuilder`` with this bot's token and the emulator's URLs."""
        return (
            ApplicationBuilder()
            .token(self.token)
            .base_url(self.base_url)
            .base_file_url(self.file_url)
        )

    def for_bot(self, bot: str) -> EmulatorClient:
        """The same emulator, acting on another bot (by username or id)."""
        return EmulatorClient(self.root_url, self._http, self.emulator, bot)

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            detail = response.json().get("detail", response.text)
            raise AssertionError(f"{method} {path} -> {response.status_code}: {detail}")
        return response.json()

    async def _object(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        data = await self._call(method, path, **kwargs)
        if not isinstance(data, dict):
            raise AssertionError(f"{method} {path}: expected a JSON object, got {data!r}")
        return data

    async def _list(self, method: str, path: str, **kwargs: Any) -> list[dict[str, Any]]:
        data = await self._call(method, path, **kwargs)
        if not isinstance(data, list):
            raise AssertionError(f"{method} {path}: expected a JSON array, got {data!r}")
        return data

    def _with_bot(self, body: dict[str, Any]) -> dict[str, Any]:
        return body | {"bot": self._bot} if self._bot else body

    def _params(self, **params: Any) -> dict[str, Any]:
        if self._bot:
            params["bot"] = self._bot
        return {k: v for k, v in params.items() if v is not None}

    # -- the person's side -------------------------------------------------------------------

    async def create_user(
        self,
        first_name: str = "Ada",
        *,
        language_code: str | None = "en",
        last_name: str | None = None,
        username: str | None = None,
        role: str | None = None,
    ) -> EmulatorUser:
        """Create a Telegram user."""
        data = await self._call(
            "POST",
            "/_emulator/users",
            json={
                "first_name": first_name,
                "language_code": language_code,
                "last_name": last_name,
                "username": username,
                "role": role,
            },
        )
        return EmulatorUser(
            data["user_id"],
            data["chat_id"],
            data["first_name"],
            data["language_code"],
            data["role"],
        )

    async def send(
        self, chat_id: int, text: str, *, reply_to_message_id: int | None = None
    ) -> dict[str, int]:
        """The user writes ``text`` (commands are text); returns ``update_id`` and ``message_id``."""
        sent: dict[str, int] = await self._call(
            "POST",
            "/_emulator/messages",
            json=self._with_bot(
                {"chat_id": chat_id, "text": text, "reply_to_message_id": reply_to_message_id}
            ),
        )
        self._remember(chat_id, sent["message_id"], sent)
        return sent

    def _remember(self, chat_id: int, message_id: int, result: dict[str, Any]) -> None:
        self._marks[chat_id] = message_id
        if "chat_version" in result:
            self._versions[chat_id] = result["chat_version"]

    async def edit(self, chat_id: int, message_id: int, text: str) -> dict[str, int]:
        """The user edits a message they sent (the bot gets an ``edited_message`` update)."""
        body = {"chat_id": chat_id, "message_id": message_id, "text": text}
        return await self._object("POST", "/_emulator/edit", json=self._with_bot(body))

    async def press(
        self,
        chat_id: int,
        button_text: str | None = None,
        *,
        message_id: int | None = None,
        callback_data: str | None = None,
    ) -> dict[str, Any]:
        """The user presses a button (the newest with ``button_text``, or by message and data)."""
        body = {
            "chat_id": chat_id,
            "button_text": button_text,
            "message_id": message_id,
            "callback_data": callback_data,
        }
        result: dict[str, Any] = await self._call(
            "POST", "/_emulator/press", json=self._with_bot(body)
        )
        self._remember(chat_id, result["last_message_id"], result)
        return result

    async def send_media(
        self, chat_id: int, kind: str, *, content: bytes | None = None, **fields: Any
    ) -> dict[str, int]:
        """The user sends a sticker, photo, voice, location or document (``file_name``, ...)."""
        body = {"chat_id": chat_id, "kind": kind, **fields}
        if content is not None:
            body["content_base64"] = base64.b64encode(content).decode()
        sent: dict[str, int] = await self._call(
            "POST", "/_emulator/media", json=self._with_bot(body)
        )
        self._remember(chat_id, sent["message_id"], sent)
        return sent

    async def block(self, chat_id: int, blocked: bool = True) -> None:
        """The user blocks (or unblocks) the bot."""
        await self._call(
            "POST", f"/_emulator/users/{chat_id}/block", json=self._with_bot({"blocked": blocked})
        )

    # -- what the person sees ----------------------------------------------------------------

    async def transcript(self, chat_id: int) -> list[Message]:
        """Every message of the chat, both ways, oldest first."""
        return await self._list(
            "GET", f"/_emulator/chats/{chat_id}/messages", params=self._params()
        )

    async def chat(self, chat_id: int) -> dict[str, Any]:
        """The sandbox's view: messages, reply keyboard, typing, button answers, commands."""
        return await self._object("GET", f"/_emulator/chats/{chat_id}", params=self._params())

    async def wait_for(
        self,
        chat_id: int,
        condition: Callable[[list[Message]], Any],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109  (a test's deadline, part of the helper's contract)
        since_version: int | None = None,
        after_message_id: int = 0,
    ) -> list[Message]:
        """Wait until ``condition(transcript)`` is truthy; return that transcript.

        With ``since_version`` (a ``chat_version`` from a user action) the first look already
        waits for a change after that version (it must not be true of the chat at that version).
        With ``after_message_id`` the condition sees only the messages after that one.

        Raises ``TimeoutError`` with the last messages when it does not happen in time.
        Watches the emulator in process (no polling): it wakes on every change of the chat.
        """
        emulator, bot = self.emulator, self._bot
        deadline = _loop_time() + timeout
        version = since_version
        messages: list[Message] = []
        while True:
            try:
                if version is not None:
                    remaining = max(0.0, deadline - _loop_time())
                    await emulator.wait_chat_change(chat_id, version, remaining, bot=bot)
                version = emulator.chat_version(chat_id, bot=bot)  # before reading: no lost change
                messages = emulator.transcript(chat_id, bot=bot, after=after_message_id)
            except ControlError as exc:
                raise AssertionError(f"chat {chat_id}: {exc.message}") from None
            if condition(messages):
                return messages
            if _loop_time() >= deadline:
                raise TimeoutError(
                    f"chat {chat_id}: nothing matched within {timeout} s; last messages:\n"
                    + _describe(messages)
                )

    async def wait_for_reply(
        self,
        chat_id: int,
        predicate: Predicate | None = None,
        *,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109  (a test's deadline, part of the helper's contract)
        after: int | None = None,
    ) -> list[Message]:
        """Wait for ``count`` new bot messages (matching ``predicate``) and return them.

        "New" means after message ``after``; by default after the user's last ``send``,
        ``press`` or ``send_media`` in this chat through this client.
        """
        mark = after if after is not None else self._marks.get(chat_id, 0)

        def matching(messages: list[Message]) -> list[Message]:
            return [
                m
                for m in messages
                if m["from_bot"]
                and m["message_id"] > mark
                and not m["deleted"]
                and (predicate is None or predicate(m))
            ]

        # No bot message after the mark exists at the version of the user's act, so the first
        # request may already long-poll from there (it returns at once if the bot was quicker).
        since = self._versions.pop(chat_id, None) if after is None else None
        messages = await self.wait_for(
            chat_id,
            lambda ms: len(matching(ms)) >= count,
            timeout=timeout,
            since_version=since,
            after_message_id=mark,
        )
        return matching(messages)

    async def wait_for_answer(
        self,
        chat_id: int,
        callback_query_id: str,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109  (a test's deadline, part of the helper's contract)
    ) -> dict[str, Any]:
        """Wait until the bot answered a button press (answerCallbackQuery); return the answer.

        The answer has ``callback_query_id``, ``message_id``, ``text``, ``show_alert``, ``url``.
        """
        emulator, bot = self.emulator, self._bot
        deadline = _loop_time() + timeout
        while True:
            try:
                version = emulator.chat_version(chat_id, bot=bot)
                answers = emulator.chat_view(chat_id, bot=bot)["callback_answers"]
            except ControlError as exc:
                raise AssertionError(f"chat {chat_id}: {exc.message}") from None
            for answer in answers:
                if answer["callback_query_id"] == callback_query_id:
                    return dict(answer)
            remaining = deadline - _loop_time()
            if remaining <= 0:
                raise TimeoutError(f"button press {callback_query_id} was not answered in time")
            await emulator.wait_chat_change(chat_id, version, remaining, bot=bot)

    # -- the emulator's knobs ----------------------------------------------------------------

    async def stats(self) -> dict[str, Any]:
        """Methods called, messages per chat, 429s returned, duplicates delivered, ..."""
        return await self._object("GET", "/_emulator/stats")

    async def reset(self) -> None:
        """Forget users, chats, statistics and faults."""
        await self._call("POST", "/_emulator/reset")
        self._marks.clear()

    async def set_limits(self, **limits: Any) -> dict[str, Any]:
        """``enabled``, ``bot_rate``, ``bot_burst``, ``chat_rate``, ``chat_burst``."""
        return await self._object("POST", "/_emulator/limits", json=limits)

    async def add_fault(self, kind: str, **rule: Any) -> list[dict[str, Any]]:
        """Inject a fault: ``delay`` (delay_ms), ``error`` (status), ``drop``, ``duplicate_update``.

        ``methods=[...]`` limits it to some Bot API methods, ``times`` (default 1) to a count,
        ``after=True`` makes an error/drop happen after the method took effect.
        """
        return await self._list("POST", "/_emulator/faults", json={"kind": kind, **rule})

    async def clear_faults(self) -> None:
        """Remove every fault rule."""
        await self._call("DELETE", "/_emulator/faults")


def _loop_time() -> float:
    return asyncio.get_running_loop().time()


@contextlib.asynccontextmanager
async def running_emulator(
    config: EmulatorConfig | None = None,
    *,
    rate_limits: bool | None = None,
    in_thread: bool = False,
    **fields: Any,
) -> AsyncIterator[EmulatorClient]:
    """Serve a fresh emulator on 127.0.0.1 (free port) and yield a client for it.

    ``config`` or keyword fields of ``EmulatorConfig`` shape it; ``rate_limits=False`` switches
    Telegram's limits off. ``in_thread=True`` serves from a background thread (its own event
    loop) instead of the current loop, e.g. when the test blocks the loop.
    """
    if config is not None and fields:
        raise TypeError("give either config or EmulatorConfig fields, not both")
    cfg = config or EmulatorConfig(**fields)
    if rate_limits is not None:
        cfg = cfg.model_copy(
            update={"limits": cfg.limits.model_copy(update={"enabled": rate_limits})}
        )
    app = create_emulator_app(cfg)
    serving: Any = serve_in_thread(app) if in_thread else serve_in_loop(app)
    if in_thread:
        with serving as root:
            async with httpx.AsyncClient(base_url=root, timeout=40) as http:
                yield EmulatorClient(root, http, app.state.emulator)
    else:
        async with serving as root:
            async with httpx.AsyncClient(base_url=root, timeout=40) as http:
                yield EmulatorClient(root, http, app.state.emulator)


@contextlib.asynccontextmanager
async def polling(
    application: App,
    *,
    poll_timeout: float = 10.0,
    drop_pending_updates: bool = False,
    allowed_updates: list[str] | None = None,
) -> AsyncIterator[App]:
    """Run ``application`` with long polling (as ``run_polling`` does, hooks included)."""
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    assert application.updater is not None, "the application needs an Updater for polling"
    await application.updater.start_polling(
        poll_interval=0.0,
        timeout=int(poll_timeout),
        drop_pending_updates=drop_pending_updates,
        allowed_updates=allowed_updates,
    )
    await application.start()
    try:
        yield application
    finally:
        if application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        if application.post_stop:
            await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)


__all__ = [
    "EmulatorClient",
    "EmulatorUser",
    "LimitsConfig",
    "polling",
    "running_emulator",
]
