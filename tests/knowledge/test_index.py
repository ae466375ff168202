"""Building the Chroma index: incremental, and on first start only when missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings
from knowledge.embeddings import E5Embeddings
from knowledge.index import build_index, ensure_index, open_collection


@pytest.fixture
def settings_for(tmp_path: Path, materials_copy: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", materials_dir=materials_copy)


def test_build_stores_passages_with_metadata(settings_for: Settings, e5: E5Embeddings) -> None:
    report = build_index(settings_for, embeddings=e5)
    assert report.files == 3
    assert report.embedded == report.passages > 0
    collection = open_collection(settings_for, embeddings=e5)
    assert collection is not None
    assert collection.count() == report.passages
    got = collection.get(ids=["cv.sv:01.0"], include=["metadatas", "documents"])
    meta = got["metadatas"][0]  # type: ignore[index]
    assert meta["topic"] == "cv"
    assert meta["lang"] == "sv"
    assert meta["audience"] == "participant"
    assert meta["source"] == "cv.sv.md"  # outside the repository: the file name
    assert meta["title"] == "Ett svenskt CV"
    assert meta["section"] == "Längd och ordning"
    assert len(str(meta["content_hash"])) == 16
    assert got["documents"][0].startswith("Ett svenskt CV är en eller två sidor")  # type: ignore[index]


def test_rebuild_of_unchanged_material_embeds_nothing(
    settings_for: Settings, e5: E5Embeddings
) -> None:
    first = build_index(settings_for, embeddings=e5)
    before = e5.calls
    again = build_index(settings_for, embeddings=e5)
    assert again.embedded == 0
    assert again.unchanged == first.passages
    assert again.deleted == 0
    assert e5.calls == before


def test_changed_and_deleted_files_are_updated(
    settings_for: Settings, materials_copy: Path, e5: E5Embeddings
) -> None:
    first = build_index(settings_for, embeddings=e5)
    cv = materials_copy / "cv.en.md"
    cv.write_text(cv.read_text().replace("one or two pages", "at most two pages"))
    (materials_copy / "social_codes.en.md").unlink()
    report = build_index(settings_for, embeddings=e5)
    assert report.embedded == 1  # only the changed section
    assert report.deleted == 3  # the two sections and the card of the deleted file
    assert report.passages == first.passages - 3
    collection = open_collection(settings_for, embeddings=e5)
    assert collection is not None
    got = collection.get(ids=["cv.en:01.0"], include=["documents"])
    assert "at most two pages" in got["documents"][0]  # type: ignore[index]
    assert collection.get(where={"source": "social_codes.en.md"})["ids"] == []
    assert collection.get(where={"source": "cv.sv.md"})["ids"] != []


def test_ensure_index_builds_only_when_missing(settings_for: Settings) -> None:
    first = ensure_index(settings_for)
    assert first is not None
    assert first.passages > 0
    assert ensure_index(settings_for) is None


def test_another_embedder_means_a_fresh_collection(
    settings_for: Settings, e5: E5Embeddings
) -> None:
    build_index(settings_for, embeddings=e5)
    other = settings_for.model_copy(update={"embedder_model": "enpt"})
    assert open_collection(other, create=False) is None  # built with another embedder


def test_a_running_retriever_follows_a_rebuild(
    settings_for: Settings, materials_copy: Path, e5: E5Embeddings
) -> None:
    """Another bot instance rebuilt the shared index: searches use the new passages."""
    from knowledge.retrieve import Retriever

    build_index(settings_for, embeddings=e5)
    retriever = Retriever.from_settings(settings_for, embeddings=e5)
    assert retriever.search("What is fika?").passages[0].passage.topic == "social_codes"
    (materials_copy / "social_codes.en.md").unlink()
    build_index(settings_for, embeddings=e5)
    topics = {p.passage.topic for p in retriever.search("What is fika?").passages}
    assert topics == {"cv"}
