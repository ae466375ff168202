"""The mentors' own survey as a short button conversation: at the start and at the end of the
round (``bot/surveys.yaml`` ``mentor_questions`` / ``mentor_waves``).

The schedule's sender (``bot/scheduler.py``) opens a wave with ``opening`` (kinds
``mentor_start`` / ``mentor_end``): the intro and the first unanswered question. Every button
carries what it answers, ``ms:<wave>:<question>:<answer>`` (``-`` skips: stored as no answer),
so the flow needs no conversation state and survives restarts; every answer is stored at once
(``outcomes.mentor_surveys.save_mentor_answer``), the last one completes the wave and the
schedule stops reminding. Only a mentor answers, and only a wave the schedule has sent them.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from telegram import Update
from telegram.ext import CallbackQueryHandler, ContextTypes

from bot.common import stale_button
from bot.handlers.survey import (
    next_or_thanks,
    opening_intro,
    question_buttons,
    question_text,
    read_press,
)
from bot.i18n import Tr
from bot.ptb import Handler
from bot.replies import Outcome, Reply, deliver
from bot.state import Turn, once
from bot.surveys import SKIP, Question, WaveQuestions, load_surveys
from core.vocab import SurveyStatus
from outcomes.mentor_surveys import answers_of, find_mentor_survey, save_mentor_answer
from outcomes.survey_skips import skip, skipped, unskip

FLOW = "ms"
DATA = r"ms:([a-z]):([a-z]{2}):(-|[a-z0-9])"


def stored_answers(session: Session, mentor: str, wave: str) -> tuple[dict[str, Any], bool]:
    """The answers stored so far (without empty ones) and whether the wave is complete."""
    row = find_mentor_survey(session, mentor, wave)
    if row is None:
        return {}, False
    answers = answers_of(row).model_dump(mode="json", exclude_none=True)
    return answers, row.status == SurveyStatus.complete


def opening(
    session: Session, *, mentor: str, wave_name: str, lang: str, reminder: bool
) -> Reply | None:
    """The scheduled message that opens (or reminds of) a mentor wave; None when complete."""
    wave = load_surveys().wave(wave_name)
    answers, complete = stored_answers(session, mentor, wave_name)
    done = skipped(session, mentor, wave_name)
    question = wave.next_question(answers, done)
    if complete or question is None:
        return None
    tr = Tr(lang)
    intro = opening_intro(tr, wave, answers, done, reminder=reminder)
    text = tr.join(intro, question_text(tr, wave, question, answers, done))
    return Reply(text, question_buttons(tr, wave, question, flow=FLOW))


def _pressed(turn: Turn, data: str | None) -> Outcome:
    pressed = read_press(
        turn,
        data,
        pattern=DATA,
        wave_of=load_surveys().mentor_by_code,
        role="mentor",
        stored=stored_answers,
    )
    if isinstance(pressed, Outcome):
        return pressed
    wave, question, code, answers = pressed
    if code != SKIP and question.option(code) is None:
        return stale_button(turn.tr)
    done = skipped(turn.session, turn.person, wave.name)
    return _store(turn, wave, question, code, answers, done)


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
    now = dict(answers)
    if code == SKIP:
        skip(session, person, wave.name, question.name)
        done = done | {question.name}
        given = question.mentor_answers_for(None)
    else:
        value = question.value_of(code)
        given = question.mentor_answers_for(value)
        now[question.key] = given.model_dump(mode="json")[question.key]
        if question.name in done:
            unskip(session, person, wave.name, question.name)
            done = done - {question.name}
    following = wave.next_question(now, done)
    save_mentor_answer(
        session,
        mentor=person,
        wave=wave.name,
        answered_on=turn.today,
        answers=given,
        complete=following is None,
    )
    return next_or_thanks(turn, wave, question, code, following, now, done, flow=FLOW)


async def answered(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A mentor survey button: store the answer (or the skip) and ask the next question."""
    data = update.callback_query.data if update.callback_query else None
    await deliver(update, context, await once(update, context, lambda t: _pressed(t, data)))


def build_handlers() -> list[Handler]:
    return [CallbackQueryHandler(answered, pattern=r"^ms:")]
