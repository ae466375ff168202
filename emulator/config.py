"""Configuration of the Telegram emulator: its bots, Telegram's limits and injected faults."""

from __future__ import annotations

import hashlib
import re
from typing import Literal

from pydantic import BaseModel, Field, field_validator

# Telegram's bot tokens: the bot's numeric id, a colon, and a secret of 35 URL-safe characters.
TOKEN_PATTERN = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{30,64}")


def sandbox_token(seed: str, bot_id: int = 7000000001) -> str:
    """A well-formed, deterministic bot token derived from ``seed`` (not a secret: emulator only)."""
    digest = hashlib.sha512(seed.encode()).digest()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
    secret = "".join(alphabet[b % len(alphabet)] for b in digest[:35])
    return f"{bot_id}:{secret}"


class BotSpec(BaseModel):
    """One bot the emulator knows: its token (``<id>:<35 chars>``), username and display name."""

    token: str = Field(default_factory=lambda: sandbox_token("stegvis-emulator"))
    username: str = "StegvisBot"
    first_name: str = "Stegvis"

    @field_validator("token")
    @classmethod
    def _well_formed(cls, value: str) -> str:
        if not TOKEN_PATTERN.fullmatch(value):
            raise ValueError("a bot token looks like 123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11")
        return value

    @property
    def bot_id(self) -> int:
        """The numeric id Telegram puts before the colon of the token."""
        return int(self.token.split(":", 1)[0])


class LimitsConfig(BaseModel):
    """Telegram's flood limits as token buckets: per bot (all chats) and per chat."""

    enabled: bool = True
    bot_rate: float = Field(default=30.0, gt=0, description="messages per second, per bot")
    bot_burst: float = Field(default=30.0, ge=1, description="bucket size per bot")
    chat_rate: float = Field(default=1.0, gt=0, description="messages per second, per chat")
    chat_burst: float = Field(default=4.0, ge=1, description="short burst allowed per chat")


FaultKind = Literal["delay", "error", "drop", "duplicate_update"]


class FaultRule(BaseModel):
    """A fault to inject into Bot API calls (or, for ``duplicate_update``, into update delivery).

    ``delay`` waits ``delay_ms`` before answering; ``error`` answers ``status`` (5xx) with
    Telegram's error shape; ``drop`` closes the connection mid-response. ``after=True`` injects the
    error or drop *after* the method took effect (a sent message whose answer was lost).
    ``duplicate_update`` delivers the next matching updates twice. ``methods`` limits the rule to
    those Bot API methods (case-insensitive); ``times`` is how often it fires (``None``: forever);
    ``probability`` below 1 fires at random, reproducibly (seeded).
    """

    kind: FaultKind
    methods: list[str] | None = None
    times: int | None = Field(default=1, ge=1)
    probability: float = Field(default=1.0, gt=0, le=1)
    delay_ms: int = Field(default=0, ge=0, le=120_000)
    status: int = Field(default=500, ge=500, le=599)
    after: bool = False


class UserSpec(BaseModel):
    """A Telegram user the emulator starts with (the sandbox keeps its users across restarts)."""

    user_id: int = Field(gt=0)
    first_name: str = Field(min_length=1, max_length=64)
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    role: str | None = None
    started: bool = True  # has written to the bots before, so they may write to them


class EmulatorConfig(BaseModel):
    """Everything that shapes an emulator instance; all fields have working defaults."""

    bots: list[BotSpec] = Field(default_factory=lambda: [BotSpec()])
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    faults: list[FaultRule] = Field(default_factory=list)
    users: list[UserSpec] = Field(default_factory=list)
    seed: int = 0
    first_user_id: int = 100_000_001
    first_update_id: int = Field(default=1, ge=1)
    allow_http_webhooks: bool = True
    webhook_retry_seconds: float = Field(default=0.2, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    max_upload_bytes: int = 50 * 1024 * 1024

    @field_validator("bots")
    @classmethod
    def _at_least_one(cls, value: list[BotSpec]) -> list[BotSpec]:
        if not value:
            raise ValueError("the emulator needs at least one bot")
        ids = [b.bot_id for b in value]
        if len(set(ids)) != len(ids):
            raise ValueError("two bots share an id")
        return value
