"""Everything else gets a friendly answer and changes nothing.

Edited messages (a guard that runs before every other handler), stickers, photos, voice notes,
locations, files, unknown commands, and buttons that are forged, old or not ours.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.common import not_invited, stale_button
from bot.ptb import Handler
from bot.replies import Outcome, deliver, say
from bot.state import Turn, once


def _edited(turn: Turn) -> Outcome:
    if turn.contact is None:
        return not_invited(turn.tr)
    return say(
        turn.tr(
            "I only read new messages, not changes to old ones. Please send it again "
            "as a new message."
        )
    )


async def edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An edited message: explain, and let no other handler act on it."""
    await deliver(update, context, await once(update, context, _edited))
    raise ApplicationHandlerStop


def _media(turn: Turn) -> Outcome:
    if turn.contact is None:
        return not_invited(turn.tr)
    return say(turn.tr("I can only read text and buttons. Write to me, or send /help."))


async def media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A sticker, photo, voice note, location, file or anything else that is not text."""
    await deliver(update, context, await once(update, context, _media))


def _unknown(turn: Turn) -> Outcome:
    if turn.contact is None:
        return not_invited(turn.tr)
    return say(turn.tr("I don't know that command. Send /help to see what I can do."))


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command the bot does not have."""
    await deliver(update, context, await once(update, context, _unknown))


async def stray_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button whose data no flow knows (forged, or from an older version of the bot)."""
    await deliver(update, context, await once(update, context, lambda t: stale_button(t.tr)))


def build_guards() -> list[Handler]:
    """Handlers that run before all others (group -1)."""
    return [MessageHandler(filters.UpdateType.EDITED & filters.ChatType.PRIVATE, edited)]


def build_handlers() -> list[Handler]:
    """Handlers that catch what no flow took (added last)."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    return [
        MessageHandler(private & filters.COMMAND, unknown_command),
        MessageHandler(private & ~filters.TEXT, media),
        CallbackQueryHandler(stray_button),
    ]
