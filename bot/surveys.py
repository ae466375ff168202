"""The survey questions of ``bot/surveys.yaml``, and which one comes next.

    surveys = load_surveys()
    wave = surveys.wave("result")
    question = wave.next_question(answers, skipped)      # None: nothing left to ask
    answers = question.answers_for(option_code)          # a SurveyAnswers with that one answer

``answers`` is what is stored so far (``SurveyAnswers.model_dump(exclude_none=True)``), and
``skipped`` the names of the questions the person skipped (``outcomes/survey_skips.py``). The next
question is the first of the wave that applies (its ``when`` holds), has no stored answer and
was not skipped — so an interrupted survey resumes at the first unanswered question.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from core.vocab import STEP_ITEMS, MentorWave, Wave
from outcomes.mentor_surveys import MentorSurveyAnswers
from outcomes.schemas import SurveyAnswers

SURVEYS_FILE = Path(__file__).with_name("surveys.yaml")
KINDS = ("choice", "number", "multi")
SKIP = "-"  # the option code of the Skip button


class SurveyFileError(ValueError):
    """``surveys.yaml`` does not describe valid questions."""


@dataclass(frozen=True)
class Option:
    code: str
    value: object  # from surveys.yaml, checked against SurveyAnswers when loaded
    label: str  # a msgid, or for ``multi`` the event type whose step label is shown
    event: str | None = None


@dataclass(frozen=True)
class Question:
    name: str
    code: str
    key: str  # a SurveyAnswers field, or "field.subkey"
    kind: str
    text: str
    options: tuple[Option, ...] = ()
    max: int = 0
    when: tuple[tuple[str, tuple[object, ...]], ...] = ()
    mentor: bool = False  # a question of the mentors' survey (keys of MentorSurveyAnswers)

    def option(self, code: str) -> Option | None:
        """The option with that code (choice questions), or None."""
        return next((o for o in self.options if o.code == code), None)

    def value_of(self, code: str) -> object:
        """The value an answer code stands for; ``KeyError`` when the code is not one of ours."""
        if self.kind == "choice":
            option = self.option(code)
            if option is None:
                raise KeyError(code)
            return option.value
        if self.kind == "number":
            if not code.isdigit() or int(code) > self.max:
                raise KeyError(code)
            return int(code)
        mask = int(code, 16) if code and len(code) <= 4 else -1
        if not 0 <= mask < 2 ** len(self.options):
            raise KeyError(code)
        return {o.value: bool(mask >> i & 1) for i, o in enumerate(self.options)}

    def answers_for(self, value: object) -> SurveyAnswers:
        """A SurveyAnswers holding only this question's answer."""
        field, _, sub = self.key.partition(".")
        return SurveyAnswers.model_validate({field: {sub: value} if sub else value})

    def mentor_answers_for(self, value: object) -> MentorSurveyAnswers:
        """A MentorSurveyAnswers holding only this (mentor) question's answer."""
        return MentorSurveyAnswers.model_validate({self.key: value})

    def stored(self, answers: dict[str, Any]) -> object:
        """The stored answer to this question (None: no answer)."""
        value = lookup(answers, self.key)
        if self.kind == "multi" and isinstance(value, dict):
            return value if any(v is not None for v in value.values()) else None
        return value

    def applies(self, answers: dict[str, Any]) -> bool:
        """Whether the question is asked, given the answers so far."""
        return all(lookup(answers, key) in values for key, values in self.when)

    def may_apply(self, answers: dict[str, Any]) -> bool:
        """Whether the question is or may still be asked (its condition is not answered yet)."""
        return all(lookup(answers, key) in (None, *values) for key, values in self.when)


def lookup(answers: dict[str, Any], key: str) -> object:
    """``answers["a"]["b"]`` for the key ``"a.b"`` (None when missing)."""
    value: object = answers
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


@dataclass(frozen=True)
class CountText:
    """A text about a number of things: its singular and plural msgids (``tr.ngettext``)."""

    one: str
    other: str


@dataclass(frozen=True)
class WaveQuestions:
    name: str
    code: str
    intro: CountText  # "{count} quick questions": the questions the person is asked
    questions: tuple[Question, ...]

    def question(self, code: str) -> Question | None:
        return next((q for q in self.questions if q.code == code), None)

    def open_questions(self, answers: dict[str, Any], skipped: set[str]) -> list[Question]:
        """The questions still to ask, in order (skipped and answered ones left out)."""
        return [
            q
            for q in self.questions
            if q.applies(answers) and q.name not in skipped and q.stored(answers) is None
        ]

    def next_question(self, answers: dict[str, Any], skipped: set[str]) -> Question | None:
        """The first question that applies, has no answer and was not skipped."""
        left = self.open_questions(answers, skipped)
        return left[0] if left else None

    def count(self, answers: dict[str, Any], skipped: set[str]) -> int:
        """How many questions the person is asked in all, as far as is known now."""
        return sum(
            1
            for q in self.questions
            if q.may_apply(answers) or q.name in skipped or q.stored(answers) is not None
        )

    def position(
        self, question: Question, answers: dict[str, Any], skipped: set[str]
    ) -> tuple[int, int]:
        """(number of this question, questions in all) as the person sees them now."""
        done = [
            q
            for q in self.questions
            if q is not question and (q.name in skipped or q.stored(answers) is not None)
        ]
        return len(done) + 1, max(self.count(answers, skipped), len(done) + 1)


@dataclass(frozen=True)
class Surveys:
    questions: dict[str, Question]
    waves: dict[str, WaveQuestions]
    mentor_waves: dict[str, WaveQuestions]

    def wave(self, name: str) -> WaveQuestions:
        return self.waves.get(name) or self.mentor_waves[name]

    def mentor_by_code(self, code: str) -> WaveQuestions | None:
        return next((w for w in self.mentor_waves.values() if w.code == code), None)

    def by_code(self, code: str) -> WaveQuestions | None:
        return next((w for w in self.waves.values() if w.code == code), None)


def _option(raw: dict[str, Any], kind: str, where: str) -> Option:
    if kind == "multi":
        value, event = raw.get("value"), raw.get("event")
        if value not in STEP_ITEMS or not isinstance(event, str):
            raise SurveyFileError(f"{where}: a multi option needs a step item value and an event")
        return Option(code=str(value), value=value, label=event, event=event)
    if "code" not in raw or "value" not in raw or "label" not in raw:
        raise SurveyFileError(f"{where}: an option needs code, value and label")
    return Option(code=str(raw["code"]), value=raw["value"], label=str(raw["label"]))


def _question(name: str, raw: dict[str, Any], mentor: bool = False) -> Question:
    kind = raw.get("kind")
    if kind not in KINDS:
        raise SurveyFileError(f"question {name}: kind must be one of {', '.join(KINDS)}")
    options = tuple(_option(o, kind, f"question {name}") for o in raw.get("options") or ())
    when = tuple((str(k), tuple(v)) for k, v in (raw.get("when") or {}).items())
    question = Question(
        name=name,
        code=str(raw.get("code", "")),
        key=str(raw.get("key", "")),
        kind=kind,
        text=str(raw.get("text", "")),
        options=options,
        max=int(raw.get("max", 0)),
        when=when,
        mentor=mentor,
    )
    if not question.code or len(question.code) > 3 or ":" in question.code:
        raise SurveyFileError(f"question {name}: code must be 1-3 characters without ':'")
    if kind in ("choice", "multi") and not options:
        raise SurveyFileError(f"question {name}: needs options")
    if kind == "number" and question.max < 1:
        raise SurveyFileError(f"question {name}: a number question needs max >= 1")
    codes = [o.code for o in options]
    if len(set(codes)) != len(codes) or SKIP in codes:
        raise SurveyFileError(f"question {name}: option codes must be unique and not {SKIP!r}")
    # every value must be storable under the question's key (the spec's survey answers)
    samples = (
        [o.value for o in options]
        if kind == "choice"
        else [question.max]
        if kind == "number"
        else [question.value_of("0")]
    )
    for value in samples:
        try:
            question.mentor_answers_for(value) if mentor else question.answers_for(value)
        except ValueError as exc:
            raise SurveyFileError(
                f"question {name}: {value!r} does not fit {question.key}: {exc}"
            ) from exc
    return question


def _count_text(where: str, raw: object) -> CountText:
    if (
        not isinstance(raw, dict)
        or set(raw) != {"one", "other"}
        or not all(isinstance(v, str) and "{count}" in v for v in raw.values())
    ):
        raise SurveyFileError(
            f"{where} needs two texts, one: (for 1) and other: (for more), each with {{count}}"
        )
    return CountText(one=raw["one"], other=raw["other"])


def parse_surveys(data: dict[str, Any]) -> Surveys:
    """Surveys from the YAML's data; ``SurveyFileError`` names what is wrong."""
    questions = {name: _question(name, raw) for name, raw in (data.get("questions") or {}).items()}
    if len({q.code for q in questions.values()}) != len(questions):
        raise SurveyFileError("two questions share a code")
    waves = _waves(
        data.get("waves"),
        questions,
        names=[w.value for w in Wave],
        what="wave",
        incomplete="every wave needs its questions: " + ", ".join(w.value for w in Wave),
    )
    return Surveys(questions=questions, waves=waves, mentor_waves=_mentor_waves(data))


def _mentor_waves(data: dict[str, Any]) -> dict[str, WaveQuestions]:
    """The mentors' survey: its questions (``mentor_questions``) and its two waves."""
    questions = {
        name: _question(name, raw, mentor=True)
        for name, raw in (data.get("mentor_questions") or {}).items()
    }
    if len({q.code for q in questions.values()}) != len(questions):
        raise SurveyFileError("two mentor questions share a code")
    if any(q.when or q.kind != "choice" for q in questions.values()):
        raise SurveyFileError("mentor questions are choices without a 'when'")
    return _waves(
        data.get("mentor_waves"),
        questions,
        names=[w.value for w in MentorWave],
        what="mentor wave",
        incomplete="both mentor waves need their questions: mentor_start, mentor_end",
    )


def _waves(
    raw_waves: dict[str, Any] | None,
    questions: dict[str, Question],
    *,
    names: list[str],
    what: str,
    incomplete: str,
) -> dict[str, WaveQuestions]:
    """The waves ``names`` (every one, each code its own) of these questions; ``what`` names
    them in the errors ("wave", "mentor wave"), ``incomplete`` is the error when one is missing."""
    waves: dict[str, WaveQuestions] = {}
    for name, raw in (raw_waves or {}).items():
        if name not in names:
            raise SurveyFileError(f"unknown {what} {name!r}")
        missing = [q for q in raw.get("questions", []) if q not in questions]
        if missing:
            raise SurveyFileError(f"{what} {name}: unknown questions {missing}")
        waves[name] = WaveQuestions(
            name=name,
            code=str(raw["code"]),
            intro=_count_text(f"{what} {name}: intro", raw.get("intro")),
            questions=tuple(questions[q] for q in raw["questions"]),
        )
    if set(waves) != set(names):
        raise SurveyFileError(incomplete)
    if len({w.code for w in waves.values()}) != len(waves):
        raise SurveyFileError(f"two {what}s share a code")
    return waves


@cache
def load_surveys(path: Path = SURVEYS_FILE) -> Surveys:
    """The surveys of ``bot/surveys.yaml`` (read once)."""
    with path.open(encoding="utf-8") as fh:
        return parse_surveys(yaml.safe_load(fh))
