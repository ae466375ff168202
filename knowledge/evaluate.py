"""Retrieval quality on a labelled file: recall@1 and recall@3 by topic, per language.

A file has one JSON object per line: ``{"q": "...", "lang": "sv", "topic": "cv"}`` (``lang`` is
optional: when missing it is detected). A question counts as found at k when one of the first k
passages has the expected topic. A line in several languages (Swedish mixed with another) has
``"lang": "mix"`` and names them: ``"langs": ["sv", "ru"]``.

Besides recall, the report counts the questions that got a passage in a language the asker did
not write (allowed: the asker's languages, Swedish and English, Persian for Dari) and, except for
mixed lines, whether the answer's ``lang`` names the language written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from core.jsonl import JsonlError, read_objects
from knowledge.answer import Answer
from knowledge.langid import detect_language
from knowledge.materials import TOPICS
from knowledge.retrieve import material_languages


class EvalFileError(ValueError):
    """A labelled file that cannot be read, with the line in the message."""


MIXED = "mix"


@dataclass(frozen=True)
class Labelled:
    q: str
    topic: str
    lang: str
    langs: tuple[str, ...] = ()  # the languages of a mixed line

    @property
    def allowed(self) -> frozenset[str]:
        """The languages this asker's passages may come in."""
        written = self.langs or (self.lang,)
        return frozenset(code for lang in written for code in material_languages(lang))


@dataclass
class Score:
    n: int = 0
    at1: int = 0
    at3: int = 0
    third_language: int = 0  # questions with a passage in a language the asker did not write
    lang_named: int = 0  # the answer's lang is the language written (mixed lines: not scored)
    lang_scored: int = 0

    @property
    def recall1(self) -> float:
        return self.at1 / self.n if self.n else 0.0

    @property
    def recall3(self) -> float:
        return self.at3 / self.n if self.n else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "n": self.n,
            "recall@1": round(self.recall1, 3),
            "recall@3": round(self.recall3, 3),
            "third_language": self.third_language,
            "language_named": self.lang_named,
            "language_scored": self.lang_scored,
        }


@dataclass
class EvalReport:
    by_lang: dict[str, Score] = field(default_factory=dict)
    overall: Score = field(default_factory=Score)
    misses: list[dict[str, object]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "overall": self.overall.as_dict(),
            "by_lang": {lang: s.as_dict() for lang, s in sorted(self.by_lang.items())},
            "misses": self.misses,
        }

    def table(self) -> str:
        lines = [
            f"{'lang':<8}{'n':>5}{'recall@1':>10}{'recall@3':>10}{'3rd lang':>10}{'lang ok':>9}"
        ]
        for lang, s in [*sorted(self.by_lang.items()), ("overall", self.overall)]:
            named = f"{s.lang_named}/{s.lang_scored}" if s.lang_scored else "-"
            lines.append(
                f"{lang:<8}{s.n:>5}{s.recall1:>10.3f}{s.recall3:>10.3f}"
                f"{s.third_language:>10}{named:>9}"
            )
        return "\n".join(lines)


def read_labelled(path: Path) -> list[Labelled]:
    """Read a labelled JSON Lines file; EvalFileError names the bad line."""
    try:
        objects = read_objects(path, "q")
    except JsonlError as exc:
        raise EvalFileError(str(exc)) from None
    rows: list[Labelled] = []
    for number, obj in objects:
        if not obj["q"].strip():
            raise EvalFileError(f'{path}:{number}: expected an object with a "q" string')
        topic = obj.get("topic")
        if topic not in TOPICS:
            raise EvalFileError(f"{path}:{number}: unknown or missing topic {topic!r}")
        lang = obj.get("lang") or detect_language(obj["q"])
        langs = obj.get("langs") or ()
        if not isinstance(langs, list | tuple) or not all(isinstance(c, str) for c in langs):
            raise EvalFileError(f'{path}:{number}: "langs" must be a list of language codes')
        if lang == MIXED and not langs:
            raise EvalFileError(f'{path}:{number}: a "mix" line names its languages in "langs"')
        rows.append(Labelled(q=obj["q"], topic=str(topic), lang=str(lang), langs=tuple(langs)))
    if not rows:
        raise EvalFileError(f"{path}: no questions")
    return rows


def evaluate(rows: Iterable[Labelled], ask: Callable[[str], Answer]) -> EvalReport:
    """Ask every question and score the topics of the returned passages."""
    report = EvalReport()
    for row in rows:
        answer = ask(row.q)
        topics = [p.topic for p in answer.passages]
        hit1 = row.topic in topics[:1]
        hit3 = row.topic in topics[:3]
        third = sorted({p.lang for p in answer.passages} - row.allowed)
        for score in (report.by_lang.setdefault(row.lang, Score()), report.overall):
            score.n += 1
            score.at1 += hit1
            score.at3 += hit3
            score.third_language += bool(third)
            if row.lang != MIXED:
                score.lang_scored += 1
                score.lang_named += answer.lang == row.lang
        if not hit1 or third:
            miss: dict[str, object] = {
                "q": row.q,
                "lang": row.lang,
                "expected": row.topic,
                "got": topics[:3],
            }
            if third:
                miss["third_language"] = third
            report.misses.append(miss)
    return report
