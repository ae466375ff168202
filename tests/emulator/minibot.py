"""A small real python-telegram-bot bot used to test the emulator (until bot/app.py exists).

Handlers: /start (HTML greeting with an inline keyboard), a button that edits its message,
/keyboard (a one-time reply keyboard), /file (sends a document), /slow (typing, then a reply),
/invite (a t.me deep link),
document uploads (downloads and reports the size), edited messages, and an echo for text.
"""

from __future__ import annotations

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ChatAction
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

SEEN: list[int] = []


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet, echo the deep-link payload, offer two buttons."""
    assert update.message is not None
    payload = " ".join(context.args or [])
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Yes", callback_data="yes"),
                InlineKeyboardButton("No", callback_data="no"),
            ]
        ]
    )
    text = "<b>Hej!</b> Do you want a mentor?"
    if payload:
        text += f" (invite <code>{payload}</code>)"
    await update.message.reply_html(text, reply_markup=keyboard)


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the press and replace the question with the choice."""
    query = update.callback_query
    assert query is not None
    await query.answer(f"You pressed {query.data}")
    await query.edit_message_text(f"You chose: {query.data}")


async def keyboard(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show a one-time reply keyboard."""
    assert update.message is not None
    markup = ReplyKeyboardMarkup(
        [[KeyboardButton("Mentor"), KeyboardButton("Participant")]], one_time_keyboard=True
    )
    await update.message.reply_text("Who are you?", reply_markup=markup)


async def send_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send a small text document."""
    assert update.message is not None
    await update.message.reply_document(
        b"Meeting ideas\n1. Coffee\n",
        filename="ideas.txt",
        caption="<i>Ideas</i>",
        parse_mode="HTML",
    )


async def slow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show typing, then answer."""
    assert update.effective_chat is not None
    assert update.message is not None
    await context.bot.send_chat_action(update.effective_chat.id, ChatAction.TYPING)
    await update.message.reply_text("Done thinking.")


async def document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Download a document the user sent and say how big it was."""
    assert update.message is not None
    assert update.message.document is not None
    file = await update.message.document.get_file()
    data = await file.download_as_bytearray()
    await update.message.reply_text(f"Got {update.message.document.file_name}: {len(data)} bytes")


async def edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Notice that the user edited a message."""
    assert update.edited_message is not None
    await update.edited_message.reply_text(f"You changed it to: {update.edited_message.text}")


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Repeat the text; a reply-keyboard choice removes the keyboard."""
    assert update.message is not None
    assert update.message.text is not None
    SEEN.append(update.update_id)
    markup = ReplyKeyboardRemove() if update.message.text in ("Mentor", "Participant") else None
    await update.message.reply_text(update.message.text, reply_markup=markup)


async def invite(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send a deep link that starts the bot with an invite token."""
    assert update.message is not None
    await update.message.reply_text(f"Join: https://t.me/{context.bot.username}?start=inv-7")


async def post_init(application: Application) -> None:  # type: ignore[type-arg]
    """Publish the command menu, as a real bot does at start."""
    await application.bot.set_my_commands(
        [BotCommand("start", "Start"), BotCommand("keyboard", "Choose a role")]
    )


def add_handlers(application: Application) -> Application:  # type: ignore[type-arg]
    """Add the mini bot's handlers to an application."""
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("keyboard", keyboard))
    application.add_handler(CommandHandler("file", send_file))
    application.add_handler(CommandHandler("slow", slow))
    application.add_handler(CommandHandler("invite", invite))
    application.add_handler(CallbackQueryHandler(button))
    application.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, edited))
    application.add_handler(MessageHandler(filters.Document.ALL, document))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return application


def build_minibot(builder: ApplicationBuilder) -> Application:  # type: ignore[type-arg]
    """The mini bot on a prepared builder (token and emulator URLs already set)."""
    return add_handlers(builder.post_init(post_init).build())
