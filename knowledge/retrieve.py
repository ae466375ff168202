"""Hybrid retrieval over the knowledge index: dense (e5 via Chroma) plus character n-grams.

Recipe::

    retriever = Retriever.from_settings(settings)      # reads the passages from Chroma once
    result = retriever.search("Hur långt ska ett CV vara?")
    result.lang, [(p.passage.topic, p.score) for p in result.passages]

How a question is ranked (weights measured on the dev file and our tuning questions):

1. Every passage and every material card (title, summary, multilingual keywords) gets the e5
   cosine with the question (query prefix against passage prefix), *centred per language*: the
   mean cosine of the question with that language's passages is subtracted, because e5 scores
   any text in the asker's own language higher and would otherwise prefer a wrong topic in the
   asker's language to the right topic in Swedish or English.
2. A topic's relevance is its best passage plus its best card, plus a character n-gram TF-IDF
   match with its cards (keywords in the asker's language and script; word parts such as
   "praktik" in "praktikplats"). N-grams of the passage text only order passages within a
   topic: as part of a topic's relevance they cost recall across languages.
3. Topics are shown in the asker's language when the material exists in it, else in the fallback
   languages (Swedish, then English; Persian first for Dari, whose readers read it), never in a
   third language: a Russian question gets no Ukrainian material, a Sorani one no Persian. Within a topic its passages are ordered by their own e5
   score and n-gram match with the passage text. The best topic's best passage comes first;
   a topic's second, third... passage is pushed below close competitors, so the top k also
   show other likely topics.
4. When the best topic's relevance is below ``min_score`` nothing is an answer (``found`` false).
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

from knowledge.embeddings import E5Embeddings, get_embeddings
from knowledge.langid import identify_language

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

    from core.settings import Settings

CARD_WEIGHT = 1.0  # the best card's centred e5 score, next to the best passage's
LEXICAL_WEIGHT = 0.25  # n-gram cosine of the question with the topic's cards
PASSAGE_LEXICAL_WEIGHT = 0.1  # n-gram cosine with a passage, to order passages within a topic
REPEAT_PENALTY = 0.06  # pushes a topic's second, third... passage below close competitors
MIN_SCORE = 0.088  # topic relevance under which nothing is an answer (off-topic questions)
FALLBACK = ("sv", "en")
# a written language whose readers read another language's material (spec/knowledge.md)
READ_ALSO: dict[str, tuple[str, ...]] = {"prs": ("fa",)}


def material_languages(lang: str, fallback: Sequence[str] = FALLBACK) -> tuple[str, ...]:
    """The languages whose material may be shown to someone writing ``lang``, best first."""
    return tuple(dict.fromkeys((lang, *READ_ALSO.get(lang, ()), *fallback)))


@dataclass(frozen=True)
class StoredPassage:
    """A passage as read from the index."""

    id: str
    topic: str
    lang: str
    audience: str
    source: str
    title: str
    section: str
    section_no: int
    part: int
    text: str
    embed_text: str
    kind: str = "passage"


@dataclass(frozen=True)
class ScoredPassage:
    """A passage with its fused score and the two parts of it."""

    passage: StoredPassage
    score: float
    dense: float
    lexical: float


@dataclass
class SearchResult:
    """The outcome of one search: the asker's language and the passages, best first."""

    lang: str
    passages: list[ScoredPassage]
    topic_scores: dict[str, float] = field(default_factory=dict)

    @property
    def best_score(self) -> float:
        return self.passages[0].score if self.passages else 0.0


# --- lexical part -------------------------------------------------------------------------------

_NON_WORD = re.compile(r"[^\w]+")


def normalise(text: str) -> str:
    """Lower case, compatibility-normalised, punctuation as spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    return " ".join(_NON_WORD.sub(" ", text).split())


def char_ngrams(text: str, low: int = 3, high: int = 5) -> Counter[str]:
    """Character n-grams inside words padded with spaces (like scikit-learn's ``char_wb``)."""
    grams: Counter[str] = Counter()
    for word in normalise(text).split():
        padded = f" {word} "
        for n in range(low, high + 1):
            if len(padded) < n:
                break
            for i in range(len(padded) - n + 1):
                grams[padded[i : i + n]] += 1
    return grams


class LexicalIndex:
    """TF-IDF over character n-grams with sublinear tf and cosine scoring, in numpy."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.size = len(texts)
        docs = [char_ngrams(t) for t in texts]
        df: Counter[str] = Counter()
        for grams in docs:
            df.update(grams.keys())
        self.idf = {g: math.log((1 + self.size) / (1 + c)) + 1.0 for g, c in df.items()}
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for doc_no, grams in enumerate(docs):
            weights = {g: (1.0 + math.log(c)) * self.idf[g] for g, c in grams.items()}
            norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            for g, w in weights.items():
                postings[g].append((doc_no, w / norm))
        self.postings = {
            g: (np.array([d for d, _ in p], dtype=np.int32), np.array([w for _, w in p]))
            for g, p in postings.items()
        }

    def scores(self, query: str) -> np.ndarray:
        """Cosine of the query against every text."""
        out = np.zeros(self.size, dtype=np.float64)
        grams = char_ngrams(query)
        weights = {g: (1.0 + math.log(c)) * self.idf[g] for g, c in grams.items() if g in self.idf}
        if not weights:
            return out
        norm = math.sqrt(
            sum(((1.0 + math.log(c)) * self.idf.get(g, 0.0)) ** 2 for g, c in grams.items())
        )
        for g, w in weights.items():
            docs, doc_w = self.postings[g]
            np.add.at(out, docs, doc_w * (w / norm))
        return out


# --- retriever ----------------------------------------------------------------------------------


def _passage_from(id_: str, document: str, meta: dict[str, Any]) -> StoredPassage:
    return StoredPassage(
        id=id_,
        topic=str(meta.get("topic", "")),
        lang=str(meta.get("lang", "")),
        audience=str(meta.get("audience", "both")),
        source=str(meta.get("source", "")),
        title=str(meta.get("title", "")),
        section=str(meta.get("section", "")),
        section_no=int(meta.get("section_no", 0) or 0),
        part=int(meta.get("part", 0) or 0),
        text=document,
        embed_text=str(meta.get("embed_text") or document),
        kind=str(meta.get("kind") or "passage"),
    )


class Retriever:
    """Hybrid search over a snapshot of the collection; one search at a time (a lock)."""

    def __init__(
        self,
        collection: Collection,
        embeddings: Embeddings,
        *,
        fallback: Sequence[str] = FALLBACK,
        card_weight: float = CARD_WEIGHT,
        lexical_weight: float = LEXICAL_WEIGHT,
        passage_lexical_weight: float = PASSAGE_LEXICAL_WEIGHT,
        repeat_penalty: float = REPEAT_PENALTY,
        min_score: float = MIN_SCORE,
    ) -> None:
        self.collection = collection
        self.embeddings = embeddings
        self.fallback = tuple(fallback)
        self.card_weight = card_weight
        self.lexical_weight = lexical_weight
        self.passage_lexical_weight = passage_lexical_weight
        self.repeat_penalty = repeat_penalty
        self.min_score = min_score
        self._lock = threading.Lock()
        self.reload()

    @classmethod
    def from_settings(
        cls, settings: Settings, *, embeddings: Embeddings | None = None, **kwargs: Any
    ) -> Retriever:
        """A retriever over the configured collection (built first if missing)."""
        from knowledge.index import ensure_index, open_collection

        emb = embeddings or get_embeddings(settings)
        if embeddings is None:
            ensure_index(settings)
        collection = open_collection(settings, embeddings=emb)
        assert collection is not None
        return cls(collection, emb, **kwargs)

    def reload(self) -> None:
        """Read the passages and cards from the collection again (after a rebuild)."""
        got = self.collection.get(include=["documents", "metadatas"])
        entries = [
            _passage_from(id_, doc or "", dict(meta or {}))
            for id_, doc, meta in zip(
                got["ids"], got["documents"] or [], got["metadatas"] or [], strict=False
            )
        ]
        entries.sort(key=lambda p: p.id)
        self.entries = entries
        self._by_id = {p.id: i for i, p in enumerate(entries)}
        self.passages = [p for p in entries if p.kind == "passage"]
        self._is_card = np.array([p.kind == "card" for p in entries], dtype=bool)
        self._topics = sorted({p.topic for p in entries})
        topic_no = {t: i for i, t in enumerate(self._topics)}
        self._topic_of = np.array([topic_no[p.topic] for p in entries], dtype=np.int64)
        # groups for per-language centring: (kind, lang) -> entry indices
        groups: dict[tuple[bool, str], list[int]] = defaultdict(list)
        for i, p in enumerate(entries):
            groups[(bool(self._is_card[i]), p.lang)].append(i)
        self._groups = [np.array(idx, dtype=np.int64) for idx in groups.values()]
        self._lexical = LexicalIndex([p.embed_text for p in entries])
        self.langs_by_topic: dict[str, set[str]] = defaultdict(set)
        for p in self.passages:
            self.langs_by_topic[p.topic].add(p.lang)

    def _dense(self, question: str) -> np.ndarray:
        """e5 cosine of the question with every entry, from Chroma's index of stored vectors.

        When the collection's passages differ from the snapshot (another process or bot
        instance rebuilt the index), the snapshot is reloaded and the query repeated once.
        """
        if isinstance(self.embeddings, E5Embeddings):
            vector = self.embeddings.query_array(question)
        else:
            vector = np.asarray(self.embeddings.embed_query(question), dtype=np.float32)
        for attempt in range(2):
            n = len(self.entries)
            got = self.collection.query(
                query_embeddings=[vector], n_results=max(n, 1), include=["distances"]
            )
            ids = got["ids"][0]
            if attempt == 0 and (len(ids) != n or any(i not in self._by_id for i in ids)):
                self.reload()
                continue
            break
        out = np.zeros(n, dtype=np.float64)
        seen = np.zeros(n, dtype=bool)
        for id_, dist in zip(ids, (got["distances"] or [[]])[0], strict=False):
            idx = self._by_id.get(id_)
            if idx is not None:
                out[idx] = 1.0 - float(dist)
                seen[idx] = True
        if not seen.all():  # not returned by the index: as unlike as anything that was
            out[~seen] = out[seen].min() if seen.any() else 0.0
        return out

    def _centred(self, scores: np.ndarray) -> np.ndarray:
        out = scores.copy()
        for idx in self._groups:
            out[idx] -= scores[idx].mean()
        return out

    def display_lang(self, topic: str, lang: str) -> str | None:
        """The language a topic is shown in: the asker's, else the first fallback that exists;
        None when the topic has none of them (it is then not shown rather than in a third)."""
        available = self.langs_by_topic.get(topic, set())
        for candidate in material_languages(lang, self.fallback):
            if candidate in available:
                return candidate
        return None

    def search(self, question: str, *, lang: str | None = None, k: int = 5) -> SearchResult:
        """Rank passages for a question; ``lang`` overrides language detection."""
        with self._lock:
            return self._search(question, lang=lang, k=k)

    def _topic_max(self, scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
        out = np.full(len(self._topics), -np.inf)
        np.maximum.at(out, self._topic_of[mask], scores[mask])
        out[np.isinf(out)] = 0.0
        return out

    def _search(self, question: str, *, lang: str | None, k: int) -> SearchResult:
        asker = lang or identify_language(question)
        if not self.passages or not question.strip():
            return SearchResult(lang=asker, passages=[])
        dense = self._dense(question)
        centred = self._centred(dense)
        lexical = self._lexical.scores(question)
        cards, passages = self._is_card, ~self._is_card
        relevance = (
            self._topic_max(centred, passages)
            + self.card_weight * self._topic_max(centred, cards)
            + self.lexical_weight * self._topic_max(lexical, cards)
        )
        own = centred + self.passage_lexical_weight * lexical  # orders passages within a topic

        per_topic: dict[int, list[int]] = defaultdict(list)
        shown = {t: self.display_lang(t, asker) for t in self._topics}
        for i, p in enumerate(self.entries):
            if not cards[i] and p.lang == shown[p.topic]:
                per_topic[int(self._topic_of[i])].append(i)
        candidates: list[tuple[float, int]] = []
        for topic, idxs in per_topic.items():
            idxs.sort(key=lambda i: -own[i])
            top = own[idxs[0]]
            for rank, i in enumerate(idxs):
                key = relevance[topic] - self.repeat_penalty * rank - (top - own[i])
                candidates.append((float(key), i))
        candidates.sort(key=lambda c: -c[0])
        chosen = [
            ScoredPassage(
                passage=self.entries[i],
                score=round(key, 4),
                dense=round(float(dense[i]), 4),
                lexical=round(float(lexical[i]), 4),
            )
            for key, i in candidates[:k]
        ]
        order = np.argsort(-relevance)
        topic_scores = {self._topics[t]: round(float(relevance[t]), 4) for t in order}
        return SearchResult(lang=asker, passages=chosen, topic_scores=topic_scores)

    def get(self, passage_id: str) -> StoredPassage | None:
        """One passage by id."""
        idx = self._by_id.get(passage_id)
        return self.entries[idx] if idx is not None else None

    def section_text(self, passage_id: str) -> str | None:
        """The whole section a passage belongs to (all its parts), for a "more" button."""
        first = self.get(passage_id)
        if first is None or first.kind != "passage":
            return None
        parts = [
            p
            for p in self.passages
            if p.source == first.source and p.section_no == first.section_no
        ]
        parts.sort(key=lambda p: p.part)
        return "\n\n".join(p.text for p in parts)

    def topic_passages(self, topic: str, lang: str, limit: int = 2) -> list[StoredPassage]:
        """The first passages of a topic in a language (else its fallback), in material order."""
        shown = self.display_lang(topic, lang)
        if shown is None:
            return []
        found = [p for p in self.passages if p.topic == topic and p.lang == shown]
        found.sort(key=lambda p: (p.section_no, p.part))
        return found[:limit]

    def topics(self) -> list[str]:
        """The topics in the index."""
        return list(self._topics)
