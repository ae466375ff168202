"""Cue words per language (data in ``cues.yaml``, and ``cues_more.yaml`` for the languages beyond
the bot's): sentences, clauses, plans, negation, questions.

Everything here is plain rules on normalised text; the embedding side lives in ``classify.py``.
All languages' cues are applied to every message, so a short message whose language was guessed
wrong is still read correctly; only ``split_only_in`` (clause splits as short as Polish "i") is
used for its own language alone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

CUES_FILE = Path(__file__).with_name("cues.yaml")
MORE_CUES_FILE = Path(__file__).with_name("cues_more.yaml")
_PER_LANGUAGE = ("plan", "negation", "question_start", "split", "join_next", "reported")

# Arabic-script letter variants unified so that one pattern serves Arabic and Persian spellings.
_LETTERS = str.maketrans(
    {
        "\u064a": "\u06cc",  # Arabic yeh -> Persian yeh
        "\u0649": "\u06cc",  # alef maksura -> Persian yeh
        "\u0643": "\u06a9",  # Arabic kaf -> Persian kaf
        "\u0623": "\u0627",  # alef with hamza above -> alef
        "\u0625": "\u0627",  # alef with hamza below -> alef
        "\u0622": "\u0627",  # alef madda -> alef
        "\u0671": "\u0627",  # alef wasla -> alef
        "\u0640": None,  # tatweel
        "\u200c": None,  # zero-width non-joiner
        "\u200d": None,  # zero-width joiner
        "\u200f": None,  # right-to-left mark
        "\u200e": None,  # left-to-right mark
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        "\u00ad": None,  # soft hyphen
    }
)
# the one-to-one part of _LETTERS, for cutting the original text at positions found in it
_SAME_LENGTH = str.maketrans(
    {k: v for k, v in _LETTERS.items() if isinstance(v, str) and len(v) == 1}
)
_DIACRITICS = re.compile("[\u064b-\u065f\u0670]")  # Arabic harakat, shadda, sukun, dagger alef
_SPACES = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?\u061f\u1362\u1367\u2026])\s+|[\n\r]+")
_QUESTION_MARK = re.compile("[?\u061f\u1367]")
_CLAUSE_PUNCT = r"[,;:\u060c\u061b\u1363\u1364]"
_WORD = re.compile(r"[^\W\d_]+")


def normalize(text: str) -> str:
    """Text as the cue patterns see it: NFC, lower case, letter variants unified, one space."""
    text = unicodedata.normalize("NFC", text).translate(_LETTERS)
    text = _DIACRITICS.sub("", text)
    return _SPACES.sub(" ", text).strip().lower()


def word_count(text: str) -> int:
    """Number of words (letters only) in ``text``."""
    return len(_WORD.findall(text))


def _compile(patterns: list[str]) -> re.Pattern[str] | None:
    """One alternation of normalised patterns, or None when there are none."""
    parts = [f"(?:{normalize_pattern(p)})" for p in patterns if p]
    if not parts:
        return None
    return re.compile("|".join(parts), re.IGNORECASE)


def normalize_pattern(pattern: str) -> str:
    """A pattern with the same letter unification as the text (regex syntax is left alone)."""
    return unicodedata.normalize("NFC", pattern).translate(_LETTERS)


def _by_language(section: dict[str, list[str]] | None) -> list[str]:
    """All patterns of a per-language section, flattened."""
    return [p for patterns in (section or {}).values() for p in (patterns or [])]


@dataclass(frozen=True)
class Clause:
    """A stretch of a message that reports at most one step."""

    text: str  # as written (what is embedded)
    plan: bool  # a plan, wish or hope: reports nothing yet
    negated: bool  # says something did not happen
    cues: frozenset[str]  # event types whose cue words occur (after `unless`)


@dataclass(frozen=True)
class Sentence:
    """A sentence of a message, with its clauses."""

    text: str
    question: bool
    clauses: tuple[Clause, ...]


class Cues:
    """Compiled cue patterns for all languages."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.event_types: tuple[str, ...] = tuple(data["events"])
        self._events = {t: _compile(_by_language(v)) for t, v in data["events"].items()}
        self._unless = {t: _compile(_by_language(v)) for t, v in (data.get("unless") or {}).items()}
        self._plan = _compile(_by_language(data.get("plan")))
        self._negation = _compile(_by_language(data.get("negation")))
        self.negation_allows = frozenset(data.get("negation_allows") or ())
        self.cue_required = frozenset(data.get("cue_required") or ())
        self._question = _compile(_by_language(data.get("question_start")))
        self._join_next = _compile(_by_language(data.get("join_next")))
        self._reported = _compile(_by_language(data.get("reported")))
        splits = [normalize_pattern(p) for p in _by_language(data.get("split"))]
        self._split = re.compile("|".join([_CLAUSE_PUNCT, *splits]), re.IGNORECASE)
        self._split_in: dict[str, re.Pattern[str]] = {
            lang: re.compile(
                "|".join([_CLAUSE_PUNCT, *splits, *(normalize_pattern(p) for p in extra)]),
                re.IGNORECASE,
            )
            for lang, extra in (data.get("split_only_in") or {}).items()
        }

    def event_cues(self, text: str) -> frozenset[str]:
        """Event types with a cue word in ``text`` (normalised), after their ``unless`` patterns."""
        norm = normalize(text)
        found = set()
        for etype, pattern in self._events.items():
            if pattern is None or not pattern.search(norm):
                continue
            unless = self._unless.get(etype)
            if unless is not None and unless.search(norm):
                continue
            found.add(etype)
        return frozenset(found)

    def is_plan(self, text: str) -> bool:
        """True when ``text`` speaks of a plan, a wish, a hope or the future."""
        return bool(self._plan and self._plan.search(normalize(text)))

    def is_negated(self, text: str) -> bool:
        """True when ``text`` says something did not happen."""
        return bool(self._negation and self._negation.search(normalize(text)))

    def is_question(self, sentence: str) -> bool:
        """True when a sentence asks something: a question mark, or it starts like a question."""
        if _QUESTION_MARK.search(sentence):
            return True
        return bool(self._question and self._question.search(normalize(sentence)))

    def clause(self, text: str) -> Clause:
        """Read one clause. After "I learned that", plan and negation words are what was
        learned ("that you should not interrupt"), so only the words up to there count."""
        head = text
        if self._reported is not None:
            found = self._reported.search(normalize(text))
            if found:
                head = normalize(text)[: found.end()]
        return Clause(
            text=text,
            plan=self.is_plan(head),
            negated=self.is_negated(head),
            cues=self.event_cues(text),
        )

    def split_clauses(self, sentence: str, lang: str | None = None) -> list[str]:
        """Clauses of a sentence, split at commas and conjunctions (those of ``split_only_in``
        too when ``lang`` is given); fragments under two words are joined to their neighbour
        ("CV och personligt brev" stays one clause)."""
        sentence = unicodedata.normalize("NFC", sentence)
        unified = sentence.translate(_SAME_LENGTH)  # positions match ``sentence``
        pieces, start = [], 0
        splitter = self._split_in.get(lang or "", self._split)
        for match in splitter.finditer(unified):
            pieces.append(sentence[start : match.start()])
            start = match.end()
        pieces.append(sentence[start:])
        merged: list[str] = []
        carry = ""
        for piece in (p.strip() for p in pieces):
            if not piece:
                continue
            if merged and not carry and self._starts_subordinate(piece):
                merged[-1] = f"{merged[-1]}, {piece}"
                continue
            piece = f"{carry} {piece}" if carry else piece
            if word_count(piece) < 2:
                carry = piece
                continue
            carry = ""
            merged.append(piece)
        if carry:
            if merged:
                merged[-1] = f"{merged[-1]} {carry}"
            else:
                merged.append(carry)
        return merged or [sentence.strip()]

    def _starts_subordinate(self, piece: str) -> bool:
        return bool(self._join_next and self._join_next.search(normalize(piece)))

    def sentences(self, text: str, lang: str | None = None) -> list[Sentence]:
        """The message cut into sentences and clauses, each read for questions, plans, negation;
        ``lang`` is the message's language (for ``split_only_in``)."""
        result = []
        for raw in _SENTENCE_END.split(text.strip()):
            raw = raw.strip()
            if not raw or not _WORD.search(raw):
                continue
            clauses = tuple(self.clause(c) for c in self.split_clauses(raw, lang))
            result.append(Sentence(text=raw, question=self.is_question(raw), clauses=clauses))
        return result


def merge_cues(base: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    """``more``'s languages added to ``base`` (a language present in both: its lists joined)."""
    merged = dict(base)
    for section in ("events", "unless"):
        types = {t: dict(v or {}) for t, v in (base.get(section) or {}).items()}
        for etype, by_lang in (more.get(section) or {}).items():
            if etype not in types and section == "events":
                raise ValueError(f"cues: unknown event type {etype!r} in the extra cues")
            target = types.setdefault(etype, {})
            for lang, patterns in (by_lang or {}).items():
                target[lang] = [*(target.get(lang) or []), *(patterns or [])]
        merged[section] = types
    for section in (*_PER_LANGUAGE, "split_only_in"):
        by_lang = {k: list(v or []) for k, v in (base.get(section) or {}).items()}
        for lang, patterns in (more.get(section) or {}).items():
            by_lang[lang] = [*by_lang.get(lang, []), *(patterns or [])]
        merged[section] = by_lang
    for section in ("negation_allows", "cue_required"):
        merged[section] = sorted({*(base.get(section) or ()), *(more.get(section) or ())})
    return merged


def _read(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return data if isinstance(data, dict) else {}


def load_cues(path: Path = CUES_FILE, more: Path | None = MORE_CUES_FILE) -> Cues:
    """Read and compile a cues file (and the extra languages' file, unless ``more`` is None)."""
    data = _read(path)
    if more is not None and more.exists():
        data = merge_cues(data, _read(more))
    return Cues(data)


@lru_cache(maxsize=1)
def get_cues() -> Cues:
    """The packaged cues, compiled once per process."""
    return load_cues()
