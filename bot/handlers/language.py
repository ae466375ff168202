"""/language: choose the language the bot writes in (buttons ``lg:<code>``)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.common import match, not_invited, stale_button
from bot.i18n import Tr
from bot.ptb import Handler
from bot.replies import Outcome, deliver, rows, say
from bot.state import Turn, once
from core.languages import LANGUAGES, NATIVE_NAMES
from outcomes.invites import set_person_language


def _choose(turn: Turn) -> Outcome:
    if turn.contact is None:
        return not_invited(turn.tr)
    buttons = [
        (("✓ " if code == turn.lang else "") + NATIVE_NAMES[code], f"lg:{code}")
        for code in LANGUAGES
    ]
    return say(turn.tr("Choose your language:"), rows(buttons))


async def choose_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/language: show the languages."""
    await deliver(update, context, await once(update, context, _choose))


def _set(turn: Turn, data: str | None) -> Outcome:
    if turn.contact is None:
        return not_invited(turn.tr)
    found = match(r"lg:([a-z]{2})", data)
    if found is None or found.group(1) not in LANGUAGES:
        return stale_button(turn.tr)
    lang = found.group(1)
    set_person_language(turn.session, turn.contact, lang)
    tr = Tr(lang)
    return say(
        tr("Done! I will write in {language} from now on.", language=NATIVE_NAMES[lang]), edit=True
    )


async def language_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A language button: remember the choice and answer in that language."""
    data = update.callback_query.data if update.callback_query else None
    await deliver(update, context, await once(update, context, lambda t: _set(t, data)))


def build_handlers() -> list[Handler]:
    return [
        CommandHandler("language", choose_language, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(language_chosen, pattern=r"^lg:"),
    ]
