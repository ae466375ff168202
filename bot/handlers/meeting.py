"""Meetings: ``/meeting`` shows ideas for this month's meeting, ``/met`` logs one.

Ideas come from ``bot/ideas.yaml`` (see ``bot/ideas.py``) with one or two pieces of the knowledge
base attached. The button ``mi`` shows the ideas too (for the monthly reminder's message).

``/met`` is a flow ``met``: the day (``mt:<nonce>:d:<days ago>``, or ``pick`` for more days),
then what the pair did (``mt:<nonce>:a:<i>`` toggles, ``ok`` saves, ``x`` cancels). Either side
may log; the other side logging the same day merges into the same Meeting.
"""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta
from functools import partial

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.common import (
    ACTIVITIES,
    ACTIVITY_LABELS,
    NONCE,
    active_pair,
    match,
    not_invited,
    pair_closed,
    stale_button,
)
from bot.i18n import FSI, PDI, Html, Tr, bold, escape
from bot.ideas import Agenda, agenda_for
from bot.lookup import lookup
from bot.ptb import Handler
from bot.replies import Outcome, Rows, deliver, rows, say
from bot.state import Turn, once, peek
from core.languages import RTL_LANGUAGES
from outcomes.errors import DomainError
from outcomes.schemas import MeetingCreate
from outcomes.service import log_meeting

log = logging.getLogger(__name__)

FLOW = "met"
PICK_DAYS = 12  # "another day" offers the 12 days before yesterday
MAX_DAYS_AGO = 2 + PICK_DAYS
EXCERPT_CHARS = 180
MATERIAL_TIMEOUT = 5.0  # seconds; ideas go out without material rather than wait


# --- ideas ----------------------------------------------------------------------------------


def _agenda(turn: Turn) -> tuple[str, Agenda | None]:
    if turn.contact is None or turn.contact.pair is None:
        return turn.lang, None
    return turn.lang, agenda_for(turn.session, turn.contact.pair, turn.today)


def _excerpt(text: str) -> str:
    flat = re.sub(r"\s+", " ", re.sub(r"[#*_>`]+", "", text)).strip()
    if len(flat) <= EXCERPT_CHARS:
        return flat
    cut = flat[:EXCERPT_CHARS]
    end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    return cut[: end + 1] if end > EXCERPT_CHARS // 2 else cut.rsplit(" ", 1)[0] + " …"


async def _material(topics: list[str], lang: str) -> list[tuple[str, str, str]]:
    """(title, excerpt, language) of the first passage of up to two topics (none if it is down)."""
    from knowledge import service

    found: list[tuple[str, str, str]] = []
    for topic in topics:
        if len(found) == 2:
            break
        passages = await lookup(
            partial(service.topic_passages, topic, lang, limit=1), within=MATERIAL_TIMEOUT
        )
        if passages is None:  # the knowledge base is optional for ideas
            return found
        if passages:
            found.append((passages[0].title, _excerpt(passages[0].text), passages[0].lang))
    return found


def _ideas_text(tr: Tr, agenda: Agenda, material: list[tuple[str, str, str]]) -> Html:
    if agenda.last:
        head = tr("💡 Ideas for your last meeting:")
    else:
        head = tr(
            "💡 Ideas for your meeting – month {month} of {months}:",
            month=agenda.month,
            months=agenda.months,
        )
    blocks: list[str] = [head]
    for idea in agenda.ideas:
        points = "\n".join("• " + tr(p) for p in idea.points)
        blocks.append(bold(tr.label(idea.title)) + "\n" + points)
    if material:
        lines: list[str] = [tr("📖 Read more:")]
        for title, text, lang in material:
            line = bold(title) + " – " + escape(text)
            # Swedish or English material in an Arabic or Persian message keeps its own direction
            lines.append(FSI + line + PDI if tr.rtl and lang not in RTL_LANGUAGES else line)
        lines.append(tr("Ask me anything with /ask."))
        blocks.append("\n".join(lines))
    return tr.join(*blocks)


async def ideas(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/meeting or the ideas button: this month's agenda with some material."""
    if update.callback_query is not None:
        data = update.callback_query.data
        if data != "mi":
            await deliver(
                update, context, await once(update, context, lambda t: stale_button(t.tr))
            )
            return
    lang, agenda = await peek(update, context, _agenda)
    material = await _material(agenda.topics, lang) if agenda is not None else []

    def _work(turn: Turn) -> Outcome:
        if turn.contact is None:
            return not_invited(turn.tr)
        if agenda is None:
            return pair_closed(turn.tr)
        button = [(turn.tr.label("📝 Log a meeting"), "mt:new")]
        return say(_ideas_text(turn.tr, agenda, material), [button])

    await deliver(update, context, await once(update, context, _work))


# --- logging a meeting ----------------------------------------------------------------------


def _render(turn: Turn, *, edit: bool) -> Outcome:
    """The current step of the person's ``met`` conversation."""
    conv = turn.conversation
    assert conv is not None
    tr, n = turn.tr, conv.nonce
    if conv.step == "day":
        buttons: Rows = [
            [(tr.label("Today"), f"mt:{n}:d:0"), (tr.label("Yesterday"), f"mt:{n}:d:1")],
            [(tr.label("Another day"), f"mt:{n}:pick")],
            [(tr.label("Cancel"), f"mt:{n}:x")],
        ]
        return say(tr("📝 When did you meet?"), buttons, edit=edit)
    if conv.step == "pick":
        pair = active_pair(turn)
        earliest = pair.matched_on if pair is not None else turn.today
        days = [k for k in range(2, MAX_DAYS_AGO) if turn.today - timedelta(days=k) >= earliest]
        picks = [(tr.short_date(turn.today - timedelta(days=k)), f"mt:{n}:d:{k}") for k in days]
        return say(
            tr("Which day did you meet?"),
            [*rows(picks, 3), [(tr.label("Cancel"), f"mt:{n}:x")]],
            edit=edit,
        )
    chosen = set(conv.data.get("acts", []))
    toggles = [
        (("✅ " if tag in chosen else "") + tr.label(ACTIVITY_LABELS[tag]), f"mt:{n}:a:{i}")
        for i, tag in enumerate(ACTIVITIES)
    ]
    day = date.fromisoformat(conv.data["day"])
    return say(
        tr("What did you do on {day}? Choose all that fit, then press Save.", day=tr.date(day)),
        [
            *rows(toggles, 2),
            [(tr.label("💾 Save"), f"mt:{n}:ok"), (tr.label("Cancel"), f"mt:{n}:x")],
        ],
        edit=edit,
    )


def _begin(turn: Turn) -> Outcome:
    if turn.contact is None:
        return not_invited(turn.tr)
    if active_pair(turn) is None:
        return pair_closed(turn.tr)
    turn.begin(FLOW, "day")
    return _render(turn, edit=False)


async def met(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/met (or the "log a meeting" button): log a meeting, starting with the day."""
    await deliver(update, context, await once(update, context, _begin))


STEP_OF = {"d": ("day", "pick"), "pick": ("day",), "a": ("acts",), "ok": ("acts",)}
DATA = rf"mt:({NONCE}):(d|pick|a|ok|x)(?::(\d{{1,2}}))?"


def _pressed(turn: Turn, data: str | None) -> Outcome:
    if turn.contact is None:
        return not_invited(turn.tr)
    if data == "mt:new":
        return _begin(turn)
    found = match(DATA, data)
    conv = turn.in_flow(FLOW, found.group(1)) if found else None
    if found is None or conv is None:
        return stale_button(turn.tr)
    action, arg = found.group(2), found.group(3)
    tr = turn.tr
    if action == "x":
        turn.end()
        return say(tr("OK, nothing was saved."), edit=True)
    if conv.step not in STEP_OF[action]:  # a button of an earlier step: show where we are
        return _render(turn, edit=True)
    if action == "pick":
        turn.move("pick")
        return _render(turn, edit=True)
    if action == "d":
        ago = int(arg or -1)
        if not 0 <= ago < MAX_DAYS_AGO:
            return stale_button(tr)
        turn.move("acts", day=(turn.today - timedelta(days=ago)).isoformat(), acts=[])
        return _render(turn, edit=True)
    if action == "a":
        index = int(arg or -1)
        if not 0 <= index < len(ACTIVITIES):
            return stale_button(tr)
        acts = list(conv.data.get("acts", []))
        tag = ACTIVITIES[index]
        acts = [a for a in acts if a != tag] if tag in acts else [*acts, tag]
        turn.move("acts", acts=[a for a in ACTIVITIES if a in acts])
        return _render(turn, edit=True)
    acts = list(conv.data.get("acts", []))
    if not acts:
        out = _render(turn, edit=True)
        out.toast = tr.label("Choose at least one thing you did.")
        return out
    return _save(turn, date.fromisoformat(conv.data["day"]), acts)


def _save(turn: Turn, day: date, acts: list[str]) -> Outcome:
    tr = turn.tr
    pair = active_pair(turn)
    if pair is None or day < pair.matched_on:
        turn.end()
        return pair_closed(tr)
    try:
        meeting, merged = log_meeting(
            turn.session,
            meeting=MeetingCreate(pair=pair.id, held_on=day, activities=acts),
            logged_by=turn.role,
            actor=turn.actor,
        )
    except DomainError:
        turn.end()
        return pair_closed(tr)
    turn.end()
    what = ", ".join(
        tr.label(ACTIVITY_LABELS.get(a, ACTIVITY_LABELS["other"])) for a in meeting.activities
    )
    text = tr("✅ Saved: your meeting on {day} ({what}).", day=tr.date(day), what=what)
    if merged:
        if turn.role == "participant":
            also = tr("Your mentor had logged this meeting too, so I added your answers to it.")
        else:
            also = tr(
                "Your participant had logged this meeting too, so I added your answers to it."
            )
        text = tr.join(text, also)
    return say(text, edit=True)


async def met_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button of the /met flow: a day, an activity, save or cancel."""
    data = update.callback_query.data if update.callback_query else None
    await deliver(update, context, await once(update, context, lambda t: _pressed(t, data)))


def build_handlers() -> list[Handler]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("meeting", ideas, filters=private),
        CommandHandler("met", met, filters=private),
        CallbackQueryHandler(ideas, pattern=r"^mi$"),
        CallbackQueryHandler(met_button, pattern=r"^mt:"),
    ]
