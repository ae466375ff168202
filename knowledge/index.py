"""The knowledge index: material passages, their embeddings and metadata in a Chroma collection.

``build_index`` is incremental: a passage whose content hash is already stored is not embedded
again, changed passages are re-embedded and upserted, and passages of deleted or shortened files
are removed. ``ensure_index`` builds only when the collection is missing or empty (first start).

The embedded ``PersistentClient`` at ``Settings.chroma_dir`` is the default; with
``STEGVIS_CHROMA_URL`` the same code talks to a Chroma server (several bot instances).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import numpy as np
from langchain_core.embeddings import Embeddings

from core.progress import SILENT, Progress
from knowledge.embeddings import (
    E5Embeddings,
    StegvisEmbeddingFunction,
    embedder_config,
    get_embeddings,
)
from knowledge.materials import MATERIALS_DIR, Chunk, load_materials, split_material

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

    from core.settings import Settings

log = logging.getLogger(__name__)

_CLIENTS: dict[str, ClientAPI] = {}
_CLIENTS_LOCK = threading.Lock()
BATCH = 32


@dataclass
class BuildReport:
    """What a build did."""

    files: int
    passages: int  # entries in the index: the passages and one card per material
    embedded: int  # entries whose embeddings were computed in this build
    unchanged: int
    deleted: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def materials_dir(settings: Settings) -> Path:
    """The folder the materials are read from."""
    return settings.materials_dir or MATERIALS_DIR


def chroma_client(settings: Settings) -> ClientAPI:
    """The Chroma client: HTTP when ``chroma_url`` is set, else embedded persistent (cached)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        key = settings.chroma_url
    else:
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
        key = str(settings.chroma_dir.resolve())
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            if settings.chroma_url:
                url = urlparse(settings.chroma_url)
                client = chromadb.HttpClient(
                    host=url.hostname or "localhost",
                    port=url.port or (443 if url.scheme == "https" else 8000),
                    ssl=url.scheme == "https",
                    settings=chroma_settings,
                )
            else:
                client = chromadb.PersistentClient(path=key, settings=chroma_settings)
            _CLIENTS[key] = client
        return client


def _collection_metadata(settings: Settings) -> dict[str, str]:
    return {"embedder": json.dumps(embedder_config(settings), sort_keys=True)}


def open_collection(
    settings: Settings, *, create: bool = True, embeddings: Embeddings | None = None
) -> Collection | None:
    """The knowledge collection with our embedding function; None if missing and not ``create``.

    A collection built with another embedder (different dimensions) is dropped and recreated.
    """
    client = chroma_client(settings)
    name = settings.chroma_collection
    emb = embeddings or get_embeddings(settings)
    config = embedder_config(settings)
    function = StegvisEmbeddingFunction(**config, embeddings=emb)
    existing = {c.name if hasattr(c, "name") else str(c) for c in client.list_collections()}
    if name in existing:
        collection = client.get_collection(name, embedding_function=function.for_chroma())
        if (collection.metadata or {}).get("embedder") == _collection_metadata(settings)[
            "embedder"
        ]:
            return collection
        if not create:
            return None
        log.info("knowledge index was built with another embedder; rebuilding it")
        client.delete_collection(name)
    elif not create:
        return None
    return client.create_collection(
        name,
        embedding_function=function.for_chroma(),
        metadata=_collection_metadata(settings),
        configuration={"hnsw": {"space": "cosine"}},
    )


def _embed_passages(emb: Embeddings, texts: Sequence[str]) -> np.ndarray:
    if isinstance(emb, E5Embeddings):
        return emb.passages_array(texts)
    return np.asarray(emb.embed_documents(list(texts)), dtype=np.float32)


def current_chunks(directory: Path) -> list[Chunk]:
    """Every passage of every material in the folder."""
    chunks: list[Chunk] = []
    for material in load_materials(directory):
        chunks.extend(split_material(material))
    return chunks


@contextlib.contextmanager
def _build_lock(settings: Settings) -> Iterator[None]:
    """One build at a time across processes sharing the embedded Chroma folder."""
    if settings.chroma_url:  # a server: concurrent upserts of the same passages are harmless
        yield
        return
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.chroma_dir / ".build.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_index(
    settings: Settings,
    *,
    directory: Path | None = None,
    embeddings: Embeddings | None = None,
    progress: Progress = SILENT,
) -> BuildReport:
    """Bring the collection up to date with the materials folder (incremental; see module doc).

    ``progress`` hears of the stages: reading the materials, loading the model, embedding.
    """
    with _build_lock(settings):
        return _build(settings, directory=directory, embeddings=embeddings, progress=progress)


def _build(
    settings: Settings,
    *,
    directory: Path | None,
    embeddings: Embeddings | None,
    progress: Progress = SILENT,
) -> BuildReport:
    started = time.perf_counter()
    folder = directory or materials_dir(settings)
    progress.stage("reading the materials")
    chunks = current_chunks(folder)
    progress.stage("loading the embedding model and the index")
    emb = embeddings or get_embeddings(settings)
    collection = open_collection(settings, embeddings=emb)
    assert collection is not None
    stored = collection.get(include=["metadatas"])
    stored_hash = {
        id_: str((meta or {}).get("content_hash", ""))
        for id_, meta in zip(stored["ids"], stored["metadatas"] or [], strict=False)
    }
    wanted = {c.id for c in chunks}
    stale = [id_ for id_ in stored_hash if id_ not in wanted]
    todo = [c for c in chunks if stored_hash.get(c.id) != c.content_hash]
    progress.stage("embedding new and changed passages", total=len(todo))
    for start in range(0, len(todo), BATCH):
        batch = todo[start : start + BATCH]
        vectors = _embed_passages(emb, [c.embed_text for c in batch])
        collection.upsert(
            ids=[c.id for c in batch],
            embeddings=vectors,
            documents=[c.text for c in batch],
            metadatas=[c.metadata() for c in batch],
        )
        progress.advance(len(batch))
    if stale:
        progress.stage("removing old passages", total=len(stale))
        collection.delete(ids=stale)
    files = len({c.source for c in chunks})
    report = BuildReport(
        files=files,
        passages=len(chunks),
        embedded=len(todo),
        unchanged=len(chunks) - len(todo),
        deleted=len(stale),
        seconds=round(time.perf_counter() - started, 3),
    )
    log.info("knowledge index: %s", report.as_dict())
    return report


def index_is_missing(settings: Settings) -> bool:
    """True when there is no usable collection, or it holds no passages."""
    collection = open_collection(settings, create=False)
    return collection is None or collection.count() == 0


def ensure_index(settings: Settings) -> BuildReport | None:
    """Build the index when it is missing (first start); None when it was already there."""
    if not index_is_missing(settings):
        return None
    with _build_lock(settings):
        if index_is_missing(settings):  # another process may have built it meanwhile
            return _build(settings, directory=None, embeddings=None)
    return None
