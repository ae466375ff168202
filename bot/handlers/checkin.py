"""The monthly check-in: did you meet, what happened, anything to add in your own words.

The schedule's sender (``bot/scheduler.py``) opens it with ``opening``: one message asking
whether the pair met this month, with the buttons ``ci:o:<item id>:<y|n>``. Answering it
stops the reminders, stores a Meeting (once per pair and program month: the other side's
answer or a ``/met`` of that month counts as the same meeting) and starts the flow ``checkin``:

- ``steps``: a button per step towards work, ticked with ``ci:<nonce>:t:<i>``; ``d`` done,
  ``0`` nothing new;
- ``confirm``: the ticked steps read back; ``s`` saves them as Events (a step already saved for
  the participant in that month is not saved twice), ``c`` goes back to change them;
- ``text``: anything to add in one's own words. The text goes through the classifier
  (``progress.classify``): events it finds are proposed with ``/progress``'s confirmation
  buttons (nothing is saved before the person confirms); a question goes to the knowledge base;
  ``e`` ends the check-in.

A mentor answers for the pair and reports the participant's steps (source ``mentor``).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select
from telegram import Update
from telegram.ext import CallbackQueryHandler, ContextTypes

from bot.common import (
    EVENT_LABELS,
    EVENT_TYPES,
    NONCE,
    active_pair,
    match,
    not_invited,
    pair_closed,
    stale_button,
)
from bot.handlers import ask, progress
from bot.i18n import Html, Tr, escape
from bot.ptb import Handler
from bot.replies import Outcome, Reply, Rows, deliver, rows, say
from bot.state import Turn, once, peek
from core.vocab import EventSource, EventStatus, MeetingKind
from outcomes import schedule
from outcomes.models import Event, Meeting, Pair
from outcomes.schedule_models import ScheduledItem
from outcomes.schemas import EventCreate, MeetingCreate
from outcomes.service import log_meeting, record_event

log = logging.getLogger(__name__)

FLOW = "checkin"
OPEN_DATA = r"ci:o:([0-9]{1,12}):([yn])"
DATA = rf"ci:({NONCE}):(t|d|0|s|c|e)(?::([0-9]{{1,2}}))?"
STEP_OF = {"t": "steps", "d": "steps", "0": "steps", "s": "confirm", "c": "confirm", "e": "text"}


# --- the month a check-in is about ----------------------------------------------------------


def month_of(session: Session, pair: Pair, sequence: int) -> tuple[date, date]:
    """First and last day of program month ``sequence`` of the pair's participant."""
    start, end = schedule.window(session, pair.participant)
    first = schedule.add_months(start, sequence - 1)
    last = min(schedule.add_months(start, sequence) - timedelta(days=1), end)
    return first, max(first, last)


def _day(data: dict[str, Any], today: date) -> date:
    """The day to record things on: today, or the month's last day when answering late."""
    return min(today, date.fromisoformat(data["last"]))


# --- the scheduled message ------------------------------------------------------------------


def opening(*, item_id: int, role: str, lang: str, reminder: bool) -> Reply:
    """The scheduled message that opens (or reminds of) a month's check-in."""
    tr = Tr(lang)
    if role == "mentor":
        question = tr("Did you meet your participant this month?")
    else:
        question = tr("Did you meet your mentor this month?")
    head = (
        tr("🔔 A reminder: this month's check-in is waiting for you.")
        if reminder
        else tr("🗓 Time for this month's check-in! It takes a minute.")
    )
    buttons: Rows = [
        [
            (tr.label("✅ Yes, we met"), f"ci:o:{item_id}:y"),
            (tr.label("Not yet"), f"ci:o:{item_id}:n"),
        ]
    ]
    if role == "mentor":
        buttons.append([(tr.label("💡 Meeting ideas"), "mi")])
    return Reply(tr.join(head, question), buttons)


def _steps_text(tr: Tr, role: str) -> Html:
    if role == "mentor":
        return tr("📈 What happened for your participant this month? Tap all that fit, then Done.")
    return tr("📈 What happened this month? Tap all that fit, then Done.")


def _render(turn: Turn, *, edit: bool = True, lead: str = "") -> Reply:
    """The current step of the person's check-in (after ``lead``: what was just done)."""
    reply = _step(turn, edit=edit)
    if lead:
        reply.text = turn.tr.join(lead, reply.text)
    return reply


def _step(turn: Turn, *, edit: bool) -> Reply:
    conv = turn.conversation
    assert conv is not None
    tr, n = turn.tr, conv.nonce
    if conv.step == "steps":
        selected = set(conv.data["sel"])
        toggles = [
            (("✅ " if t in selected else "") + tr.label(EVENT_LABELS[t]), f"ci:{n}:t:{i}")
            for i, t in enumerate(EVENT_TYPES)
        ]
        return Reply(
            _steps_text(tr, turn.role),
            [
                *rows(toggles, 2),
                [(tr.label("✅ Done"), f"ci:{n}:d"), (tr.label("Nothing new"), f"ci:{n}:0")],
            ],
            edit=edit,
        )
    if conv.step == "confirm":
        listing = "\n".join("• " + escape(tr.label(EVENT_LABELS[t])) for t in conv.data["sel"])
        return Reply(
            tr.join(tr("Save these steps?"), listing),
            [[(tr.label("✅ Yes, save"), f"ci:{n}:s"), (tr.label("✏️ Change"), f"ci:{n}:c")]],
            edit=edit,
        )
    return Reply(
        tr(
            "💬 Anything else you want to tell me, in your own words? Just write it "
            "here, or tap No, thanks."
        ),
        [[(tr.label("No, thanks"), f"ci:{n}:e")]],
        edit=edit,
    )


# --- answering the scheduled message --------------------------------------------------------


def _met(
    session: Session, pair: Pair, first: date, last: date, day: date, role: str, actor: str
) -> None:
    """Record that the pair met in this month, once (the other side's answer counts too)."""
    count = session.exec(
        select(func.count())
        .select_from(Meeting)
        .where(Meeting.pair == pair.id, Meeting.held_on >= first, Meeting.held_on <= last)
    ).one()
    if count:
        return
    log_meeting(
        session,
        meeting=MeetingCreate(
            pair=pair.id, held_on=day, kind=MeetingKind.individual, activities=[]
        ),
        logged_by=role,
        actor=actor,
    )


def _opened(turn: Turn, data: str | None) -> Outcome:
    if turn.contact is None:
        return not_invited(turn.tr)
    tr = turn.tr
    found = match(OPEN_DATA, data)
    item = turn.session.get(ScheduledItem, int(found.group(1))) if found else None
    if found is None or item is None or item.person != turn.person or item.kind != "checkin":
        return stale_button(tr)
    pair = active_pair(turn)
    if pair is None or pair.id != item.pair or item.state == "cancelled":
        return pair_closed(tr)
    first, last = month_of(turn.session, pair, item.sequence)
    met = found.group(2) == "y"
    data_: dict[str, Any] = {
        "item": item.id,
        "seq": item.sequence,
        "first": first.isoformat(),
        "last": last.isoformat(),
        "sel": [],
        "saved": [],
    }
    if met:
        _met(turn.session, pair, first, last, _day(data_, turn.today), turn.role, turn.actor)
    schedule.mark_answered(
        turn.session, pair=pair.id, role=turn.role, kind="checkin", sequence=item.sequence
    )
    turn.begin(FLOW, "steps", **data_)
    if met:
        answer = tr("✅ You met this month. Great, I have noted it!")
    else:
        answer = tr("OK, thanks for telling me. I hope you can meet soon!")
    return Outcome([_render(turn, lead=answer)])  # the whole check-in in one message


async def opened(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button of the scheduled check-in message: did the pair meet this month."""
    data = update.callback_query.data if update.callback_query else None
    await deliver(update, context, await once(update, context, lambda t: _opened(t, data)))


# --- the steps ------------------------------------------------------------------------------


def _save_steps(turn: Turn) -> Outcome:
    tr = turn.tr
    conv = turn.conversation
    assert conv is not None
    pair = active_pair(turn)
    if pair is None:
        turn.end()
        return Outcome([Reply(pair_closed(tr).replies[0].text, edit=True)])
    first, last = date.fromisoformat(conv.data["first"]), date.fromisoformat(conv.data["last"])
    day = _day(conv.data, turn.today)
    known = set(
        turn.session.exec(
            select(Event.type).where(
                Event.participant == pair.participant,
                Event.status == EventStatus.confirmed,
                Event.occurred_on >= first,
                Event.occurred_on <= last,
            )
        ).all()
    )
    saved, earlier = [], []
    for event_type in conv.data["sel"]:
        if event_type in known:
            earlier.append(event_type)
            continue
        record_event(
            turn.session,
            event=EventCreate(
                participant=pair.participant,
                type=event_type,
                occurred_on=day,
                source=EventSource(turn.role),
            ),
            actor=turn.actor,
        )
        saved.append(event_type)
    lines = [tr("✅ Saved:")] + ["• " + escape(tr.label(EVENT_LABELS[t])) for t in saved]
    if earlier:
        lines += [tr("Already saved this month:")]
        lines += ["• " + escape(tr.label(EVENT_LABELS[t])) for t in earlier]
    if not saved:
        lines = lines[1:]
    turn.move("text", saved=[*conv.data["saved"], *saved, *earlier])
    return Outcome([_render(turn, lead=tr.join("\n".join(lines), tr("Well done! 🎉")))])


def _finish(tr: Tr) -> Reply:
    return Reply(tr("🙏 Thank you! Talk to you next month."), edit=True)


def _pressed(turn: Turn, data: str | None) -> Outcome:
    if turn.contact is None:
        return not_invited(turn.tr)
    tr = turn.tr
    found = match(DATA, data)
    conv = turn.in_flow(FLOW, found.group(1)) if found else None
    if found is None or conv is None:
        return stale_button(tr)
    action, arg = found.group(2), found.group(3)
    if conv.step != STEP_OF[action]:
        return Outcome([_render(turn, edit=True)])  # a button of an earlier step
    if action == "t":
        index = int(arg) if arg else -1
        if not 0 <= index < len(EVENT_TYPES):
            return stale_button(tr)
        selected = set(conv.data["sel"]) ^ {EVENT_TYPES[index]}
        turn.move("steps", sel=[t for t in EVENT_TYPES if t in selected])
        return Outcome([_render(turn, edit=True)])
    if action == "d" and conv.data["sel"]:
        turn.move("confirm")
        return Outcome([_render(turn, edit=True)])
    if action in ("d", "0"):
        turn.move("text", sel=[])
        return Outcome([_render(turn, lead=tr("OK, nothing new this month."))])
    if action == "c":
        turn.move("steps")
        return Outcome([_render(turn, edit=True)])
    if action == "s":
        return _save_steps(turn)
    turn.end()  # "e": no, thanks
    return Outcome([_finish(tr)])


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button of the check-in flow: tick a step, done, save, change, or end."""
    data = update.callback_query.data if update.callback_query else None
    await deliver(update, context, await once(update, context, lambda t: _pressed(t, data)))


# --- in one's own words ---------------------------------------------------------------------


def _saved_so_far(turn: Turn) -> tuple[list[str], str, str | None]:
    conv = turn.in_flow(FLOW)
    person = turn.contact.person if turn.contact else None
    return (list(conv.data.get("saved", [])) if conv else []), turn.lang, person


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    """Text while in a check-in: classify it, propose the events found, or answer a question."""
    saved, lang, person = await peek(update, context, _saved_so_far)
    try:
        from progress.classify import aclassify

        found = await aclassify(text, lang)
        is_question, confident = found.is_question, found.confident
        events = [e.type for e in found.events]
    except Exception as exc:  # the classifier is optional: offer the buttons instead
        log.warning("classifier unavailable: %s", type(exc).__name__)
        is_question, confident, events = False, False, []
    if is_question and not events:
        await ask.answer_question(update, context, text)
        return
    new = [t for t in dict.fromkeys(events) if t in EVENT_LABELS and t not in saved]

    def _work(turn: Turn) -> tuple[Outcome, str | None]:
        if turn.contact is None:
            return not_invited(turn.tr), None
        tr = turn.tr
        if new and confident:
            outcome = progress.propose(turn, new)
            conv = turn.in_flow(progress.FLOW)
            return outcome, conv.nonce if conv is not None and conv.step == "propose" else None
        if turn.in_flow(FLOW) is not None:
            turn.end()
        if events and confident:  # everything it found was saved in this check-in already
            reply = tr("Thanks! That is saved already. 🙏 Talk to you next month.")
            return say(reply), None
        return say(
            tr(
                "Thanks for telling me! I couldn't tell which step that was. If something "
                "happened, tap the button below."
            ),
            [[(tr.label("📈 Report a step"), "pn")]],
        ), None

    result = await once(update, context, _work)
    if result is None:
        return
    outcome, nonce = result
    if nonce and person:
        progress.remember_note(context, person, nonce, text)  # in memory, until confirmed
    await deliver(update, context, outcome)


def build_handlers() -> list[Handler]:
    return [
        CallbackQueryHandler(opened, pattern=r"^ci:o:"),
        CallbackQueryHandler(pressed, pattern=r"^ci:"),
    ]
