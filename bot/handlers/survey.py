"""Surveys as short button conversations: baseline, two follow-ups and the result survey.

The questions are data (``bot/surveys.yaml``, read by ``bot/surveys.py``). The schedule's sender
(``bot/scheduler.py``) opens a survey with ``opening``: a short intro and the first unanswered
question. Every button carries what it answers, ``sv:<wave>:<question>:<answer>``, so the flow
needs no conversation state and survives restarts and other flows in between:

- ``<answer>`` is an option code, a number, ``-`` (skip: stored as no answer, never as "no"),
  or for the step items a hex mask of the ticked items (``t<mask>`` only shows the ticks);
- every answer is stored at once (``outcomes.service.save_survey_answer``, status
  ``in_progress``), then the next unanswered question follows; after the last one the survey is
  ``complete`` and the schedule stops reminding;
- a reminder, or a button pressed days later, resumes at the first unanswered question.

Only the participant answers surveys, and only a wave the schedule has sent them. ``/survey``
shows the first unanswered question of the earliest sent survey that is not finished (for
someone who lost the message or wants to go on before the next reminder).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session, select
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.common import EVENT_LABELS, active_pair, match, not_invited, pair_closed, stale_button
from bot.i18n import N_, Html, Tr, bold
from bot.ptb import Handler
from bot.replies import Outcome, Reply, Rows, deliver, rows, say
from bot.state import Turn, once
from bot.surveys import SKIP, Question, WaveQuestions, load_surveys
from core.vocab import SurveyStatus, Wave
from outcomes import schedule
from outcomes.schedule_models import ScheduledItem
from outcomes.schemas import SurveyAnswers
from outcomes.service import find_survey, save_survey_answer
from outcomes.survey_skips import skip, skipped, unskip

DATA = r"sv:([a-z0-9]{1,2}):([a-z]{1,3}):(-|t?[0-9a-f]{1,4}|[a-z0-9]{1,2})"
SKIP_LABEL = N_("Skip ⏭")
DONE_LABEL = N_("✅ Done")
NUMBER_ROW = 6


def stored_answers(session: Session, participant: str, wave: str) -> tuple[dict[str, Any], bool]:
    """The answers stored so far (without empty ones) and whether the survey is complete."""
    row = find_survey(session, participant, wave)
    if row is None:
        return {}, False
    answers = SurveyAnswers.from_columns(row).model_dump(mode="json", exclude_none=True)
    return answers, row.status == SurveyStatus.complete


def _number_label(question: Question, n: int) -> str:
    return f"{n}+" if n == question.max else str(n)


def _mask_label(tr: Tr, question: Question, mask: int) -> str:
    ticked = [
        tr.label(EVENT_LABELS[o.label]) for i, o in enumerate(question.options) if mask >> i & 1
    ]
    return ", ".join(ticked) if ticked else tr.label("None of these")


def answer_label(tr: Tr, question: Question, code: str) -> str:
    """How a given answer reads back to the person."""
    if code == SKIP:
        return tr.label("skipped")
    if question.kind == "number":
        return _number_label(question, int(code))
    if question.kind == "multi":
        return _mask_label(tr, question, int(code, 16))
    option = question.option(code)
    return tr.label(option.label) if option else code


def question_buttons(
    tr: Tr, wave: WaveQuestions, question: Question, mask: int = 0, *, flow: str = "sv"
) -> Rows:
    """The answer buttons of a question, and Skip (``flow``: ``ms`` for the mentors' survey)."""
    prefix = f"{flow}:{wave.code}:{question.code}:"
    skip_row = [(tr.label(SKIP_LABEL), prefix + SKIP)]
    if question.kind == "number":
        numbers = [(_number_label(question, n), prefix + str(n)) for n in range(question.max + 1)]
        return [*rows(numbers, NUMBER_ROW), skip_row]
    if question.kind == "multi":
        toggles = [
            (
                ("✅ " if mask >> i & 1 else "⬜ ") + tr.label(EVENT_LABELS[o.label]),
                f"{prefix}t{mask ^ (1 << i):x}",
            )
            for i, o in enumerate(question.options)
        ]
        return [*rows(toggles, 1), [(tr.label(DONE_LABEL), f"{prefix}{mask:x}"), *skip_row]]
    per_row = 5 if len(question.options) > 3 else len(question.options)
    options = [(tr.label(o.label), prefix + o.code) for o in question.options]
    return [*rows(options, per_row), skip_row]


def question_text(
    tr: Tr, wave: WaveQuestions, question: Question, answers: dict[str, Any], done: set[str]
) -> Html:
    """``Question 2 of 5`` and the question."""
    number, count = wave.position(question, answers, done)
    heading = Html("<b>" + tr("Question {number} of {count}", number=number, count=count) + "</b>")
    return tr.join(heading, tr(question.text))


def opening(
    session: Session,
    *,
    participant: str,
    wave_name: str,
    lang: str,
    reminder: bool,
    requested: bool = False,
) -> Reply | None:
    """The scheduled message that opens (or reminds of) a survey; None when it is complete.

    ``requested``: the person asked for it (``/survey``): a begun survey goes on with the next
    question, one not begun starts with its intro, and neither says "reminder".
    """
    wave = load_surveys().wave(wave_name)
    answers, complete = stored_answers(session, participant, wave_name)
    done = skipped(session, participant, wave_name)
    question = wave.next_question(answers, done)
    if complete or question is None:
        return None
    tr = Tr(lang)
    intro = opening_intro(tr, wave, answers, done, reminder=reminder, requested=requested)
    text = tr.join(intro, question_text(tr, wave, question, answers, done))
    return Reply(text, question_buttons(tr, wave, question))


def opening_intro(
    tr: Tr,
    wave: WaveQuestions,
    answers: dict[str, Any],
    done: set[str],
    *,
    reminder: bool,
    requested: bool = False,
) -> str:
    """A wave's intro (how many questions), or "not finished yet" for a begun one that is
    reminded of or asked for, or the intro with "a friendly reminder"."""
    if (reminder or requested) and (answers or done):
        return tr("🔔 Your survey is not finished yet. Here is the next question:")
    intro = tr.ngettext(wave.intro.one, wave.intro.other, wave.count(answers, done))
    return tr.join(tr("🔔 A friendly reminder."), intro) if reminder else intro


def sent_item(turn: Turn, pair: str, wave: str) -> ScheduledItem | None:
    """The schedule's item of this wave, if it was sent to the person (else None)."""
    item = turn.session.exec(
        select(ScheduledItem).where(
            ScheduledItem.pair == pair,
            ScheduledItem.role == turn.role,
            ScheduledItem.kind == wave,
            ScheduledItem.sequence == 0,
        )
    ).first()
    if (
        item is None
        or item.state == "cancelled"
        or (item.attempt == 0 and item.state != "answered")
    ):
        return None
    return item


Pressed = tuple[WaveQuestions, Question, str, dict[str, Any]]
"""What a survey button carries: the wave, the question, the answer's code; the answers so far."""


def read_press(
    turn: Turn,
    data: str | None,
    *,
    pattern: str,
    wave_of: Callable[[str], WaveQuestions | None],
    role: str,
    stored: Callable[[Session, str, str], tuple[dict[str, Any], bool]],
) -> Pressed | Outcome:
    """A survey button's wave, question and code with the answers stored so far, or the reply
    that refuses it: not invited, a stale button (not this person's, a wave not sent), the pair
    closed, the survey finished already."""
    if turn.contact is None:
        return not_invited(turn.tr)
    tr = turn.tr
    found = match(pattern, data)
    wave = wave_of(found.group(1)) if found else None
    question = wave.question(found.group(2)) if found and wave else None
    if found is None or wave is None or question is None or turn.role != role:
        return stale_button(tr)
    pair = active_pair(turn)
    if pair is None:
        return pair_closed(tr)
    if sent_item(turn, pair.id, wave.name) is None:
        return stale_button(tr)
    answers, complete = stored(turn.session, turn.person, wave.name)
    if complete:
        return Outcome(
            [Reply(tr("You have already finished this survey. Thank you! 🙏"), edit=True)]
        )
    return wave, question, found.group(3), answers


def _pressed(turn: Turn, data: str | None) -> Outcome:
    pressed = read_press(
        turn,
        data,
        pattern=DATA,
        wave_of=load_surveys().by_code,
        role="participant",
        stored=stored_answers,
    )
    if isinstance(pressed, Outcome):
        return pressed
    wave, question, code, answers = pressed
    tr = turn.tr
    done = skipped(turn.session, turn.person, wave.name)
    if code.startswith("t"):  # a tick in the step items: show it, store nothing yet
        if question.kind != "multi" or not _valid(question, code[1:]):
            return stale_button(tr)
        text = question_text(tr, wave, question, answers, done)
        return Outcome(
            [Reply(text, question_buttons(tr, wave, question, int(code[1:], 16)), edit=True)]
        )
    if code != SKIP and not _valid(question, code):
        return stale_button(tr)
    return _store(turn, wave, question, code, answers, done)


def _valid(question: Question, code: str) -> bool:
    try:
        question.value_of(code)
    except (KeyError, ValueError):
        return False
    return True


def _store(
    turn: Turn,
    wave: WaveQuestions,
    question: Question,
    code: str,
    answers: dict[str, Any],
    done: set[str],
) -> Outcome:
    """Store one answer (or the skip), then ask the next question or finish."""
    session, person = turn.session, turn.person
    given = SurveyAnswers()
    if code == SKIP:
        skip(session, person, wave.name, question.name)
        done = done | {question.name}
    else:
        given = question.answers_for(question.value_of(code))
        if question.name in done:
            unskip(session, person, wave.name, question.name)
            done = done - {question.name}
    following = wave.next_question(merged(answers, given), done)
    row = save_survey_answer(
        session,
        participant=person,
        wave=wave.name,
        answered_on=turn.today,
        answers=given,
        complete=following is None,
        actor=turn.actor,
    )
    now = SurveyAnswers.from_columns(row).model_dump(mode="json", exclude_none=True)
    return next_or_thanks(turn, wave, question, code, following, now, done)


def next_or_thanks(
    turn: Turn,
    wave: WaveQuestions,
    question: Question,
    code: str,
    following: Question | None,
    now: dict[str, Any],
    done: set[str],
    *,
    flow: str = "sv",
) -> Outcome:
    """After an answer is stored: the next question in place of this one (one message per
    survey), or the thanks when it was the last, and the schedule stops reminding."""
    tr = turn.tr
    record = Html("✓ " + bold(answer_label(tr, question, code)))
    if following is not None:
        text = tr.join(record, question_text(tr, wave, following, now, done))
        return Outcome([Reply(text, question_buttons(tr, wave, following, flow=flow), edit=True)])
    assert turn.contact is not None
    assert turn.contact.pair is not None
    schedule.mark_answered(turn.session, pair=turn.contact.pair, role=turn.role, kind=wave.name)
    thanks = tr("🙏 Thank you! Your answers are saved. They help the program help others.")
    return Outcome([Reply(tr.join(record, thanks), edit=True)])


def merged(answers: dict[str, Any], given: SurveyAnswers) -> dict[str, Any]:
    """The stored answers with ``given`` merged in, as ``save_survey_answer`` merges them."""
    out = dict(answers)
    for key, value in given.model_dump(mode="json", exclude_none=True).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


async def answered(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A survey button: store the answer (or the skip) and ask the next question."""
    data = update.callback_query.data if update.callback_query else None
    await deliver(update, context, await once(update, context, lambda t: _pressed(t, data)))


def _resume(turn: Turn) -> Outcome:
    tr = turn.tr
    if turn.contact is None:
        return not_invited(tr)
    if turn.role != "participant":
        return say(tr("The surveys are for participants; I send them to your participant."))
    pair = active_pair(turn)
    if pair is None:
        return pair_closed(tr)
    for wave in Wave:  # the earliest open one first
        if sent_item(turn, pair.id, wave.value) is None:
            continue
        reply = opening(
            turn.session,
            participant=turn.person,
            wave_name=wave.value,
            lang=turn.lang,
            reminder=False,
            requested=True,
        )
        if reply is not None:
            return Outcome([reply])
    return say(
        tr(
            "You have no survey to answer right now. I will send the next one when it is "
            "time. Thank you!"
        )
    )


async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/survey: go on with an unfinished survey (the next unanswered question)."""
    await deliver(update, context, await once(update, context, _resume))


def build_handlers() -> list[Handler]:
    return [
        CommandHandler("survey", resume, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(answered, pattern=r"^sv:"),
    ]
