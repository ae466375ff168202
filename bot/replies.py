"""What a handler answers, as data, and how it reaches the chat.

Handlers compute an ``Outcome`` inside their database transaction (plain data: translated text,
buttons, a file) and ``deliver`` sends it afterwards. Keeping the two apart means the data an
update produced is committed before anything is sent, and a duplicate update sends nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

log = logging.getLogger(__name__)

Button = tuple[str, str]  # (label, callback_data)
Rows = list[list[Button]]
MAX_CALLBACK_BYTES = 64


@dataclass
class Reply:
    """One message: HTML text, inline buttons, and whether it replaces the pressed message."""

    text: str
    buttons: Rows | None = None
    edit: bool = False
    document: tuple[str, bytes] | None = None  # (file name, content): sent as a file


@dataclass
class Outcome:
    """Everything one update produces for the chat: messages, and a short toast for a button."""

    replies: list[Reply] = field(default_factory=list)
    toast: str | None = None


def say(
    text: str, buttons: Rows | None = None, *, edit: bool = False, toast: str | None = None
) -> Outcome:
    """An outcome of one message."""
    return Outcome([Reply(text, buttons, edit)], toast)


def rows(buttons: list[Button], per_row: int = 2) -> Rows:
    """Buttons laid out ``per_row`` to a row."""
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def markup(buttons: Rows | None) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    for row in buttons:
        for _label, data in row:
            assert len(data.encode()) <= MAX_CALLBACK_BYTES, data
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in buttons
        ]
    )


async def answer_button(update: Update, toast: str | None = None) -> None:
    """Answer a button press (stops the client's spinner); a failure to answer is not fatal."""
    query = update.callback_query
    if query is None:
        return
    try:
        await query.answer(toast)
    except TelegramError as exc:
        log.info("could not answer a button press: %s", type(exc).__name__)


async def deliver(
    update: Update, context: ContextTypes.DEFAULT_TYPE, outcome: Outcome | None
) -> None:
    """Send an outcome to the chat the update came from (nothing for ``None``: a duplicate).

    A pressed button is answered last, with the outcome's toast: its spinner stops when the
    answer is on screen.
    """
    if outcome is None:
        return
    query = update.callback_query
    chat = update.effective_chat
    if chat is not None:
        await _send(update, context, outcome, chat.id)
    if query is not None:
        await answer_button(update, outcome.toast)


async def _send(
    update: Update, context: ContextTypes.DEFAULT_TYPE, outcome: Outcome, chat_id: int
) -> None:
    query = update.callback_query
    for reply in outcome.replies:
        if reply.document is not None:
            name, content = reply.document
            await context.bot.send_document(
                chat_id,
                InputFile(content, filename=name),
                caption=reply.text,
                parse_mode=ParseMode.HTML,
            )
            continue
        if reply.edit and query is not None and query.message is not None:
            try:
                await query.edit_message_text(
                    reply.text, parse_mode=ParseMode.HTML, reply_markup=markup(reply.buttons)
                )
                continue
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    continue
                log.info("could not edit a message (%s); sending a new one", type(exc).__name__)
        await context.bot.send_message(
            chat_id, reply.text, parse_mode=ParseMode.HTML, reply_markup=markup(reply.buttons)
        )
