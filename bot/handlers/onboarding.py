"""Joining: ``/start <token>`` from an invite link, the consent, and the language.

Nothing about a person is stored before they agree. Until then the flow keeps its state in the
buttons themselves (``ob:<action>:<language>:<token>``): the language shown and the invite token,
which the person already has in their chat. Agreeing redeems the invite and creates the contact;
declining marks only the invite as declined, for staff to see.
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.common import match, not_invited, stale_button
from bot.handlers.help import help_text
from bot.hooks import after_join
from bot.i18n import Tr
from bot.ptb import Handler
from bot.replies import Outcome, Reply, Rows, deliver, say
from bot.state import AfterJoin, Turn, deps, once
from core.languages import LANGUAGES, NATIVE_NAMES
from outcomes import invites
from outcomes.contacts import PersonRole
from outcomes.errors import Conflict
from outcomes.invites import InviteStatus, InviteUnusable

DATA = r"ob:([lyn]):([a-z]{2}):([A-Za-z0-9_-]{16,64})"


def _consent(tr: Tr, role: str) -> str:
    if role == PersonRole.mentor:
        hello = tr(
            "👋 Welcome to Stegvis! I help you and your participant in the job-mentoring program."
        )
        saved = tr(
            "📋 A code instead of your name, the steps you report for your participant, "
            "your survey answers and your meetings. What you write is saved only when "
            "you confirm a step."
        )
    else:
        hello = tr(
            "👋 Welcome to Stegvis! I help you and your mentor in the job-mentoring program."
        )
        saved = tr(
            "📋 A code instead of your name, the steps towards work you tell me about "
            "(for example a job interview), your survey answers and your meetings. What "
            "you write is saved only when you confirm a step."
        )
    return tr.join(
        hello,
        "\n".join(
            [
                tr("Before we start, please read what I save:"),
                saved,
                tr(
                    "👀 Only the program staff see it, to follow up and improve the program. "
                    "Reports show only totals."
                ),
                tr("🗑 /mydata shows everything saved about you, and /delete deletes it."),
            ]
        ),
        tr("Do you agree? You can choose another language below."),
    )


def _consent_buttons(tr: Tr, token: str) -> Rows:
    langs = [
        ((("✓ " if code == tr.lang else "") + NATIVE_NAMES[code]), f"ob:l:{code}:{token}")
        for code in LANGUAGES
    ]
    return [
        langs[0:2],
        langs[2:4],
        langs[4:6],
        langs[6:7],
        [
            (tr.label("✅ I agree"), f"ob:y:{tr.lang}:{token}"),
            (tr.label("No, thanks"), f"ob:n:{tr.lang}:{token}"),
        ],
    ]


def _unusable(tr: Tr, status: InviteStatus) -> Outcome:
    if status is InviteStatus.used:
        text = tr(
            "This invitation link has already been used. If you need a new one, ask the "
            "program staff."
        )
    elif status is InviteStatus.expired:
        text = tr("This invitation link has expired. Please ask the program staff for a new one.")
    else:
        text = tr("This invitation link is not valid. Please ask the program staff for a new one.")
    return say(text)


def _start(turn: Turn, token: str | None) -> Outcome:
    if token is None:
        if turn.contact is None:
            return not_invited(turn.tr)
        return say(turn.tr.join(turn.tr("👋 Welcome back!"), help_text(turn.tr, turn.role)))
    try:
        invite = invites.usable(turn.session, token)
    except InviteUnusable as exc:
        return _unusable(turn.tr, exc.status)
    return say(_consent(turn.tr, invite.role), _consent_buttons(turn.tr, token))


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start, from an invite link (with its token) or on its own."""
    token = context.args[0] if context.args else None
    await deliver(update, context, await once(update, context, lambda t: _start(t, token)))


def _pressed(turn: Turn, data: str | None, hooks: Sequence[AfterJoin]) -> Outcome:
    found = match(DATA, data)
    if found is None or found.group(2) not in LANGUAGES:
        return stale_button(turn.tr)
    action, lang, token = found.groups()
    tr = Tr(lang)
    try:
        invite = invites.usable(turn.session, token)
    except InviteUnusable as exc:
        return _unusable(tr, exc.status)
    if action == "l":
        return say(_consent(tr, invite.role), _consent_buttons(tr, token), edit=True)
    if action == "n":
        invites.decline(turn.session, token=token)
        return say(
            tr(
                "Understood. Nothing about you has been saved. If you change your mind, "
                "ask the program staff for a new invitation link."
            ),
            edit=True,
        )
    assert turn.user_id is not None
    assert turn.chat_id is not None
    try:
        turn.contact = invites.redeem(
            turn.session,
            turn.settings,
            token=token,
            user_id=turn.user_id,
            chat_id=turn.chat_id,
            language=lang,
        )
    except Conflict:
        return say(
            tr(
                "This Telegram account is already connected to someone else in the "
                "program. Please contact the program staff."
            ),
            edit=True,
        )
    replies = [
        Reply(tr("✅ Thank you! You are connected."), edit=True),
        Reply(help_text(tr, str(invite.role))),
    ]
    return Outcome([*replies, *after_join(turn, hooks)])


async def consent_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button of the consent message: a language, agree, or decline."""
    data = update.callback_query.data if update.callback_query else None
    hooks = deps(context).after_join
    await deliver(update, context, await once(update, context, lambda t: _pressed(t, data, hooks)))


def build_handlers() -> list[Handler]:
    return [
        CommandHandler("start", start, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(consent_button, pattern=r"^ob:"),
    ]
