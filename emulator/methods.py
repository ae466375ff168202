"""The Bot API methods the emulator implements, with Telegram's checks and error texts.

Each method is ``async def m(call: Call) -> Any`` registered under its Bot API name; the name
is matched case-insensitively, as Telegram does. Anything else answers 404 ``Not Found``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from emulator.config import EmulatorConfig
from emulator.formatting import (
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    EntityParseError,
    Formatted,
    format_text,
    trim,
    with_links,
)
from emulator.limits import FloodControl
from emulator.markup import check_markup
from emulator.params import ApiError, Params, bad_request
from emulator.state import BotState, Chat, EmulatorState, StoredMessage, WebhookSettings
from emulator.webhook import WebhookPusher


class BotApiHost(Protocol):
    """What the Bot API methods need of the emulator (``emulator.core.Emulator`` is one)."""

    @property
    def state(self) -> EmulatorState: ...

    @property
    def config(self) -> EmulatorConfig: ...

    @property
    def flood(self) -> FloodControl: ...

    @property
    def webhooks(self) -> WebhookPusher: ...

    @property
    def closing(self) -> bool: ...


@dataclass
class Call:
    """One Bot API call: the emulator, the calling bot and the parameters."""

    emulator: BotApiHost
    bot: BotState
    params: Params


@dataclass
class Answer:
    """A result with Telegram's optional ``description`` (setWebhook says "Webhook was set")."""

    result: Any
    description: str | None = None


Method = Callable[[Call], Awaitable[Any]]
METHODS: dict[str, tuple[str, Method]] = {}

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_CHAT_ACTION_SECONDS = 5
_MAX_LONG_POLL = 50.0


def method(name: str) -> Callable[[Method], Method]:
    """Register a Bot API method under its documented name."""

    def register(func: Method) -> Method:
        METHODS[name.lower()] = (name, func)
        return func

    return register


# -- shared checks -------------------------------------------------------------------------------


def private_chat(call: Call, *, sending: bool = True) -> Chat:
    """The chat named by ``chat_id``, with Telegram's errors for unknown, new or blocked chats."""
    raw = call.params.text("chat_id", required="chat_id is empty")
    assert raw is not None
    try:
        chat_id = int(raw)
    except ValueError:
        raise bad_request("chat not found") from None
    state = call.emulator.state
    if chat_id not in state.users:
        raise bad_request("chat not found")
    chat = state.chat(call.bot, chat_id)
    if chat is None or not chat.started:
        if sending:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        raise bad_request("chat not found")
    if chat.blocked and sending:
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    return chat


def formatted(call: Call, text_field: str, mode_field: str, entities_field: str) -> Formatted:
    """The text of ``text_field`` after ``parse_mode`` (or explicit entities), trimmed."""
    text = call.params.text(text_field) or ""
    mode = call.params.text(mode_field)
    try:
        if mode:
            return format_text(text, mode)
    except EntityParseError as exc:
        if str(exc) == "unsupported parse_mode":
            raise bad_request("unsupported parse_mode") from None
        raise bad_request(f"can't parse entities: {exc}") from None
    entities = call.params.obj(entities_field, "entities")
    if entities is not None and not (
        isinstance(entities, list) and all(isinstance(e, dict) for e in entities)
    ):
        raise bad_request("can't parse entities JSON object")
    return trim(Formatted(text, list(entities or [])))


def message_text(call: Call) -> Formatted:
    """``text`` of sendMessage / editMessageText, checked for emptiness and length."""
    result = formatted(call, "text", "parse_mode", "entities")
    if not result.text:
        raise bad_request("message text is empty")
    if len(result.text) > MAX_TEXT_LENGTH:
        raise bad_request("message is too long")
    return with_links(result)


def caption(call: Call) -> Formatted:
    """``caption`` of media messages (may be empty), at most 1024 characters."""
    result = formatted(call, "caption", "parse_mode", "caption_entities")
    if len(result.text) > MAX_CAPTION_LENGTH:
        raise bad_request("message caption is too long")
    return result


def reply_markup(call: Call, *, inline_only: bool = False) -> dict[str, Any] | None:
    """The decoded and checked ``reply_markup``."""
    return check_markup(
        call.params.obj("reply_markup", "reply keyboard markup"), inline_only=inline_only
    )


def reply_to(call: Call, chat: Chat) -> int | None:
    """The message this one answers (``reply_parameters`` or the older ``reply_to_message_id``)."""
    params = call.params.obj("reply_parameters", "reply parameters")
    message_id = call.params.integer("reply_to_message_id")
    allow_missing = call.params.flag("allow_sending_without_reply")
    if isinstance(params, dict):
        message_id = params.get("message_id", message_id)
        allow_missing = bool(params.get("allow_sending_without_reply", allow_missing))
    if message_id is None:
        return None
    if int(message_id) in chat.messages and not chat.messages[int(message_id)].deleted:
        return int(message_id)
    if allow_missing:
        return None
    raise bad_request("message to be replied not found")


def flood_check(call: Call, chat: Chat) -> None:
    """Spend a message token, or answer 429 ``Too Many Requests: retry after N``."""
    retry_after = call.emulator.flood.check(call.bot.bot_id, chat.chat_id)
    if retry_after is not None:
        with call.emulator.state.lock:
            call.emulator.state.stats.too_many_requests += 1
        raise ApiError(
            429,
            f"Too Many Requests: retry after {retry_after}",
            {"retry_after": retry_after},
        )


def store_bot_message(call: Call, chat: Chat, message: StoredMessage) -> dict[str, Any]:
    """Add a bot message to the chat, update the keyboard the user sees, wake watchers."""
    state = call.emulator.state
    with state.lock:
        chat.messages[message.message_id] = message
        markup = message.reply_markup or {}
        if "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        chat.action = None
        state.stats.messages_per_chat[chat.chat_id] += 1
        result = message.to_api(chat, call.bot.user_api())
    chat.signal.notify()
    return result


def bot_message(call: Call, chat: Chat) -> StoredMessage:
    """The bot's message named by ``message_id`` in ``chat`` (for edits)."""
    message_id = call.params.integer("message_id")
    if message_id is None:
        if call.params.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        raise bad_request("message identifier is not specified")
    message = chat.messages.get(message_id)
    if message is None or message.deleted:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return message


# -- the bot itself ------------------------------------------------------------------------------


@method("getMe")
async def get_me(call: Call) -> Any:
    """The bot's own user."""
    return call.bot.me_api()


@method("logOut")
async def log_out(call: Call) -> Any:
    """Accepted and ignored (nothing to log out from)."""
    return True


@method("close")
async def close(call: Call) -> Any:
    """Accepted and ignored."""
    return True


# -- receiving updates ---------------------------------------------------------------------------


@method("getUpdates")
async def get_updates(call: Call) -> Any:
    """Long polling: confirm ``offset``, wait up to ``timeout`` s, return at most ``limit``."""
    emulator, bot, params = call.emulator, call.bot, call.params
    queue = bot.updates
    if bot.webhook is not None:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook "
            "to delete the webhook first",
        )
    offset = params.integer("offset")
    limit = min(max(params.integer("limit") or 100, 1), 100)
    timeout = min(max(params.number("timeout") or 0.0, 0.0), _MAX_LONG_POLL)
    allowed = params.obj("allowed_updates", "allowed updates")
    with emulator.state.lock:
        if isinstance(allowed, list):
            queue.allowed_updates = [str(a) for a in allowed]
        queue.poll_generation += 1
        generation = queue.poll_generation
    queue.signal.notify()  # an older long poll of this bot ends with 409
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        with emulator.state.lock:
            if queue.poll_generation != generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one "
                    "bot instance is running",
                )
            queue.confirm(offset)
            batch = queue.take(limit)
            version = queue.signal.version
        remaining = deadline - loop.time()
        if batch or remaining <= 0 or emulator.closing or bot.webhook is not None:
            return batch
        await queue.signal.wait(version, remaining)


@method("setWebhook")
async def set_webhook(call: Call) -> Any:
    """Deliver updates to ``url`` from now on (an empty url deletes the webhook)."""
    params, bot, emulator = call.params, call.bot, call.emulator
    url = (params.text("url") or "").strip()
    if not url:
        return await delete_webhook(call)
    parts = urlsplit(url)
    allowed = ("https", "http") if emulator.config.allow_http_webhooks else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = params.text("secret_token")
    if secret is not None and not _SECRET_TOKEN.fullmatch(secret):
        raise bad_request("bad webhook: secret token contains unallowed characters")
    max_connections = params.integer("max_connections") or 40
    if not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    allowed_updates = params.obj("allowed_updates", "allowed updates")
    with emulator.state.lock:
        old = bot.webhook
        same = old is not None and (old.url, old.secret_token) == (url, secret)
        if params.flag("drop_pending_updates"):
            bot.updates.drop_all()
        if isinstance(allowed_updates, list):
            bot.updates.allowed_updates = [str(a) for a in allowed_updates]
        if not same:
            bot.webhook = WebhookSettings(url, secret, max_connections)
            bot.updates.poll_generation += 1
    bot.updates.signal.notify()
    if same:
        return Answer(True, "Webhook is already set")
    emulator.webhooks.start(bot)
    return Answer(True, "Webhook was set")


@method("deleteWebhook")
async def delete_webhook(call: Call) -> Any:
    """Stop webhook delivery; ``drop_pending_updates`` forgets what is queued."""
    bot, emulator = call.bot, call.emulator
    with emulator.state.lock:
        had = bot.webhook is not None
        bot.webhook = None
        if call.params.flag("drop_pending_updates"):
            bot.updates.drop_all()
    emulator.webhooks.stop(bot.bot_id)
    bot.updates.signal.notify()
    return Answer(True, "Webhook was deleted" if had else "Webhook is already deleted")


@method("getWebhookInfo")
async def get_webhook_info(call: Call) -> Any:
    """The webhook's url, pending update count and last delivery error."""
    bot = call.bot
    with call.emulator.state.lock:
        pending = len(bot.updates.pending)
        hook = bot.webhook
        if hook is None:
            return {"url": "", "has_custom_certificate": False, "pending_update_count": pending}
        info: dict[str, Any] = {
            "url": hook.url,
            "has_custom_certificate": False,
            "pending_update_count": pending,
            "max_connections": hook.max_connections,
            "ip_address": "127.0.0.1",
        }
        if bot.updates.allowed_updates:
            info["allowed_updates"] = list(bot.updates.allowed_updates)
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            if hook.last_error_message:
                info["last_error_message"] = hook.last_error_message
        return info


# -- sending and changing messages ---------------------------------------------------------------


@method("sendMessage")
async def send_message(call: Call) -> Any:
    """Send a text message, with optional parse_mode and keyboard."""
    chat = private_chat(call)
    text = message_text(call)
    markup = reply_markup(call)
    with call.emulator.state.lock:
        replied = reply_to(call, chat)
    flood_check(call, chat)
    with call.emulator.state.lock:
        message = StoredMessage(
            message_id=chat.new_message_id(),
            date=call.emulator.state.now(),
            from_bot=True,
            text=text.text,
            entities=text.entities,
            reply_markup=markup,
            reply_to_message_id=replied,
        )
    return store_bot_message(call, chat, message)


@method("sendDocument")
async def send_document(call: Call) -> Any:
    """Send a file (multipart upload, or the file_id of a file the emulator has)."""
    chat = private_chat(call)
    params, state = call.params, call.emulator.state
    document = params.files.get("document")
    reference = params.text("document")
    if document is None and reference and reference.startswith("attach://"):
        document = params.files.get(reference[len("attach://") :])
    if document is None:
        if not reference:
            raise bad_request("there is no document in the request")
        with state.lock:
            known = state.files.get(reference)
        if known is None:
            if reference.startswith(("http://", "https://")):
                raise bad_request("failed to get HTTP URL content")
            raise bad_request("wrong file identifier/HTTP URL specified")
        content, name, mime = known.content, known.file_name, known.mime_type
    else:
        if not document.content:
            raise bad_request("file must be non-empty")
        content, name, mime = document.content, document.filename, document.content_type
    text = caption(call)
    markup = reply_markup(call)
    with state.lock:
        replied = reply_to(call, chat)
    flood_check(call, chat)
    stored = state.store_file(content, "documents", name, mime)
    doc: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(content),
    }
    if name:
        doc["file_name"] = name
    if mime:
        doc["mime_type"] = mime
    with state.lock:
        message = StoredMessage(
            message_id=chat.new_message_id(),
            date=state.now(),
            from_bot=True,
            kind="document",
            caption=text.text or None,
            caption_entities=text.entities,
            media={"document": doc},
            reply_markup=markup,
            reply_to_message_id=replied,
        )
    return store_bot_message(call, chat, message)


@method("editMessageText")
async def edit_message_text(call: Call) -> Any:
    """Replace the text (and inline keyboard: none given removes it) of a bot message."""
    chat = private_chat(call, sending=False)
    with call.emulator.state.lock:
        message = bot_message(call, chat)
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    text = message_text(call)
    markup = reply_markup(call, inline_only=True)
    with call.emulator.state.lock:
        if (message.text, message.entities, message.reply_markup) == (
            text.text,
            text.entities,
            markup,
        ):
            raise bad_request(NOT_MODIFIED)
        message.text, message.entities = text.text, text.entities
        message.reply_markup = markup
        message.edit_date = call.emulator.state.now()
        result = message.to_api(chat, call.bot.user_api())
    chat.signal.notify()
    return result


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(call: Call) -> Any:
    """Replace (or, when none is given, remove) the inline keyboard of a bot message."""
    chat = private_chat(call, sending=False)
    markup = reply_markup(call, inline_only=True)
    with call.emulator.state.lock:
        message = bot_message(call, chat)
        if message.reply_markup == markup:
            raise bad_request(NOT_MODIFIED)
        message.reply_markup = markup
        message.edit_date = call.emulator.state.now()
        result = message.to_api(chat, call.bot.user_api())
    chat.signal.notify()
    return result


@method("deleteMessage")
async def delete_message(call: Call) -> Any:
    """Delete a message of the chat (the bot's own or, in private chats, the user's)."""
    chat = private_chat(call, sending=False)
    message_id = call.params.integer("message_id", required="message identifier is not specified")
    with call.emulator.state.lock:
        message = chat.messages.get(message_id or 0)
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        message.deleted = True
    chat.signal.notify()
    return True


@method("answerCallbackQuery")
async def answer_callback_query(call: Call) -> Any:
    """Answer a button press; ``text`` shows as a notification (or an alert)."""
    query_id = call.params.text("callback_query_id", required="query_id is empty") or ""
    state = call.emulator.state
    with state.lock:
        record = call.bot.callbacks.get(query_id)
        if record is None or record.answered:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        record.answered = True
        chat = state.chat(call.bot, record.chat_id)
        text = call.params.text("text")
        if chat is not None:
            chat.callback_answers.append(
                {
                    "callback_query_id": query_id,
                    "message_id": record.message_id,
                    "text": text,
                    "show_alert": call.params.flag("show_alert"),
                    "url": call.params.text("url"),
                    "date": state.now(),
                }
            )
    if chat is not None:
        chat.signal.notify()
    return True


@method("sendChatAction")
async def send_chat_action(call: Call) -> Any:
    """Show "typing…" (or another action) in the chat for five seconds."""
    chat = private_chat(call)
    action = call.params.text("action", required="action is empty")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    with call.emulator.state.lock:
        chat.action = {
            "action": action,
            "until": call.emulator.state.clock() + _CHAT_ACTION_SECONDS,
        }
    chat.signal.notify()
    return True


# -- files and chats -----------------------------------------------------------------------------


@method("getFile")
async def get_file(call: Call) -> Any:
    """Where to download a file (``file_path`` under the file URL)."""
    file_id = call.params.text("file_id", required="file_id is empty") or ""
    with call.emulator.state.lock:
        stored = call.emulator.state.files.get(file_id)
    if stored is None:
        raise bad_request("invalid file_id")
    return stored.to_api()


@method("getChat")
async def get_chat(call: Call) -> Any:
    """The full information about a private chat."""
    chat = private_chat(call, sending=False)
    return chat.user.chat_api() | {"accent_color_id": 0, "max_reaction_count": 11}


# -- commands and the bot's profile --------------------------------------------------------------


def _scope_key(call: Call) -> str:
    scope = call.params.obj("scope", "bot command scope") or {"type": "default"}
    if not isinstance(scope, dict) or "type" not in scope:
        raise bad_request("can't parse BotCommandScope JSON object")
    kind = str(scope["type"])
    if kind in ("chat", "chat_administrators", "chat_member"):
        return f"{kind}:{scope.get('chat_id')}" + (
            f":{scope['user_id']}" if "user_id" in scope else ""
        )
    return kind


def _language(call: Call) -> str:
    code = call.params.text("language_code") or ""
    if code and not re.fullmatch(r"[a-z]{2}", code):
        raise bad_request("invalid language code specified")
    return code


@method("setMyCommands")
async def set_my_commands(call: Call) -> Any:
    """Store the command menu for a scope and language."""
    commands = call.params.obj("commands", "bot commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse BotCommand array JSON object")
    checked = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand JSON object")
        name = str(item.get("command", "")).lstrip("/")
        description = str(item.get("description", "")).strip()
        if not _COMMAND_NAME.fullmatch(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        checked.append({"command": name, "description": description})
    key = (_scope_key(call), _language(call))
    with call.emulator.state.lock:
        if checked:
            call.bot.commands[key] = checked
        else:
            call.bot.commands.pop(key, None)
    return True


@method("getMyCommands")
async def get_my_commands(call: Call) -> Any:
    """The command menu stored for exactly this scope and language."""
    key = (_scope_key(call), _language(call))
    with call.emulator.state.lock:
        return list(call.bot.commands.get(key, []))


@method("deleteMyCommands")
async def delete_my_commands(call: Call) -> Any:
    """Forget the command menu of a scope and language."""
    key = (_scope_key(call), _language(call))
    with call.emulator.state.lock:
        call.bot.commands.pop(key, None)
    return True


def _text_setting(name: str, field: str, limit: int) -> tuple[Method, Method]:
    async def setter(call: Call) -> Any:
        value = call.params.text(field) or ""
        if len(value) > limit:
            raise bad_request(f"{field} is too long")
        with call.emulator.state.lock:
            call.bot.texts[f"{name}:{_language(call)}"] = value
        return True

    async def getter(call: Call) -> Any:
        with call.emulator.state.lock:
            value = call.bot.texts.get(f"{name}:{_language(call)}", "")
        if name == "name" and not value:
            value = call.bot.spec.first_name
        return {field: value}

    return setter, getter


for _name, _field, _limit in (
    ("description", "description", 512),
    ("short_description", "short_description", 120),
    ("name", "name", 64),
):
    _set, _get = _text_setting(_name, _field, _limit)
    _camel = "".join(part.capitalize() for part in _name.split("_"))
    method(f"setMy{_camel}")(_set)
    method(f"getMy{_camel}")(_get)


@method("setChatMenuButton")
async def set_chat_menu_button(call: Call) -> Any:
    """Accepted; the sandbox always shows the command menu."""
    return True


@method("getChatMenuButton")
async def get_chat_menu_button(call: Call) -> Any:
    """The default menu button."""
    return {"type": "commands"}
