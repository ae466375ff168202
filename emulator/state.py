"""The emulator's world in memory: users, bots, private chats, messages, files and statistics.

Everything here is guarded by ``EmulatorState.lock`` (a re-entrant thread lock): take it around
any read-modify-write and never ``await`` while holding it. Ids are deterministic: users count
up from ``config.first_user_id``, updates from 1 per bot, messages from 1 per chat.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.config import BotSpec, EmulatorConfig
from emulator.updates import UpdateQueue
from emulator.waiting import Signal


@dataclass
class User:
    """A Telegram user of the emulator (a person; ``role`` is a sandbox label only)."""

    user_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    role: str | None = None

    def to_api(self) -> dict[str, Any]:
        """The Bot API ``User`` object."""
        data: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value:
                data[key] = value
        return data

    def chat_api(self) -> dict[str, Any]:
        """The Bot API ``Chat`` object of this user's private chat with a bot."""
        data: dict[str, Any] = {
            "id": self.user_id,
            "type": "private",
            "first_name": self.first_name,
        }
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        return data

    def public(self) -> dict[str, Any]:
        """The control API view of the user."""
        return {
            "user_id": self.user_id,
            "chat_id": self.user_id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "username": self.username,
            "language_code": self.language_code,
            "role": self.role,
        }


@dataclass
class StoredMessage:
    """One message of a chat, from the user or from the bot, as it is now."""

    message_id: int
    date: int
    from_bot: bool
    kind: str = "text"  # text, document, photo, sticker, voice, location
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, Any] = field(default_factory=dict)  # e.g. {"document": {...}}
    reply_markup: dict[str, Any] | None = None
    reply_to_message_id: int | None = None
    edit_date: int | None = None
    deleted: bool = False

    def to_api(self, chat: Chat, bot_user: dict[str, Any]) -> dict[str, Any]:
        """The Bot API ``Message`` object (only inline keyboards are part of a message)."""
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "from": bot_user if self.from_bot else chat.user.to_api(),
            "chat": chat.user.chat_api(),
            "date": self.date,
        }
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = self.entities
        data.update(self.media)
        if self.caption:
            data["caption"] = self.caption
            if self.caption_entities:
                data["caption_entities"] = self.caption_entities
        if self.reply_to_message_id and self.reply_to_message_id in chat.messages:
            replied = chat.messages[self.reply_to_message_id].to_api(chat, bot_user)
            replied.pop("reply_to_message", None)  # Telegram nests only one level
            data["reply_to_message"] = replied
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = self.reply_markup
        return data

    def transcript(self) -> dict[str, Any]:
        """The control API view: both directions, with what a person would see."""
        return {
            "message_id": self.message_id,
            "from_bot": self.from_bot,
            "kind": self.kind,
            "text": self.text if self.text is not None else self.caption,
            "entities": self.entities if self.text is not None else self.caption_entities,
            "media": self.media or None,
            "reply_markup": self.reply_markup,
            "reply_to_message_id": self.reply_to_message_id,
            "edited": self.edit_date is not None,
            "deleted": self.deleted,
            "date": self.date,
        }


@dataclass
class Chat:
    """The private chat of one user with one bot."""

    bot_id: int
    user: User
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    started: bool = False  # the user wrote to the bot at least once
    blocked: bool = False  # the user blocked the bot
    reply_keyboard: dict[str, Any] | None = None  # the keyboard the user's app shows now
    action: dict[str, Any] | None = None  # last sendChatAction: {"action", "until"}
    callback_answers: list[dict[str, Any]] = field(default_factory=list)
    signal: Signal = field(default_factory=Signal)

    @property
    def chat_id(self) -> int:
        """Private chats have the user's id."""
        return self.user.user_id

    def new_message_id(self) -> int:
        """The next message id in this chat."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class CallbackRecord:
    """A button press the bot should answer with answerCallbackQuery."""

    chat_id: int
    message_id: int
    data: str
    answered: bool = False


@dataclass
class WebhookSettings:
    """What setWebhook stored."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class StoredFile:
    """A file a user or the bot sent, downloadable at ``/file/bot<token>/<file_path>``."""

    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    file_name: str | None = None
    mime_type: str | None = None

    def to_api(self) -> dict[str, Any]:
        """The Bot API ``File`` object (``file_path`` relative to the file URL)."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
            "file_path": self.file_path,
        }


@dataclass
class BotState:
    """One bot: its identity, update queue, webhook, commands and pending button presses."""

    spec: BotSpec
    updates: UpdateQueue = field(default_factory=UpdateQueue)
    next_update_id: int = 1
    webhook: WebhookSettings | None = None
    commands: dict[tuple[str, str], list[dict[str, str]]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)  # description, short_description, ...
    callbacks: dict[str, CallbackRecord] = field(default_factory=dict)

    @property
    def bot_id(self) -> int:
        """The bot's numeric id."""
        return self.spec.bot_id

    def user_api(self) -> dict[str, Any]:
        """The bot as a Bot API ``User`` (what ``from`` says on its messages)."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.spec.first_name,
            "username": self.spec.username,
        }

    def me_api(self) -> dict[str, Any]:
        """What getMe returns."""
        return self.user_api() | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def new_update_id(self) -> int:
        """The next update id of this bot."""
        update_id = self.next_update_id
        self.next_update_id += 1
        return update_id


@dataclass
class Stats:
    """What the emulator counted since the last reset."""

    methods: Counter[str] = field(default_factory=Counter)
    messages_per_chat: Counter[int] = field(default_factory=Counter)
    too_many_requests: int = 0
    updates_created: int = 0
    webhook_deliveries: int = 0
    webhook_errors: int = 0
    callback_queries: int = 0

    def public(self, state: EmulatorState) -> dict[str, Any]:
        """The control API view."""
        unanswered = sum(
            1 for bot in state.bots.values() for cb in bot.callbacks.values() if not cb.answered
        )
        return {
            "methods": dict(self.methods),
            "messages_per_chat": {str(k): v for k, v in self.messages_per_chat.items()},
            "messages_sent": sum(self.messages_per_chat.values()),
            "too_many_requests": self.too_many_requests,
            "duplicates_delivered": sum(b.updates.duplicates_delivered for b in state.bots.values())
            + state.webhook_duplicates,
            "faults_injected": state.faults_injected(),
            "updates_created": self.updates_created,
            "updates_pending": sum(len(b.updates.pending) for b in state.bots.values()),
            "webhook_deliveries": self.webhook_deliveries,
            "webhook_errors": self.webhook_errors,
            "callback_queries": self.callback_queries,
            "callback_queries_unanswered": unanswered,
        }


class EmulatorState:
    """All mutable emulator data behind one lock."""

    def __init__(
        self,
        config: EmulatorConfig,
        clock: Callable[[], float] = time.time,
        faults_injected: Callable[[], int] = lambda: 0,
    ) -> None:
        self.lock = threading.RLock()
        self.config = config
        self.clock = clock
        self.faults_injected = faults_injected
        self.users: dict[int, User] = {}
        self.bots: dict[int, BotState] = {}
        self.chats: dict[tuple[int, int], Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.stats = Stats()
        self.webhook_duplicates = 0
        self.next_user_id = config.first_user_id
        self.next_callback_id = 1
        self.next_file_id = 1
        self.changes = Signal()  # any user or chat appeared (the sandbox's user list)
        for spec in config.bots:
            self.bots[spec.bot_id] = BotState(spec, next_update_id=config.first_update_id)
        self.load_users()

    def load_users(self) -> None:
        """Create the users the configuration lists (with chats marked as started)."""
        for spec in self.config.users:
            fields = spec.model_dump(exclude={"started"})
            user = self.users[spec.user_id] = User(**fields)
            self.next_user_id = max(self.next_user_id, user.user_id + 1)
            if spec.started:
                for bot in self.bots.values():
                    chat = self.chat(bot, user.user_id, create=True)
                    assert chat is not None
                    chat.started = True

    def now(self) -> int:
        """Unix time in whole seconds, as Telegram dates are."""
        return int(self.clock())

    def bot_by_token(self, token: str) -> BotState | None:
        """The bot with this exact token, if the emulator knows it."""
        try:
            bot = self.bots.get(int(token.split(":", 1)[0]))
        except ValueError:
            return None
        return bot if bot is not None and bot.spec.token == token else None

    def find_bot(self, selector: str | int | None) -> BotState | None:
        """A bot by id or username (with or without @); None selects the first bot."""
        if selector is None or selector == "":
            return next(iter(self.bots.values()))
        text = str(selector).lstrip("@").lower()
        for bot in self.bots.values():
            if str(bot.bot_id) == text or bot.spec.username.lower() == text:
                return bot
        return None

    def add_user(self, **fields: Any) -> User:
        """Create a user with the next id."""
        with self.lock:
            user = User(user_id=self.next_user_id, **fields)
            self.users[user.user_id] = user
            self.next_user_id += 1
        self.changes.notify()
        return user

    def chat(self, bot: BotState, chat_id: int, *, create: bool = False) -> Chat | None:
        """The private chat of user ``chat_id`` with ``bot`` (created on demand when asked)."""
        key = (bot.bot_id, chat_id)
        chat = self.chats.get(key)
        if chat is None and create:
            with self.lock:
                chat = self.chats.get(key)
                if chat is None and chat_id in self.users:
                    chat = self.chats[key] = Chat(bot.bot_id, self.users[chat_id])
        return chat

    def store_file(
        self, content: bytes, folder: str, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        """Keep file content under a new deterministic file id."""
        with self.lock:
            n = self.next_file_id
            self.next_file_id += 1
            suffix = ""
            if file_name and "." in file_name:
                suffix = "." + file_name.rsplit(".", 1)[1][:10]
            stored = StoredFile(
                file_id=f"BQACAgQAAx0Em{n:010d}",
                file_unique_id=f"AgAD{n:08d}",
                file_path=f"{folder}/file_{n}{suffix}",
                content=content,
                file_name=file_name,
                mime_type=mime_type,
            )
            self.files[stored.file_id] = stored
        return stored

    def file_by_path(self, path: str) -> StoredFile | None:
        """A stored file by its ``file_path``."""
        with self.lock:
            return next((f for f in self.files.values() if f.file_path == path), None)
