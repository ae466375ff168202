"""The one entry point for plain text: a flow's answer, a question, or news of progress.

Routing, in order:

1. the sender is not connected → the polite explanation (nothing stored);
2. their conversation is in a flow listed in ``TEXT_FLOWS`` → that flow takes the text
   (``/ask`` waiting for its question; check-ins and surveys add theirs here, one line each);
2b. a check-in code of a group meeting (six digits alone) → ``handlers/group_meeting``;
3. ``progress.classify.aclassify`` says it is a question → the knowledge base (``handlers/ask``);
4. it reports events confidently → they are proposed with buttons, saved only when confirmed
   (``handlers/progress.propose``); the text is kept in memory until then, never in the database
   before the person confirms, and never in logs;
5. otherwise → a short "not sure" answer with a button to report a step.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Update
from telegram.ext import ContextTypes, MessageHandler, filters

from bot.common import not_invited
from bot.handlers import ask, checkin, group_meeting, progress
from bot.ptb import Handler
from bot.replies import Outcome, deliver, say
from bot.state import Turn, once, peek

log = logging.getLogger(__name__)

TextStep = Callable[[Update, ContextTypes.DEFAULT_TYPE, str], Awaitable[None]]
TEXT_FLOWS: dict[str, TextStep] = {
    ask.FLOW: ask.on_text,
    checkin.FLOW: checkin.on_text,
}
QUESTION_MARKS = ("?", "؟", "？", "፧")


@dataclass(frozen=True)
class View:
    """What routing needs to know about the sender (read without writing anything)."""

    bound: bool
    person: str | None
    lang: str
    flow: str | None


def _view(turn: Turn) -> View:
    conv = turn.conversation
    return View(
        bound=turn.contact is not None,
        person=turn.contact.person if turn.contact else None,
        lang=turn.lang,
        flow=conv.flow if conv else None,
    )


@dataclass(frozen=True)
class Reading:
    is_question: bool
    events: list[str]
    confident: bool


async def read_text(text: str, lang: str) -> Reading:
    """What a message is: a question, events that happened, or neither (offline classifier)."""
    fallback = Reading(text.rstrip().endswith(QUESTION_MARKS), [], False)
    try:
        from progress.classify import aclassify
    except ImportError:
        return fallback
    try:
        found = await aclassify(text)
    except Exception as exc:  # the classifier is optional: fall back to the question mark
        log.warning("classifier unavailable: %s", type(exc).__name__)
        return fallback
    events = [str(getattr(e, "type", e)) for e in getattr(found, "events", [])]
    return Reading(
        bool(getattr(found, "is_question", False)), events, bool(getattr(found, "confident", False))
    )


def _unsure(turn: Turn) -> Outcome:
    if turn.contact is None:
        return not_invited(turn.tr)
    tr = turn.tr
    return say(
        tr(
            "I'm not sure I understood. If something happened, tap the button below. "
            "To ask me something, write a question or use /ask."
        ),
        [[(tr.label("📈 Report a step"), "pn")]],
    )


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A plain message from a person."""
    message = update.effective_message
    if message is None or not message.text:
        return
    text = message.text
    view = await peek(update, context, _view)
    if not view.bound:
        await deliver(update, context, await once(update, context, lambda t: not_invited(t.tr)))
        return
    step = TEXT_FLOWS.get(view.flow or "")
    if step is not None:
        await step(update, context, text)
        return
    if group_meeting.is_code(text):
        await group_meeting.on_code(update, context, text)
        return
    reading = await read_text(text, view.lang)
    if reading.is_question:
        await ask.answer_question(update, context, text)
        return
    if reading.events and reading.confident:
        events = reading.events

        def _propose(turn: Turn) -> tuple[Outcome, str | None]:
            outcome = progress.propose(turn, events)
            conv = turn.in_flow(progress.FLOW)
            return outcome, conv.nonce if conv is not None and conv.step == "propose" else None

        result = await once(update, context, _propose)
        if result is None:
            return
        outcome, nonce = result
        if nonce and view.person:
            progress.remember_note(context, view.person, nonce, text)
        await deliver(update, context, outcome)
        return
    await deliver(update, context, await once(update, context, _unsure))


def build_handlers() -> list[Handler]:
    return [
        MessageHandler(
            filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND,
            on_text,
        )
    ]
