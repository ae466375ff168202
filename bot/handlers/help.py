"""/help: what the bot can do, for a mentor or a participant; and the command menu."""

from __future__ import annotations

from telegram import BotCommand, Update
from telegram.ext import CommandHandler, ContextTypes, filters

from bot.common import not_invited
from bot.i18n import N_, Html, Tr
from bot.ptb import Handler
from bot.replies import Outcome, deliver, say
from bot.state import Turn, once

# (command, menu description, line in /help for a participant, line for a mentor)
COMMANDS: tuple[tuple[str, str, str, str], ...] = (
    (
        "progress",
        N_("Report a step towards work"),
        N_("/progress – tell me about a step towards work"),
        N_("/progress – report a step your participant took"),
    ),
    (
        "met",
        N_("Log a meeting"),
        N_("/met – log a meeting with your mentor"),
        N_("/met – log a meeting with your participant"),
    ),
    (
        "meeting",
        N_("Ideas for your next meeting"),
        N_("/meeting – ideas for your next meeting"),
        N_("/meeting – ideas for your next meeting"),
    ),
    ("survey", N_("Answer your survey"), N_("/survey – go on with a survey I sent you"), ""),
    (
        "code",
        N_("Check in at a program meeting"),
        N_("/code – check in at a meeting for everyone, with the code shown there"),
        N_("/code – check in at a meeting for everyone, with the code shown there"),
    ),
    (
        "ask",
        N_("Ask a question"),
        N_("/ask – ask a question about work in Sweden"),
        N_("/ask – ask a question about work in Sweden"),
    ),
    (
        "language",
        N_("Change language"),
        N_("/language – change language"),
        N_("/language – change language"),
    ),
    (
        "mydata",
        N_("See your data"),
        N_("/mydata – see everything saved about you"),
        N_("/mydata – see everything saved about you"),
    ),
    (
        "delete",
        N_("Delete your data"),
        N_("/delete – delete your data"),
        N_("/delete – delete your data"),
    ),
    ("help", N_("What I can do"), "", ""),
)


def help_text(tr: Tr, role: str) -> Html:
    """The list of commands for this role, and a hint that plain writing works too."""
    lines = [tr("Here is what I can do:")]
    for _cmd, _menu, for_participant, for_mentor in COMMANDS:
        line = for_mentor if role == "mentor" else for_participant
        if line:
            lines.append(tr(line))
    body = "\n".join(lines)
    return tr.join(
        body,
        tr(
            "You can also just write to me, for example “I had a job interview "
            "today” or “How long should a CV be?”"
        ),
    )


def menu(tr: Tr) -> list[BotCommand]:
    """The command menu in one language (Telegram shows it by the client's language)."""
    return [BotCommand(cmd, tr.label(desc)) for cmd, desc, _p, _m in COMMANDS]


def _help(turn: Turn) -> Outcome:
    if turn.contact is None:
        return not_invited(turn.tr)
    return say(help_text(turn.tr, turn.role))


async def show_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: list what the bot can do."""
    await deliver(update, context, await once(update, context, _help))


def build_handlers() -> list[Handler]:
    return [CommandHandler("help", show_help, filters=filters.ChatType.PRIVATE)]
