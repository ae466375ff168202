"""Progress: ``/progress`` records a step towards work, with the spec's follow-up questions.

Flow ``progress`` (state in ``bot_conversation``):

- ``type``: a button per event type (``pg:<nonce>:t:<i>``);
- ``propose``: events proposed from the person's own words (``propose``, used by
  ``handlers/text.py``): toggles ``pg:<nonce>:p:<i>``, save ``pg:<nonce>:s``;
- ``ask``: the follow-up questions of each chosen type in turn, ``pg:<nonce>:a:<q>:<answer>``
  with ``q`` = ``e`` extent (``p``/``f``), ``r`` relevant (``y``/``n``), ``c`` did the program
  help (``y``/``n``/``u``);
- ``when``: the day it happened, ``pg:<nonce>:d:<days ago>`` (today, yesterday), or ``pg:<nonce>:w``
  for ``pick``: the twelve days before yesterday by date, and about 3 weeks, a month or two
  months ago (the program window and "interviews in the last 61 days" depend on the day);
- then the events are saved with that day (source ``participant`` or ``mentor``; a mentor
  reports for their participant) and a confirmation offers ``↩ Undo`` (``pu:<event id>``), which
  voids the event.

``pg:<nonce>:x`` cancels. A button from an earlier step of the same conversation shows the
current step again (after a restart the person simply goes on), and a button of a conversation
that saved its steps says so, with their undo buttons: after a crash between saving and "Saved"
the person learns what was kept (``Turn.end(done=...)``).
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, timedelta
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, filters

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
from bot.i18n import N_, Tr, escape
from bot.ptb import Handler
from bot.replies import Outcome, Rows, deliver, rows, say
from bot.state import Turn, once
from core.vocab import EventSource, EventStatus
from outcomes.models import Event, Pair
from outcomes.schemas import EventAttributes, EventCreate
from outcomes.service import record_event, void_event

FLOW = "progress"
NOTES_KEY = "progress_notes"  # bot_data: (person, nonce) -> the person's words, kept in memory
MAX_NOTES = 500

# The follow-up questions of spec/outcomes.md's event attributes, per type, in order.
QUESTIONS: dict[str, tuple[str, ...]] = {
    "job_started": ("e", "r", "c"),
    "job_changed": ("e", "r", "c"),
    "internship_started": ("c",),
    "education_started": ("r", "c"),
}
ANSWERS: dict[str, dict[str, tuple[str, Any]]] = {  # code -> (label, stored value)
    "e": {"p": (N_("Part time"), "part_time"), "f": (N_("Full time"), "full_time")},
    "r": {"y": (N_("Yes"), True), "n": (N_("No"), False)},
    "c": {"y": (N_("Yes"), "yes"), "n": (N_("No"), "no"), "u": (N_("Not sure"), "unsure")},
}
ATTRIBUTE = {"e": "extent", "r": "relevant", "c": "program_contributed"}

PICK_DAYS = tuple(range(2, 14))
"""``pick`` offers these days by date (the twelve days before yesterday) …"""
ROUGHLY: dict[int, str] = {
    21: N_("About 3 weeks ago"),
    30: N_("About a month ago"),
    60: N_("About 2 months ago"),
}
"""… and these, for a step further back (stored as that many days ago)."""
DAYS_AGO = frozenset({0, 1, *PICK_DAYS, *ROUGHLY})


def _question(tr: Tr, code: str, event_type: str, role: str) -> str:
    if code == "e":
        return tr("Part time or full time?")
    if code == "c":
        return tr("Did the mentoring program help with this?")
    if event_type == "education_started":
        if role == "mentor":
            return tr("Will the studies help them towards the work they want?")
        return tr("Will the studies help you towards the work you want?")
    if role == "mentor":
        return tr("Is the job in their field – their education or trade?")
    return tr("Is the job in your field – your education or trade?")


def _next_question(data: dict[str, Any]) -> tuple[int, str] | None:
    """(index in the queue, question code) of the first unanswered question, or None."""
    for i, event_type in enumerate(data["queue"]):
        for code in QUESTIONS.get(event_type, ()):
            if code not in data["answers"][i]:
                return i, code
    return None


def _render(turn: Turn, *, edit: bool) -> Outcome:
    """The current step of the person's ``progress`` conversation."""
    conv = turn.conversation
    assert conv is not None
    tr, n = turn.tr, conv.nonce
    cancel = [(tr.label("Cancel"), f"pg:{n}:x")]
    if conv.step == "type":
        buttons = [(tr.label(EVENT_LABELS[t]), f"pg:{n}:t:{i}") for i, t in enumerate(EVENT_TYPES)]
        if turn.role == "mentor":
            text = tr("📈 What step did your participant take? Choose one:")
        else:
            text = tr("📈 What happened? Choose the step you took:")
        return say(text, [*rows(buttons, 2), cancel], edit=edit)
    if conv.step == "propose":
        selected = set(conv.data["selected"])
        toggles = [
            (("✅ " if t in selected else "⬜ ") + tr.label(EVENT_LABELS[t]), f"pg:{n}:p:{i}")
            for i, t in enumerate(conv.data["proposed"])
        ]
        text = tr("It sounds like this happened. Tap to change, then save:")
        return say(
            text, [*rows(toggles, 1), [(tr.label("💾 Save"), f"pg:{n}:s"), *cancel]], edit=edit
        )
    if conv.step == "when":
        days: Rows = [
            [(tr.label("Today"), f"pg:{n}:d:0"), (tr.label("Yesterday"), f"pg:{n}:d:1")],
            [(tr.label("Another day"), f"pg:{n}:w")],
            cancel,
        ]
        return say(tr.join(_chosen(turn), tr("When did it happen?")), days, edit=edit)
    if conv.step == "pick":
        picks = [
            (tr.short_date(turn.today - timedelta(days=k)), f"pg:{n}:d:{k}") for k in PICK_DAYS
        ]
        rough = [(tr.label(label), f"pg:{n}:d:{k}") for k, label in ROUGHLY.items()]
        return say(tr("Which day was it?"), [*rows(picks, 3), *rows(rough, 1), cancel], edit=edit)
    found = _next_question(conv.data)
    assert found is not None
    i, code = found
    event_type = conv.data["queue"][i]
    answers: Rows = [
        [(tr.label(label), f"pg:{n}:a:{code}:{key}") for key, (label, _v) in ANSWERS[code].items()]
    ]
    text = tr.join(tr.label(EVENT_LABELS[event_type]), _question(tr, code, event_type, turn.role))
    return say(text, [*answers, cancel], edit=edit)


def _chosen(turn: Turn) -> str:
    """The chosen steps, one per line (shown above the question of the day)."""
    conv = turn.conversation
    assert conv is not None
    return "\n".join(escape(turn.tr.label(EVENT_LABELS[t])) for t in conv.data["queue"])


def _begin(turn: Turn) -> Outcome:
    if turn.contact is None:
        return not_invited(turn.tr)
    if active_pair(turn) is None:
        return pair_closed(turn.tr)
    turn.begin(FLOW, "type")
    return _render(turn, edit=False)


async def progress(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/progress (or the "report a step" button ``pn``): report a step towards work."""
    await deliver(update, context, await once(update, context, _begin))


def propose(turn: Turn, event_types: list[str]) -> Outcome:
    """Propose events found in the person's own words; nothing is saved before they confirm."""
    proposed = [t for t in dict.fromkeys(event_types) if t in EVENT_LABELS]
    if active_pair(turn) is None:
        return pair_closed(turn.tr)
    if not proposed:
        return _begin(turn)
    turn.begin(FLOW, "propose", proposed=proposed, selected=proposed)
    return _render(turn, edit=False)


def _after_choice(turn: Turn, queue: list[str], note: str | None) -> Outcome:
    turn.move("ask", queue=queue, answers=[{} for _ in queue], has_note=note is not None)
    conv = turn.conversation
    assert conv is not None
    if _next_question(conv.data) is None:
        turn.move("when")
    return _render(turn, edit=True)


def _save(turn: Turn, day: date, note: str | None) -> Outcome:
    tr = turn.tr
    conv = turn.conversation
    assert conv is not None
    pair = active_pair(turn)
    if pair is None:
        turn.end()
        return pair_closed(tr)
    saved: list[Event] = []
    for event_type, answers in zip(conv.data["queue"], conv.data["answers"], strict=True):
        attributes = {ATTRIBUTE[code]: ANSWERS[code][key][1] for code, key in answers.items()}
        if note:
            attributes["note"] = note[:1000]
        saved.append(
            record_event(
                turn.session,
                event=EventCreate(
                    participant=pair.participant,
                    type=event_type,
                    occurred_on=day,
                    source=EventSource(turn.role),
                    attributes=EventAttributes(**attributes) if attributes else None,
                ),
                actor=turn.actor,
            )
        )
    turn.end(done={"saved": [e.id for e in saved]})
    labels = [tr.label(EVENT_LABELS[str(e.type)]) for e in saved]
    if len(saved) == 1:
        text = tr("✅ Saved: {what}.", what=labels[0])
    else:
        text = tr.join(tr("✅ Saved:"), "\n".join("• " + escape(label) for label in labels))
    return say(tr.join(text, tr("Well done! 🎉")), _undo_buttons(tr, saved, labels), edit=True)


def _undo_buttons(tr: Tr, saved: list[Event], labels: list[str]) -> Rows:
    if len(saved) == 1:
        return [[(tr.label("↩ Undo"), f"pu:{saved[0].id}")]]
    return [
        [(tr.label("↩ Undo") + ": " + label, f"pu:{e.id}")]
        for e, label in zip(saved, labels, strict=True)
    ]


def _already_saved(turn: Turn, done: dict[str, Any]) -> Outcome:
    """A button of a conversation that saved its steps: what was saved (still standing)."""
    tr = turn.tr
    found = [turn.session.get(Event, i) for i in done.get("saved", []) if isinstance(i, str)]
    saved = [e for e in found if e is not None and e.status == EventStatus.confirmed]
    if not saved:
        return stale_button(tr)
    labels = [tr.label(EVENT_LABELS[str(e.type)]) for e in saved]
    if len(saved) == 1:
        text = tr("This step is already saved: {what}.", what=labels[0])
    else:
        lines = "\n".join("• " + escape(label) for label in labels)
        text = tr.join(tr("These steps are already saved:"), lines)
    return say(text, _undo_buttons(tr, saved, labels), edit=True)


DATA = rf"pg:({NONCE}):(t|p|s|a|d|w|x)(?::([a-z0-9]{{1,2}}))?(?::([a-z]))?"
STEP_OF = {
    "t": ("type",),
    "p": ("propose",),
    "s": ("propose",),
    "a": ("ask",),
    "d": ("when", "pick"),
    "w": ("when",),
}


def _pressed(turn: Turn, data: str | None, note: str | None) -> Outcome:
    if turn.contact is None:
        return not_invited(turn.tr)
    found = match(DATA, data)
    conv = turn.in_flow(FLOW, found.group(1)) if found else None
    if found is None or conv is None:
        done = turn.finished(FLOW, found.group(1)) if found else None
        return stale_button(turn.tr) if done is None else _already_saved(turn, done)
    action, arg, value = found.group(2), found.group(3), found.group(4)
    tr = turn.tr
    if action == "x":
        turn.end()
        return say(tr("OK, nothing was saved."), edit=True)
    if conv.step not in STEP_OF[action]:  # a button of an earlier step: show where we are
        return _render(turn, edit=True)
    if action == "w":
        turn.move("pick")
        return _render(turn, edit=True)
    if action == "d":
        ago = int(arg) if arg and arg.isdigit() else -1
        if ago not in DAYS_AGO:
            return stale_button(tr)
        return _save(
            turn, turn.today - timedelta(days=ago), note if conv.data.get("has_note") else None
        )
    if action == "t":
        index = int(arg) if arg and arg.isdigit() else -1
        if not 0 <= index < len(EVENT_TYPES):
            return stale_button(tr)
        return _after_choice(turn, [EVENT_TYPES[index]], None)
    if action == "p":
        proposed = conv.data["proposed"]
        index = int(arg) if arg and arg.isdigit() else -1
        if not 0 <= index < len(proposed):
            return stale_button(tr)
        selected = set(conv.data["selected"]) ^ {proposed[index]}
        turn.move("propose", selected=[t for t in proposed if t in selected])
        return _render(turn, edit=True)
    if action == "s":
        if not conv.data["selected"]:
            out = _render(turn, edit=True)
            out.toast = tr.label("Choose at least one step, or press Cancel.")
            return out
        return _after_choice(turn, list(conv.data["selected"]), note)
    current = _next_question(conv.data)
    if current is None or arg != current[1] or value not in ANSWERS[current[1]]:
        return _render(turn, edit=True)
    i, code = current
    answers = [dict(a) for a in conv.data["answers"]]
    answers[i][code] = value
    turn.move("ask", answers=answers)
    if _next_question(conv.data) is None:
        turn.move("when")
    return _render(turn, edit=True)


def _notes(context: ContextTypes.DEFAULT_TYPE) -> OrderedDict[tuple[str, str], str]:
    notes = context.bot_data.setdefault(NOTES_KEY, OrderedDict())
    assert isinstance(notes, OrderedDict)
    return notes


def remember_note(context: ContextTypes.DEFAULT_TYPE, person: str, nonce: str, text: str) -> None:
    """Keep the person's words (in memory only) until they confirm or drop the proposed events."""
    notes = _notes(context)
    notes[(person, nonce)] = text
    while len(notes) > MAX_NOTES:
        notes.popitem(last=False)


async def progress_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button of the /progress flow: a step, an answer, save or cancel."""
    data = update.callback_query.data if update.callback_query else None
    found = match(DATA, data)
    nonce = found.group(1) if found else ""
    notes = _notes(context)
    candidates = {key: text for key, text in notes.items() if key[1] == nonce} if nonce else {}

    def _work(turn: Turn) -> tuple[Outcome, bool]:
        note = candidates.get((turn.contact.person, nonce)) if turn.contact else None
        outcome = _pressed(turn, data, note)
        return outcome, turn.in_flow(FLOW, nonce) is not None

    result = await once(update, context, _work)
    if result is None:
        return
    outcome, going_on = result
    if not going_on:
        for key in candidates:
            notes.pop(key, None)
    await deliver(update, context, outcome)


def _undo(turn: Turn, data: str | None) -> Outcome:
    if turn.contact is None:
        return not_invited(turn.tr)
    tr = turn.tr
    found = match(r"pu:(ev-[0-9a-f]{16})", data)
    event = turn.session.get(Event, found.group(1)) if found else None
    pair = turn.session.get(Pair, turn.contact.pair) if turn.contact.pair else None
    if (
        event is None
        or pair is None
        or event.participant != pair.participant
        or event.recorded_by != turn.actor
    ):
        return stale_button(tr)
    label = tr.label(EVENT_LABELS[str(event.type)])
    if event.status == EventStatus.voided:
        return Outcome(toast=tr.label("Already removed."))
    void_event(turn.session, event_id=event.id, actor=turn.actor)
    return say(tr("↩ Removed: {what}.", what=label))


async def undo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The undo button under a saved step: void that event."""
    data = update.callback_query.data if update.callback_query else None
    await deliver(update, context, await once(update, context, lambda t: _undo(t, data)))


def build_handlers() -> list[Handler]:
    return [
        CommandHandler("progress", progress, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(progress, pattern=r"^pn$"),
        CallbackQueryHandler(progress_button, pattern=r"^pg:"),
        CallbackQueryHandler(undo, pattern=r"^pu:"),
    ]
