"""The control API under ``/_emulator/``: act as Telegram users, read transcripts, steer faults.

Documented in README.md ("The Telegram emulator and sandbox"). Errors are ``{"detail": "..."}``
with 400 (bad input) or 404 (no such user, message or button).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Annotated, Any, Literal, ParamSpec, TypeVar

from fastapi import APIRouter, HTTPException, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from emulator.config import BotSpec, FaultRule, LimitsConfig
from emulator.core import MEDIA_KINDS, ControlError, Emulator
from emulator.state import BotState

P = ParamSpec("P")
R = TypeVar("R")
BotSelector = Annotated[str | None, Query(description="bot id or username; default the first")]
MAX_WAIT = 30.0


class UserIn(BaseModel):
    """A new Telegram user."""

    first_name: str = Field(min_length=1, max_length=64)
    last_name: str | None = Field(default=None, max_length=64)
    username: str | None = Field(default=None, max_length=32)
    language_code: str | None = Field(default=None, max_length=10)
    role: Literal["mentor", "participant", "staff"] | None = None


class MessageIn(BaseModel):
    """A text (or command) the user writes."""

    chat_id: int
    text: str = Field(min_length=1, max_length=4096)
    reply_to_message_id: int | None = None
    bot: str | None = None


class EditIn(BaseModel):
    """The user edits a message they sent."""

    chat_id: int
    message_id: int
    text: str = Field(min_length=1, max_length=4096)
    bot: str | None = None


class PressIn(BaseModel):
    """The user presses a button: by its text, or by message id and callback data."""

    chat_id: int
    button_text: str | None = None
    message_id: int | None = None
    callback_data: str | None = None
    bot: str | None = None


class MediaIn(BaseModel):
    """The user sends something that is not text."""

    chat_id: int
    kind: Literal["sticker", "photo", "voice", "location", "document"]
    caption: str | None = Field(default=None, max_length=1024)
    file_name: str | None = Field(default=None, max_length=255)
    content_base64: str | None = None
    latitude: float = 59.3293
    longitude: float = 18.0686
    bot: str | None = None


class BlockIn(BaseModel):
    """The user blocks or unblocks the bot."""

    blocked: bool = True
    bot: str | None = None


class LimitsIn(BaseModel):
    """A change of Telegram's limits; fields left out keep their value."""

    enabled: bool | None = None
    bot_rate: float | None = Field(default=None, gt=0)
    bot_burst: float | None = Field(default=None, ge=1)
    chat_rate: float | None = Field(default=None, gt=0)
    chat_burst: float | None = Field(default=None, ge=1)


def _bot_public(bot: BotState) -> dict[str, Any]:
    return {
        "bot_id": bot.bot_id,
        "username": bot.spec.username,
        "first_name": bot.spec.first_name,
        "token": bot.spec.token,
        "webhook_url": bot.webhook.url if bot.webhook else None,
    }


def build_control_router(emulator: Emulator) -> APIRouter:
    """The ``/_emulator`` routes acting on ``emulator``."""
    router = APIRouter(prefix="/_emulator", tags=["emulator control"])

    def run(action: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return action(*args, **kwargs)
        except ControlError as exc:
            raise HTTPException(exc.status, exc.message) from None

    @router.get("/bots")
    async def list_bots() -> list[dict[str, Any]]:
        """The bots this emulator knows (tokens are the emulator's own, not secrets)."""
        return [_bot_public(b) for b in emulator.state.bots.values()]

    @router.post("/bots", status_code=201)
    async def add_bot(spec: BotSpec) -> dict[str, Any]:
        """Add a bot (for tests with several bots)."""
        with emulator.state.lock:
            if spec.bot_id in emulator.state.bots:
                raise HTTPException(400, f"a bot with id {spec.bot_id} exists")
            emulator.state.bots[spec.bot_id] = BotState(spec)
            return _bot_public(emulator.state.bots[spec.bot_id])

    @router.post("/users", status_code=201)
    async def create_user(user: UserIn) -> dict[str, Any]:
        """Create a Telegram user; their private chat id is their user id."""
        return run(emulator.create_user, **user.model_dump()).public()

    @router.get("/users")
    async def list_users() -> list[dict[str, Any]]:
        """Every user, oldest first."""
        with emulator.state.lock:
            return [u.public() for u in emulator.state.users.values()]

    @router.post("/users/{user_id}/block")
    async def block(user_id: int, body: BlockIn) -> dict[str, Any]:
        """The user blocks (or unblocks) the bot: sends to them then fail with 403."""
        update_id = run(emulator.user_blocks, user_id, body.blocked, bot=body.bot)
        return {"update_id": update_id, "blocked": body.blocked}

    @router.post("/messages", status_code=201)
    async def send_message(body: MessageIn) -> dict[str, Any]:
        """The user writes a message (a command is just text)."""
        return run(
            emulator.user_sends,
            body.chat_id,
            body.text,
            bot=body.bot,
            reply_to_message_id=body.reply_to_message_id,
        )

    @router.post("/edit")
    async def edit_message(body: EditIn) -> dict[str, Any]:
        """The user edits a text message they sent (the bot gets ``edited_message``)."""
        return run(emulator.user_edits, body.chat_id, body.message_id, body.text, bot=body.bot)

    @router.post("/press")
    async def press(body: PressIn) -> dict[str, Any]:
        """The user presses an inline button (or a reply keyboard button, by text)."""
        return run(
            emulator.user_presses,
            body.chat_id,
            button_text=body.button_text,
            message_id=body.message_id,
            callback_data=body.callback_data,
            bot=body.bot,
        )

    @router.post("/media", status_code=201)
    async def send_media(body: MediaIn) -> dict[str, Any]:
        """The user sends a sticker, photo, voice note, location or document."""
        content = None
        if body.content_base64 is not None:
            try:
                content = base64.b64decode(body.content_base64, validate=True)
            except (binascii.Error, ValueError):
                raise HTTPException(400, "content_base64 is not valid base64") from None
        assert body.kind in MEDIA_KINDS
        return run(
            emulator.user_sends_media,
            body.chat_id,
            body.kind,
            caption=body.caption,
            file_name=body.file_name,
            content=content,
            latitude=body.latitude,
            longitude=body.longitude,
            bot=body.bot,
        )

    # These two answer with a JSONResponse as is: FastAPI's validation of a long transcript would
    # cost milliseconds on every long poll.
    @router.get("/chats/{chat_id}/messages", response_model=list[dict[str, Any]])
    async def transcript(
        chat_id: int,
        bot: BotSelector = None,
        version: Annotated[int | None, Query(description="wait while the chat is at this")] = None,
        wait: Annotated[float, Query(ge=0, le=MAX_WAIT)] = 0,
        after: Annotated[int, Query(ge=0, description="only messages with a higher id")] = 0,
    ) -> JSONResponse:
        """The transcript, both ways, oldest first; long-polls with ``version`` and ``wait``."""
        if version is not None and wait > 0 and chat_id in emulator.state.users:
            await emulator.wait_chat_change(chat_id, version, wait, bot=bot)
        headers = {}
        if chat_id in emulator.state.users:  # the version first: a change in between is not lost
            headers["X-Emulator-Version"] = str(run(emulator.chat_version, chat_id, bot=bot))
        return JSONResponse(
            run(emulator.transcript, chat_id, bot=bot, after=after), headers=headers
        )

    @router.get("/chats/{chat_id}", response_model=dict[str, Any])
    async def chat_view(
        chat_id: int,
        bot: BotSelector = None,
        version: Annotated[int | None, Query(description="wait while the chat is at this")] = None,
        wait: Annotated[float, Query(ge=0, le=MAX_WAIT)] = 0,
    ) -> JSONResponse:
        """Messages, reply keyboard, "typing…", button answers and commands (the sandbox)."""
        if version is not None and wait > 0:
            run(emulator.chat_version, chat_id, bot=bot)  # 404 for an unknown user
            await emulator.wait_chat_change(chat_id, version, wait, bot=bot)
        return JSONResponse(run(emulator.chat_view, chat_id, bot=bot))

    @router.get("/files/{file_id}")
    async def download(file_id: str) -> Response:
        """A file the bot or a user sent."""
        stored = emulator.state.files.get(file_id)
        if stored is None:
            raise HTTPException(404, f"no file {file_id}")
        headers = {}
        if stored.file_name:
            headers["Content-Disposition"] = f'inline; filename="{stored.file_name}"'
        return Response(stored.content, media_type=stored.mime_type, headers=headers)

    @router.get("/stats")
    async def stats() -> dict[str, Any]:
        """Methods called, messages per chat, 429s, duplicates delivered and more."""
        with emulator.state.lock:
            return emulator.state.stats.public(emulator.state)

    @router.post("/reset")
    async def reset() -> dict[str, bool]:
        """Forget users, chats, statistics and faults (update ids keep counting up)."""
        emulator.reset()
        return {"ok": True}

    @router.get("/faults")
    async def list_faults() -> list[dict[str, Any]]:
        """The active fault rules."""
        return emulator.faults.rules()

    @router.post("/faults", status_code=201)
    async def add_fault(rule: FaultRule) -> list[dict[str, Any]]:
        """Add a fault rule (delay, error, drop or duplicate_update)."""
        emulator.faults.add(rule)
        return emulator.faults.rules()

    @router.delete("/faults")
    async def clear_faults() -> list[dict[str, Any]]:
        """Remove every fault rule."""
        emulator.faults.clear()
        return emulator.faults.rules()

    @router.get("/limits")
    async def get_limits() -> LimitsConfig:
        """Telegram's limits as the emulator applies them now."""
        return emulator.flood.config

    @router.post("/limits")
    async def set_limits(change: LimitsIn) -> LimitsConfig:
        """Switch limits on or off, or change rates and bursts."""
        current = emulator.flood.config.model_dump()
        current.update(change.model_dump(exclude_none=True))
        limits = LimitsConfig(**current)
        emulator.set_limits(limits)
        return limits

    return router
