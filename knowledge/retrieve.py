"""Hybrid retrieval over the knowledge index: dense (e5 via Chroma) plus character n-grams.

Recipe::

    retriever = Retriever.from_settings(settings)      # reads the passages from Chroma once
    result = retriever.search("Hur långt ska ett CV vara?")
    result.lang, [(p.topic, p.score) for p in result.passages]

How a question is ranked:

1. Each passage gets a fused score: the e5 cosine (query prefix against passage prefix) plus a
   weighted character n-gram TF-IDF cosine (catches shared words and word parts across Swedish
   and English, names such as "Arbetsförmedlingen", and typos).
2. Topics are ranked by their best passage in any language, so a question in Arabic can find a
   topic through its Swedish or English passages, keywords or titles.
3. Each topic is shown in the asker's language when the material exists in it, else in the
   fallback languages (Swedish or English). The top topic's best passage comes first; further
   passages of the same topic are pushed down so other topics also get a place in the top k.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

from knowledge.embeddings import E5Embeddings, get_embeddings
from knowledge.langid import detect_language

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

    from stegvis.settings import Settings

LEXICAL_WEIGHT = 0.35  # weight of the n-gram cosine next to the e5 cosine
REPEAT_PENALTY = 0.04  # pushes a topic's second, third... passage below other topics
MIN_SCORE = 0.80  # fused score under which nothing is considered an answer
FALLBACK = ("sv", "en")


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
    )


class Retriever:
    """Hybrid search over a snapshot of the collection; thread-safe for one call at a time."""

    def __init__(
        self,
        collection: Collection,
        embeddings: Embeddings,
        *,
        fallback: Sequence[str] = FALLBACK,
        lexical_weight: float = LEXICAL_WEIGHT,
        repeat_penalty: float = REPEAT_PENALTY,
        min_score: float = MIN_SCORE,
    ) -> None:
        self.collection = collection
        self.embeddings = embeddings
        self.fallback = tuple(fallback)
        self.lexical_weight = lexical_weight
        self.repeat_penalty = repeat_penalty
        self.min_score = min_score
        self._lock = threading.Lock()
        self.passages: list[StoredPassage] = []
        self._by_id: dict[str, int] = {}
        self._lexical = LexicalIndex([])
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
        """Read the passages from the collection again (after a rebuild)."""
        got = self.collection.get(include=["documents", "metadatas"])
        passages = [
            _passage_from(id_, doc or "", dict(meta or {}))
            for id_, doc, meta in zip(
                got["ids"], got["documents"] or [], got["metadatas"] or [], strict=False
            )
        ]
        passages.sort(key=lambda p: p.id)
        self.passages = passages
        self._by_id = {p.id: i for i, p in enumerate(passages)}
        self._lexical = LexicalIndex([p.embed_text for p in passages])
        self.langs_by_topic: dict[str, set[str]] = defaultdict(set)
        for p in passages:
            self.langs_by_topic[p.topic].add(p.lang)

    # dense scores come from Chroma's HNSW index over the stored e5 vectors
    def _dense(self, question: str) -> np.ndarray:
        if isinstance(self.embeddings, E5Embeddings):
            vector = self.embeddings.query_array(question)
        else:
            vector = np.asarray(self.embeddings.embed_query(question), dtype=np.float32)
        n = len(self.passages)
        got = self.collection.query(query_embeddings=[vector], n_results=n, include=["distances"])
        out = np.zeros(n, dtype=np.float64)
        for id_, dist in zip(got["ids"][0], (got["distances"] or [[]])[0], strict=False):
            idx = self._by_id.get(id_)
            if idx is None:  # the index changed under us: take the new snapshot next time
                continue
            out[idx] = 1.0 - float(dist)
        return out

    def display_lang(self, topic: str, lang: str) -> str:
        """The language a topic is shown in: the asker's, else the first fallback that exists."""
        available = self.langs_by_topic.get(topic, set())
        for candidate in (lang, *self.fallback):
            if candidate in available:
                return candidate
        return sorted(available)[0] if available else lang

    def search(self, question: str, *, lang: str | None = None, k: int = 5) -> SearchResult:
        """Rank passages for a question; ``lang`` overrides language detection."""
        with self._lock:
            return self._search(question, lang=lang, k=k)

    def _search(self, question: str, *, lang: str | None, k: int) -> SearchResult:
        asker = lang or detect_language(question)
        if not self.passages or not question.strip():
            return SearchResult(lang=asker, passages=[])
        dense = self._dense(question)
        lexical = self._lexical.scores(question)
        fused = dense + self.lexical_weight * lexical

        topic_best: dict[str, float] = {}
        for i, p in enumerate(self.passages):
            if fused[i] > topic_best.get(p.topic, -1.0):
                topic_best[p.topic] = float(fused[i])
        # candidates: every passage of a topic in that topic's display language
        candidates: list[tuple[float, int]] = []
        per_topic: dict[str, list[int]] = defaultdict(list)
        for i, p in enumerate(self.passages):
            if p.lang == self.display_lang(p.topic, asker):
                per_topic[p.topic].append(i)
        for topic, idxs in per_topic.items():
            idxs.sort(key=lambda i: -fused[i])
            top_in_lang = fused[idxs[0]]
            for rank, i in enumerate(idxs):
                key = topic_best[topic] - self.repeat_penalty * rank - (top_in_lang - fused[i])
                candidates.append((float(key), i))
        candidates.sort(key=lambda c: -c[0])
        chosen = [
            ScoredPassage(
                passage=self.passages[i],
                score=round(key, 4),
                dense=round(float(dense[i]), 4),
                lexical=round(float(lexical[i]), 4),
            )
            for key, i in candidates[:k]
        ]
        ordered_topics = dict(sorted(topic_best.items(), key=lambda kv: -kv[1]))
        return SearchResult(lang=asker, passages=chosen, topic_scores=ordered_topics)

    def get(self, passage_id: str) -> StoredPassage | None:
        """One passage by id."""
        idx = self._by_id.get(passage_id)
        return self.passages[idx] if idx is not None else None

    def section_text(self, passage_id: str) -> str | None:
        """The whole section a passage belongs to (all its parts), for a "more" button."""
        first = self.get(passage_id)
        if first is None:
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
        found = [p for p in self.passages if p.topic == topic and p.lang == shown]
        found.sort(key=lambda p: (p.section_no, p.part))
        return found[:limit]

    def topics(self) -> Iterable[str]:
        return sorted(self.langs_by_topic)
