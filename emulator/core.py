"""The emulator itself: state, limits, faults, webhooks, and what a person does in Telegram.

``Emulator`` is framework-free; ``emulator.app`` puts HTTP in front of it. The ``user_*``
methods are what a person does in a Telegram app (write, edit, press a button, send a photo);
each one creates the update Telegram would send the bot.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from typing import Any

from emulator.config import EmulatorConfig, LimitsConfig
from emulator.faults import FaultInjector
from emulator.formatting import MAX_TEXT_LENGTH, utf16_len
from emulator.limits import FloodControl
from emulator.markup import inline_buttons, reply_buttons
from emulator.state import BotState, CallbackRecord, Chat, EmulatorState, StoredMessage, User
from emulator.webhook import WebhookPusher

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_URL = re.compile(r"https?://[^\s<>\"']+")

# A 1x1 PNG, an empty Ogg page: the bytes behind emulated photos and voice notes.
_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
_OGG = b"OggS" + bytes(23)
MEDIA_KINDS = ("sticker", "photo", "voice", "location", "document")


class ControlError(Exception):
    """A control API request that cannot be carried out (``status`` 400 or 404)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def user_entities(text: str) -> list[dict[str, Any]]:
    """The entities Telegram adds to a person's plain text: bot commands and links."""
    entities: list[dict[str, Any]] = []
    for pattern, kind in ((_COMMAND, "bot_command"), (_URL, "url")):
        for match in pattern.finditer(text):
            if (
                kind == "bot_command"
                and match.start() > 0
                and not text[match.start() - 1].isspace()
            ):
                continue
            entities.append(
                {
                    "type": kind,
                    "offset": utf16_len(text[: match.start()]),
                    "length": utf16_len(match.group(0)),
                }
            )
    entities.sort(key=lambda e: e["offset"])
    return entities


class Emulator:
    """One emulated Telegram: bots, users, chats; thread safe, usable from any event loop."""

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        clock: Callable[[], float] = time.time,
        on_user_created: Callable[[User], None] | None = None,
    ) -> None:
        self.config = config or EmulatorConfig()
        self.on_user_created = on_user_created
        self.faults = FaultInjector(self.config.faults, self.config.seed)
        self.state = EmulatorState(self.config, clock, faults_injected=lambda: self.faults.injected)
        self.flood = FloodControl(self.config.limits)
        self.webhooks = WebhookPusher(self)
        self.closing = False
        self.intentional_drops = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def wake_all(self) -> None:
        """Wake every long poll (they return at once while ``closing``)."""
        for bot in self.state.bots.values():
            bot.updates.signal.notify()
        for chat in list(self.state.chats.values()):
            chat.signal.notify()
        self.state.changes.notify()

    async def aclose(self) -> None:
        """End long polls and webhook deliveries; call before the server stops."""
        self.closing = True
        self.wake_all()
        await self.webhooks.aclose()

    def reset(self) -> None:
        """Forget users, chats, files, statistics and faults; limits back to the configuration.

        Bots, their webhooks and their update counters stay: update ids never go back, so a
        bot that is polling keeps receiving updates after a reset.
        """
        state = self.state
        with state.lock:
            old_chats = list(state.chats.values())
            state.users.clear()
            state.chats.clear()
            state.files.clear()
            state.stats = type(state.stats)()
            state.webhook_duplicates = 0
            state.next_user_id = self.config.first_user_id
            state.load_users()
            state.next_callback_id = 1
            state.next_file_id = 1
            for bot in state.bots.values():
                bot.updates.drop_all()
                bot.updates.duplicates_delivered = 0
                bot.callbacks.clear()
                bot.commands.clear()
        self.faults.clear()
        self.faults.injected = 0
        self.flood.configure(self.config.limits)
        for chat in old_chats:
            chat.signal.notify()
        state.changes.notify()

    def set_limits(self, limits: LimitsConfig) -> None:
        """Change Telegram's limits (or switch them off) at run time."""
        self.flood.configure(limits)

    # -- helpers -----------------------------------------------------------------------------

    def bot(self, selector: str | int | None = None) -> BotState:
        """A bot by id or username; the first bot when None."""
        bot = self.state.find_bot(selector)
        if bot is None:
            raise ControlError(404, f"no bot {selector!r} in this emulator")
        return bot

    def _chat(self, bot: BotState, chat_id: int) -> Chat:
        chat = self.state.chat(bot, chat_id, create=True)
        if chat is None:
            raise ControlError(404, f"no user {chat_id}: create one with POST /_emulator/users")
        return chat

    def _enqueue(self, bot: BotState, kind: str, payload: dict[str, Any]) -> int:
        """Create an update of ``kind`` for ``bot`` and queue it (twice, if a fault says so)."""
        with self.state.lock:
            update_id = bot.new_update_id()
            twice = self.faults.duplicate_next_update()
            bot.updates.push({"update_id": update_id, kind: payload}, twice=twice)
            self.state.stats.updates_created += 1
        bot.updates.signal.notify()
        return update_id

    def _user_message(self, chat: Chat, **fields: Any) -> StoredMessage:
        message = StoredMessage(
            message_id=chat.new_message_id(), date=self.state.now(), from_bot=False, **fields
        )
        chat.messages[message.message_id] = message
        chat.started = True
        chat.blocked = False
        return message

    def _unblock_first(self, bot: BotState, chat_id: int) -> None:
        """Writing to a bot one blocked restarts it: the bot learns with ``my_chat_member``."""
        chat = self.state.chat(bot, chat_id)
        if chat is not None and chat.blocked:
            self.user_blocks(chat_id, False, bot=bot.bot_id)

    # -- what a person does ------------------------------------------------------------------

    def create_user(
        self,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        role: str | None = None,
    ) -> User:
        """A new Telegram user (their private chat id equals their user id)."""
        if not first_name.strip():
            raise ControlError(400, "first_name must not be empty")
        user = self.state.add_user(
            first_name=first_name.strip(),
            last_name=last_name,
            username=username,
            language_code=language_code,
            role=role,
        )
        if self.on_user_created is not None:
            self.on_user_created(user)
        return user

    def user_sends(
        self,
        chat_id: int,
        text: str,
        *,
        bot: str | int | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, int]:
        """The user writes ``text`` (a command is just text) to the bot."""
        if not text.strip():
            raise ControlError(400, "text must not be empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise ControlError(400, f"text is longer than {MAX_TEXT_LENGTH} characters")
        bot_state = self.bot(bot)
        self._unblock_first(bot_state, chat_id)
        with self.state.lock:
            chat = self._chat(bot_state, chat_id)
            if reply_to_message_id is not None and reply_to_message_id not in chat.messages:
                raise ControlError(404, f"no message {reply_to_message_id} in chat {chat_id}")
            message = self._user_message(
                chat,
                text=text,
                entities=user_entities(text),
                reply_to_message_id=reply_to_message_id,
            )
            keyboard = chat.reply_keyboard
            if keyboard and keyboard.get("one_time_keyboard"):
                if any(b.get("text") == text for b in reply_buttons(keyboard)):
                    chat.reply_keyboard = None
            payload = message.to_api(chat, bot_state.user_api())
        version = chat.signal.notify()  # before the bot can see the update and answer
        update_id = self._enqueue(bot_state, "message", payload)
        self.state.changes.notify()
        return {"update_id": update_id, "message_id": message.message_id, "chat_version": version}

    def user_edits(
        self, chat_id: int, message_id: int, text: str, *, bot: str | int | None = None
    ) -> dict[str, int]:
        """The user edits a text message they sent earlier (an ``edited_message`` update)."""
        if not text.strip():
            raise ControlError(400, "text must not be empty")
        bot_state = self.bot(bot)
        with self.state.lock:
            chat = self._chat(bot_state, chat_id)
            message = chat.messages.get(message_id)
            if message is None or message.deleted:
                raise ControlError(404, f"no message {message_id} in chat {chat_id}")
            if message.from_bot or message.kind != "text":
                raise ControlError(400, "a person can only edit text messages they sent")
            if message.text == text:
                raise ControlError(400, "the new text is the same as the old one")
            message.text = text
            message.entities = user_entities(text)
            message.edit_date = self.state.now()
            payload = message.to_api(chat, bot_state.user_api())
        version = chat.signal.notify()
        update_id = self._enqueue(bot_state, "edited_message", payload)
        return {"update_id": update_id, "message_id": message_id, "chat_version": version}

    def user_presses(
        self,
        chat_id: int,
        *,
        button_text: str | None = None,
        message_id: int | None = None,
        callback_data: str | None = None,
        bot: str | int | None = None,
    ) -> dict[str, Any]:
        """The user presses a button: inline (a ``callback_query``) or of a reply keyboard.

        By ``button_text``: the newest bot message with such an inline button, else a button of
        the reply keyboard shown now (which sends its text). By ``message_id`` and
        ``callback_data``: that inline button of that message.
        """
        bot_state = self.bot(bot)
        with self.state.lock:
            chat = self._chat(bot_state, chat_id)
            found = self._find_inline_button(chat, button_text, message_id, callback_data)
            if found is None:
                if button_text is not None and any(
                    b.get("text") == button_text for b in reply_buttons(chat.reply_keyboard)
                ):
                    sent = self.user_sends(chat_id, button_text, bot=bot)
                    return {"kind": "reply_keyboard", "last_message_id": sent["message_id"], **sent}
                what = (
                    f"button {button_text!r}"
                    if button_text is not None
                    else f"callback_data {callback_data!r} on message {message_id}"
                )
                raise ControlError(404, f"no {what} in chat {chat_id}")
            message, button = found
            if "callback_data" not in button:
                return {
                    "kind": "url",
                    "url": button.get("url"),
                    "message_id": message.message_id,
                    "last_message_id": chat.next_message_id - 1,
                    "chat_version": chat.signal.version,
                }
            query_id = str(4_000_000_000_000_000_000 + self.state.next_callback_id)
            self.state.next_callback_id += 1
            bot_state.callbacks[query_id] = CallbackRecord(
                chat.chat_id, message.message_id, button["callback_data"]
            )
            self.state.stats.callback_queries += 1
            payload = {
                "id": query_id,
                "from": chat.user.to_api(),
                "message": message.to_api(chat, bot_state.user_api()),
                "chat_instance": str(-(bot_state.bot_id * 1000 + chat.chat_id % 1000)),
                "data": button["callback_data"],
            }
            last_message_id = chat.next_message_id - 1
            version = chat.signal.version
        update_id = self._enqueue(bot_state, "callback_query", payload)
        return {
            "kind": "callback_query",
            "update_id": update_id,
            "callback_query_id": query_id,
            "message_id": message.message_id,
            "last_message_id": last_message_id,
            "chat_version": version,
        }

    def _find_inline_button(
        self,
        chat: Chat,
        button_text: str | None,
        message_id: int | None,
        callback_data: str | None,
    ) -> tuple[StoredMessage, dict[str, Any]] | None:
        if button_text is None and (message_id is None or callback_data is None):
            raise ControlError(400, "give button_text, or message_id and callback_data")
        candidates = [m for m in reversed(chat.messages.values()) if m.from_bot and not m.deleted]
        if message_id is not None:
            candidates = [m for m in candidates if m.message_id == message_id]
        for message in candidates:
            for button in inline_buttons(message.reply_markup):
                if button_text is not None and button.get("text") != button_text:
                    continue
                if callback_data is not None and button.get("callback_data") != callback_data:
                    continue
                return message, button
        return None

    def user_sends_media(
        self,
        chat_id: int,
        kind: str,
        *,
        caption: str | None = None,
        file_name: str | None = None,
        content: bytes | None = None,
        latitude: float = 59.3293,
        longitude: float = 18.0686,
        bot: str | int | None = None,
    ) -> dict[str, int]:
        """The user sends a sticker, photo, voice note, location or document."""
        if kind not in MEDIA_KINDS:
            raise ControlError(400, f"kind must be one of {', '.join(MEDIA_KINDS)}")
        bot_state = self.bot(bot)
        self._unblock_first(bot_state, chat_id)
        media = self._media(kind, file_name, content, latitude, longitude)
        with self.state.lock:
            chat = self._chat(bot_state, chat_id)
            message = self._user_message(
                chat,
                kind=kind,
                media=media,
                caption=caption if kind in ("photo", "document", "voice") else None,
            )
            payload = message.to_api(chat, bot_state.user_api())
        version = chat.signal.notify()
        update_id = self._enqueue(bot_state, "message", payload)
        return {"update_id": update_id, "message_id": message.message_id, "chat_version": version}

    def _media(
        self,
        kind: str,
        file_name: str | None,
        content: bytes | None,
        latitude: float,
        longitude: float,
    ) -> dict[str, Any]:
        if kind == "location":
            return {"location": {"latitude": latitude, "longitude": longitude}}
        if kind == "photo":
            f = self.state.store_file(content or _PNG, "photos", "photo.png", "image/png")
            size = {"file_id": f.file_id, "file_unique_id": f.file_unique_id}
            return {
                "photo": [
                    size | {"width": 90, "height": 90, "file_size": len(f.content)},
                    size | {"width": 800, "height": 800, "file_size": len(f.content)},
                ]
            }
        if kind == "voice":
            f = self.state.store_file(content or _OGG, "voice", "voice.ogg", "audio/ogg")
            return {
                "voice": {
                    "file_id": f.file_id,
                    "file_unique_id": f.file_unique_id,
                    "duration": 2,
                    "mime_type": "audio/ogg",
                    "file_size": len(f.content),
                }
            }
        if kind == "sticker":
            f = self.state.store_file(content or _PNG, "stickers", "sticker.webp", "image/webp")
            return {
                "sticker": {
                    "file_id": f.file_id,
                    "file_unique_id": f.file_unique_id,
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                    "emoji": "👍",
                    "file_size": len(f.content),
                }
            }
        name = file_name or "document.txt"
        data = content if content is not None else b"A document sent in the emulator.\n"
        f = self.state.store_file(data, "documents", name, _mime_type(name))
        return {
            "document": {
                "file_id": f.file_id,
                "file_unique_id": f.file_unique_id,
                "file_name": name,
                "mime_type": f.mime_type,
                "file_size": len(data),
            }
        }

    def user_blocks(self, chat_id: int, blocked: bool, *, bot: str | int | None = None) -> int:
        """The user blocks (or unblocks) the bot; the bot gets a ``my_chat_member`` update."""
        bot_state = self.bot(bot)
        with self.state.lock:
            chat = self._chat(bot_state, chat_id)
            if chat.blocked == blocked:
                raise ControlError(400, "already blocked" if blocked else "not blocked")
            chat.blocked = blocked
            chat.started = True
            bot_user = bot_state.user_api()
            member = {"status": "member", "user": bot_user}
            banned = {"status": "kicked", "user": bot_user, "until_date": 0}
            payload = {
                "chat": chat.user.chat_api(),
                "from": chat.user.to_api(),
                "date": self.state.now(),
                "old_chat_member": member if blocked else banned,
                "new_chat_member": banned if blocked else member,
            }
        update_id = self._enqueue(bot_state, "my_chat_member", payload)
        chat.signal.notify()
        return update_id

    # -- what the control API and the sandbox read ---------------------------------------------

    def transcript(
        self, chat_id: int, *, bot: str | int | None = None, after: int = 0
    ) -> list[dict[str, Any]]:
        """Every message of the chat (with an id above ``after``), both ways, oldest first."""
        bot_state = self.bot(bot)
        with self.state.lock:
            if chat_id not in self.state.users:
                raise ControlError(404, f"no user {chat_id}")
            chat = self.state.chat(bot_state, chat_id)
            if chat is None:
                return []
            return [m.transcript() for m in chat.messages.values() if m.message_id > after]

    def chat_version(self, chat_id: int, *, bot: str | int | None = None) -> int:
        """A number that changes whenever anything in the chat changes."""
        chat = self._chat(self.bot(bot), chat_id)
        return chat.signal.version

    async def wait_chat_change(
        self, chat_id: int, version: int, seconds: float, *, bot: str | int | None = None
    ) -> int:
        """Wait until the chat's version moves past ``version`` (or ``seconds``); return it."""
        chat = self._chat(self.bot(bot), chat_id)
        if not self.closing:
            await chat.signal.wait(version, seconds)
        return chat.signal.version

    def commands_for(self, bot: BotState, chat_id: int, language_code: str | None) -> list[Any]:
        """The command menu the user's app would show (most specific scope and language)."""
        lang = (language_code or "")[:2]
        for scope in (f"chat:{chat_id}", "all_private_chats", "default"):
            for code in (lang, ""):
                commands = bot.commands.get((scope, code))
                if commands:
                    return commands
        return []

    def chat_view(self, chat_id: int, *, bot: str | int | None = None) -> dict[str, Any]:
        """Everything the sandbox shows for one chat."""
        bot_state = self.bot(bot)
        with self.state.lock:
            chat = self._chat(bot_state, chat_id)
            action = chat.action
            if action and action["until"] < self.state.clock():
                action = None
            return {
                "chat_id": chat.chat_id,
                "version": chat.signal.version,
                "user": chat.user.public(),
                "bot": {
                    "id": bot_state.bot_id,
                    "username": bot_state.spec.username,
                    "first_name": bot_state.spec.first_name,
                },
                "messages": [m.transcript() for m in chat.messages.values()],
                "reply_keyboard": chat.reply_keyboard,
                "action": action["action"] if action else None,
                "callback_answers": list(chat.callback_answers[-20:]),
                "commands": self.commands_for(bot_state, chat.chat_id, chat.user.language_code),
                "blocked": chat.blocked,
            }


def _mime_type(name: str) -> str:
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return {
        "txt": "text/plain",
        "pdf": "application/pdf",
        "png": "image/png",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "csv": "text/csv",
        "json": "application/json",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }.get(suffix, "application/octet-stream")
