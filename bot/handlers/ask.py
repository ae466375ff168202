"""Questions: ``/ask <question>``, ``/ask`` then the question, or a plain question (text.py).

The answer comes from the knowledge base (``knowledge.service.ask``) in the person's language
when the material exists in it; ``📖 More`` (``kb:<passage id>``) shows the whole section.
The question itself is neither stored nor logged.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.common import match, not_invited, stale_button
from bot.i18n import Tr, escape
from bot.lookup import lookup
from bot.ptb import Handler
from bot.replies import Outcome, deliver, say
from bot.state import Turn, once, peek

if TYPE_CHECKING:
    from knowledge.answer import Answer

log = logging.getLogger(__name__)

FLOW = "ask"
SECTION_CHARS = 3500
ASK_TIMEOUT = 30.0  # seconds (a first question may load the model)


def _answer(tr: Tr, answer: Answer | None) -> Outcome:
    if answer is None:
        return say(tr("Sorry, I can't look things up right now. Please try again later."))
    if not answer.found or not answer.answer:
        return say(
            tr("I have no material about that yet. Your mentor or the program staff may know more.")
        )
    more_id = answer.more_id
    buttons = None
    if answer.truncated and more_id and len(f"kb:{more_id}".encode()) <= 64:
        buttons = [[(tr.label("📖 More"), f"kb:{more_id}")]]
    if answer.machine_translation:  # an LLM wrote it in the asker's language from other material
        marker = tr(
            "🤖 Machine translation: an AI wrote this in your language from material in another "
            "language. It may contain mistakes."
        )
        return say(tr.join(Tr(answer.lang).finish(escape(answer.answer)), marker), buttons)
    # the material may be in another language than the person's (Swedish or English when it
    # does not exist in theirs): its own direction decides how it is laid out
    written_in = answer.passages[0].lang if answer.passages else answer.lang
    return say(Tr(written_in).finish(escape(answer.answer)), buttons)


async def answer_question(
    update: Update, context: ContextTypes.DEFAULT_TYPE, question: str
) -> None:
    """Answer a question from the knowledge base (for /ask and for plain questions)."""
    bound, lang = await peek(update, context, lambda t: (t.contact is not None, t.lang))
    answer: Answer | None = None
    if bound:
        from knowledge import service

        answer = await lookup(lambda: service.ask(question, lang_hint=lang), within=ASK_TIMEOUT)

    def _work(turn: Turn) -> Outcome:
        if turn.contact is None:
            return not_invited(turn.tr)
        if turn.in_flow(FLOW) is not None:
            turn.end()
        return _answer(turn.tr, answer)

    await deliver(update, context, await once(update, context, _work))


def _wait_for_question(turn: Turn) -> Outcome:
    if turn.contact is None:
        return not_invited(turn.tr)
    turn.begin(FLOW, "question")
    return say(turn.tr("What would you like to know? Write your question."))


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask: answer the question after the command, or wait for it."""
    question = " ".join(context.args or []).strip()
    if question:
        await answer_question(update, context, question)
    else:
        await deliver(update, context, await once(update, context, _wait_for_question))


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    """The text after a bare /ask is the question."""
    await answer_question(update, context, text)


async def more(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The "more" button under an answer: the whole section of the material."""
    data = update.callback_query.data if update.callback_query else None
    found = match(r"kb:([A-Za-z0-9_.:-]{1,61})", data)
    section = None
    if found:
        from knowledge import service

        passage = found.group(1)
        section = await lookup(lambda: service.section_text(passage), within=ASK_TIMEOUT)

    def _work(turn: Turn) -> Outcome:
        if turn.contact is None:
            return not_invited(turn.tr)
        if not section:
            return stale_button(turn.tr)
        text = section if len(section) <= SECTION_CHARS else section[:SECTION_CHARS] + " …"
        written_in = re.match(r"[^.:]+\.([a-z]{2,3}):", found.group(1)) if found else None
        return say(Tr(written_in.group(1) if written_in else turn.lang).finish(escape(text)))

    await deliver(update, context, await once(update, context, _work))


def build_handlers() -> list[Handler]:
    return [
        CommandHandler("ask", ask, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(more, pattern=r"^kb:"),
    ]
