"""Group meetings (kick-off, workshops): the invitation, the answer, the reminder, the check-in.

The schedule's sender (``bot/scheduler.py``) sends the invitation (``opening``) and, the day
before, the reminder to those who said yes (``reminder``; ``None`` for the others, whose item is
closed unsent). The buttons ``gm:<meeting id>:<y|n>`` store the answer (``outcomes/
group_meetings.answer``), changeable until the meeting starts; the pressed message is replaced by
the meeting with the answer given and the button to change it.

At the meeting, people send the check-in code shown there: ``/code 123456``, or the six digits
alone as a message (any script's digits; ``handlers/text.py`` hands such a message here). A code
that matches an open meeting of the person's cohort marks them present.
"""

from __future__ import annotations

import logging
from datetime import datetime

from babel.dates import format_datetime
from sqlmodel import Session
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.common import match, not_invited, stale_button
from bot.i18n import N_, Html, Tr, bold, escape
from bot.ptb import Handler
from bot.replies import Outcome, Reply, Rows, deliver, say
from bot.state import Turn, once
from outcomes import group_meetings as gm
from outcomes.clock import STOCKHOLM, utcnow
from outcomes.errors import Invalid, NotFound

log = logging.getLogger(__name__)

DATA = r"gm:([0-9]{1,12}):([yn])"
KIND_LABELS = {
    "kickoff": N_("Kick-off"),
    "workshop_interview": N_("Workshop: job interviews"),
    "workshop_networking": N_("Workshop: networking and LinkedIn"),
}


# --- what the meeting looks like in a message -----------------------------------------------


def when(tr: Tr, moment: datetime) -> str:
    """Weekday, date and time of day in the program's time zone (``tisdag 4 mars 17:30``)."""
    return format_datetime(moment, "EEEE d MMMM HH:mm", tzinfo=STOCKHOLM, locale=tr.lang)


def describe(tr: Tr, meeting: gm.GroupMeeting) -> Html:
    """Title, time, place and the note in the person's language (else the Swedish one)."""
    lines = [
        bold(tr.label(KIND_LABELS[str(meeting.kind)])),
        "🕔 " + escape(when(tr, meeting.starts_at)),
        "📍 " + escape(meeting.place),
    ]
    note = gm.note_for(meeting, tr.lang)
    if note:
        lines.append(escape(note))
    return tr.finish("\n".join(lines))


def _buttons(tr: Tr, meeting_id: int, response: str | None) -> Rows:
    yes = ("✅ " if response == "yes" else "") + tr.label("I'll come")
    no = ("❌ " if response == "no" else "") + tr.label("I can't")
    return [[(yes, f"gm:{meeting_id}:y"), (no, f"gm:{meeting_id}:n")]]


def opening(session: Session, *, meeting_id: int, lang: str) -> Reply | None:
    """The invitation (``None``: the meeting is gone or has started)."""
    meeting = session.get(gm.GroupMeeting, meeting_id)
    if meeting is None or meeting.starts_at <= utcnow():
        return None
    tr = Tr(lang)
    return Reply(
        tr.join(
            tr("📣 You are invited to a meeting for everyone in the program:"),
            describe(tr, meeting),
            tr("Will you come? You can change your answer until the meeting starts."),
        ),
        _buttons(tr, meeting_id, None),
    )


def reminder(session: Session, *, meeting_id: int, person: str, lang: str) -> Reply | None:
    """The reminder the day before, for those who said yes (``None`` for everyone else)."""
    if not gm.wants_reminder(session, meeting_id, person):
        return None
    meeting = session.get(gm.GroupMeeting, meeting_id)
    assert meeting is not None
    tr = Tr(lang)
    return Reply(
        tr.join(
            tr("🔔 A reminder: see you tomorrow!"),
            describe(tr, meeting),
            tr("At the meeting, send me the check-in code you will see there."),
        ),
        [[(tr.label("I can't after all"), f"gm:{meeting_id}:n")]],
    )


# --- the answer -----------------------------------------------------------------------------


def _answered(turn: Turn, data: str | None) -> Outcome:
    if turn.contact is None:
        return not_invited(turn.tr)
    tr = turn.tr
    found = match(DATA, data)
    if found is None:
        return stale_button(tr)
    meeting_id, coming = int(found.group(1)), found.group(2) == "y"
    try:
        gm.answer(turn.session, meeting_id=meeting_id, person=turn.person, coming=coming)
    except NotFound:
        return stale_button(tr)
    except Invalid:
        return say(
            tr("This meeting has already started, so the answers are closed."),
            toast=tr.label("The answers are closed."),
        )
    meeting = gm.get(turn.session, meeting_id)
    if coming:
        head, toast = tr("✅ Great, see you there!"), tr.label("You said you'll come.")
    else:
        head, toast = tr("Thanks for letting us know."), tr.label("You said you can't come.")
    text = tr.join(
        head,
        describe(tr, meeting),
        tr("You can change your answer until the meeting starts."),
    )
    return Outcome(
        [Reply(text, _buttons(tr, meeting_id, "yes" if coming else "no"), edit=True)], toast
    )


async def answered(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button of a group meeting's invitation or reminder: I'll come, or I can't."""
    data = update.callback_query.data if update.callback_query else None
    await deliver(update, context, await once(update, context, lambda t: _answered(t, data)))


# --- the check-in code ----------------------------------------------------------------------


def _checked_in(turn: Turn, code: str | None) -> Outcome:
    if turn.contact is None:
        return not_invited(turn.tr)
    tr = turn.tr
    if code is None:
        return say(tr("Send the six-digit code shown at the meeting, like this: /code 123456"))
    found = None
    if turn.contact.pair is not None:
        found = gm.check_in(
            turn.session,
            person=turn.person,
            role=turn.role,
            pair=turn.contact.pair,
            code=code,
            actor=turn.actor,
        )
    if found is None:
        return say(
            tr(
                "That code does not match a meeting that is on now. Check the code and send "
                "it again while the meeting is on."
            )
        )
    meeting, _new = found
    return say(
        tr.join(
            tr("✅ Welcome! You are checked in."), bold(tr.label(KIND_LABELS[str(meeting.kind)]))
        )
    )


async def on_code(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    """A message that is a check-in code (from ``/code`` or ``handlers/text.py``)."""
    code = gm.normalise_code(text)
    await deliver(update, context, await once(update, context, lambda t: _checked_in(t, code)))


async def code_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/code 123456: check in at a group meeting."""
    await on_code(update, context, " ".join(context.args or []))


def is_code(text: str) -> bool:
    """Is this message a check-in code (six digits, nothing else)?"""
    return gm.normalise_code(text) is not None


def invite_after_join(turn: Turn) -> list[Reply]:
    """In ``bot.app.AFTER_JOIN``: someone who joins is invited to their cohort's coming group
    meetings (the sender sends the invitations; nothing is said here)."""
    contact = turn.contact
    if contact is not None and contact.pair is not None:
        gm.invite_newcomer(
            turn.session, person=contact.person, role=str(contact.role), pair=contact.pair
        )
    return []


def build_handlers() -> list[Handler]:
    return [
        CallbackQueryHandler(answered, pattern=r"^gm:"),
        CommandHandler("code", code_command, filters=filters.ChatType.PRIVATE),
    ]
