"""Measure the progress classifier on a labelled JSON Lines file (``stegvis eval progress FILE``).

Each line: ``{"text": "...", "lang": "sv", "types": ["job_started"]}`` (``types`` empty for a
message that reports no event), optionally ``"question": true|false``. Figures: exact-set accuracy
per language and overall (the predicted set of event types equals the labelled set), the
false-event rate on no-event messages, language detection and, where labelled, question detection.
The targets are those of issue 6; the evaluation runs the offline classifier without language
hints, as on an unseen message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.jsonl import JsonlError, read_objects
from core.languages import LANGUAGES
from progress.classify import EVENT_TYPES, Classification, Classifier

MIXED = "mix"  # the "lang" of a line that mixes Swedish with another language
TARGET_SV_EN = 0.90
TARGET_OVERALL = 0.80
TARGET_FALSE_EVENT = 0.05


class EvalFileError(ValueError):
    """A labelled file that cannot be read, with the line that is wrong."""


@dataclass(frozen=True)
class LabelledMessage:
    text: str
    lang: str
    types: frozenset[str]
    question: bool | None = None  # None: not labelled


@dataclass
class Score:
    correct: int = 0
    total: int = 0

    @property
    def share(self) -> float | None:
        return round(self.correct / self.total, 4) if self.total else None

    def add(self, ok: bool) -> None:
        self.correct += int(ok)
        self.total += 1


@dataclass
class Miss:
    text: str
    lang: str
    expected: list[str]
    predicted: list[str]


@dataclass
class EvalReport:
    per_language: dict[str, Score] = field(default_factory=dict)
    overall: Score = field(default_factory=Score)
    sv_en: Score = field(default_factory=Score)
    no_event: Score = field(default_factory=Score)  # correct = no-event messages given an event
    language_detected: Score = field(default_factory=Score)
    question_detected: Score = field(default_factory=Score)  # on lines labelled "question"
    misses: list[Miss] = field(default_factory=list)

    @property
    def false_event_rate(self) -> float | None:
        return self.no_event.share

    @property
    def meets_targets(self) -> bool:
        """The done-when of issue 6 on this file."""
        return (
            (self.sv_en.share is None or self.sv_en.share >= TARGET_SV_EN)
            and (self.overall.share or 0.0) >= TARGET_OVERALL
            and (self.false_event_rate or 0.0) <= TARGET_FALSE_EVENT
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "per_language": {
                lang: {"correct": s.correct, "total": s.total, "accuracy": s.share}
                for lang, s in self.per_language.items()
            },
            "sv_en": {
                "correct": self.sv_en.correct,
                "total": self.sv_en.total,
                "accuracy": self.sv_en.share,
            },
            "overall": {
                "correct": self.overall.correct,
                "total": self.overall.total,
                "accuracy": self.overall.share,
            },
            "false_event_rate": {
                "with_event": self.no_event.correct,
                "no_event_messages": self.no_event.total,
                "rate": self.false_event_rate,
            },
            "language_detection": {
                "correct": self.language_detected.correct,
                "total": self.language_detected.total,
                "accuracy": self.language_detected.share,
            },
            "question_detection": {
                "correct": self.question_detected.correct,
                "total": self.question_detected.total,
                "accuracy": self.question_detected.share,
            },
            "meets_targets": self.meets_targets,
            "misses": [m.__dict__ for m in self.misses],
        }


def read_labelled(path: Path) -> list[LabelledMessage]:
    """Read a labelled file; :class:`EvalFileError` names the first bad line."""
    try:
        rows = read_objects(path, "text")
    except JsonlError as exc:
        raise EvalFileError(str(exc)) from None
    items: list[LabelledMessage] = []
    for number, obj in rows:
        types = obj.get("types")
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
            raise EvalFileError(f'{path}:{number}: "types" must be a list of event types')
        unknown = sorted(set(types) - set(EVENT_TYPES))
        if unknown:
            raise EvalFileError(f"{path}:{number}: unknown event type(s) {unknown}")
        lang = obj.get("lang")
        if not isinstance(lang, str):
            raise EvalFileError(f'{path}:{number}: "lang" must be a language code such as "sv"')
        question = obj.get("question")
        if question is not None and not isinstance(question, bool):
            raise EvalFileError(f'{path}:{number}: "question" must be true or false')
        items.append(LabelledMessage(obj["text"], lang, frozenset(types), question))
    if not items:
        raise EvalFileError(f"{path}: no labelled messages")
    return items


def _language_order(lang: str) -> tuple[int, str]:
    return (LANGUAGES.index(lang) if lang in LANGUAGES else len(LANGUAGES), lang)


def score(items: Sequence[LabelledMessage], predictions: Sequence[Classification]) -> EvalReport:
    """Compare predictions with the labels."""
    report = EvalReport()
    langs = sorted({i.lang for i in items}, key=_language_order)
    report.per_language = {lang: Score() for lang in langs}
    for item, pred in zip(items, predictions, strict=True):
        ok = pred.types == set(item.types)
        report.per_language[item.lang].add(ok)
        report.overall.add(ok)
        if item.lang in ("sv", "en"):
            report.sv_en.add(ok)
        if not item.types:
            report.no_event.add(bool(pred.types))
        if item.lang != MIXED:  # Swedish mixed with another language: either may be named
            report.language_detected.add(pred.lang == item.lang)
        if item.question is not None:
            report.question_detected.add(pred.is_question == item.question)
        if not ok:
            report.misses.append(Miss(item.text, item.lang, sorted(item.types), sorted(pred.types)))
    return report


def evaluate(items: Sequence[LabelledMessage], classifier: Classifier) -> EvalReport:
    """Classify every message offline (no language hint) and score the result."""
    predictions = classifier.classify_many([i.text for i in items])
    return score(items, predictions)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def format_report(report: EvalReport, show_misses: bool = True) -> str:
    """A human-readable summary."""
    lines = ["language  correct/total  exact-set accuracy"]
    for lang, s in report.per_language.items():
        lines.append(f"{lang:<9} {s.correct:>4}/{s.total:<8} {_pct(s.share)}")
    lines.append(
        f"{'sv+en':<9} {report.sv_en.correct:>4}/{report.sv_en.total:<8} {_pct(report.sv_en.share)}"
        f"   (target >= {TARGET_SV_EN:.0%})"
    )
    lines.append(
        f"{'overall':<9} {report.overall.correct:>4}/{report.overall.total:<8} "
        f"{_pct(report.overall.share)}   (target >= {TARGET_OVERALL:.0%})"
    )
    lines.append(
        f"false-event rate on no-event messages: {report.no_event.correct}/{report.no_event.total}"
        f" = {_pct(report.false_event_rate)}   (target <= {TARGET_FALSE_EVENT:.0%})"
    )
    lines.append(f"language detected correctly: {_pct(report.language_detected.share)}")
    if report.question_detected.total:
        lines.append(
            f"questions told apart from the rest: {report.question_detected.correct}/"
            f"{report.question_detected.total} = {_pct(report.question_detected.share)}"
        )
    lines.append("meets the targets" if report.meets_targets else "DOES NOT meet the targets")
    if show_misses and report.misses:
        lines.append("")
        lines.append("misses (expected -> predicted):")
        for m in report.misses:
            lines.append(f"  [{m.lang}] {m.text}\n        {m.expected} -> {m.predicted}")
    return "\n".join(lines)
