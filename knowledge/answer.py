"""Answers from retrieved passages: extractive by default, or a grounded LLM answer.

Extractive: the best passage, trimmed at a sentence boundary to fit a phone screen, under its
title; ``Answer.more_id`` names the passage whose full section a "more" button shows.

LLM (``STEGVIS_LLM_PROVIDER`` openai | ollama, any LangChain chat model): a short answer in the
asker's language written only from the retrieved passages, which are the only material the prompt
contains; the sources are named by us after the model's text, not by the model. When a passage
it used is in another language than the asker's, the answer is a machine translation of that
material and says so (``Answer.machine_translation``; the bot adds a marked line). When nothing
scores above the retriever's threshold there is no answer (``found`` false, ``answer`` empty):
the bot says it has no material on that rather than guessing.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from core.languages import LANGUAGE_BY_CODE
from knowledge.retrieve import ScoredPassage, SearchResult

if TYPE_CHECKING:
    from core.settings import Settings

log = logging.getLogger(__name__)

SCREEN_CHARS = 600
LLM_PASSAGES = 3


class Passage(BaseModel):
    """One retrieved passage, as the bot, the API and ``stegvis ask --json`` show it."""

    id: str = Field(description="passage id, e.g. cv.sv:02.0; 'more' shows its whole section")
    topic: str
    source: str = Field(description="material file, e.g. knowledge/materials/cv.sv.md")
    title: str
    section: str
    lang: str
    text: str
    score: float


class Answer(BaseModel):
    """The answer to one question (the retrieval contract of spec/knowledge.md, plus extras)."""

    lang: str = Field(description="the asker's language")
    passages: list[Passage] = Field(default_factory=list, description="best first, at most k")
    answer: str = Field(default="", description="empty when the material has nothing on it")
    found: bool = Field(default=False, description="some passage scored above the threshold")
    mode: Literal["extractive", "llm", "none"] = "none"
    title: str | None = Field(default=None, description="title of the answering material")
    more_id: str | None = Field(default=None, description="passage whose section 'more' shows")
    truncated: bool = Field(default=False, description="the extract was cut to fit a screen")
    sources: list[str] = Field(default_factory=list)
    machine_translation: bool = Field(
        default=False,
        description="an LLM wrote the answer in the asker's language from material in another "
        "language: show it marked as a machine translation",
    )


def to_passage(scored: ScoredPassage) -> Passage:
    p = scored.passage
    return Passage(
        id=p.id,
        topic=p.topic,
        source=p.source,
        title=p.title,
        section=p.section,
        lang=p.lang,
        text=p.text,
        score=scored.score,
    )


_SENTENCE_END = re.compile(r"(?<=[.!?።؟…])[\s\u00a0]+|\n+")


def trim_to_screen(text: str, limit: int = SCREEN_CHARS) -> tuple[str, bool]:
    """Text cut at the last sentence (or line) end before ``limit``; (text, was it cut)."""
    text = text.strip()
    if len(text) <= limit:
        return text, False
    head = text[:limit]
    ends = [m.start() for m in _SENTENCE_END.finditer(head)]
    cut = ends[-1] if ends and ends[-1] >= limit // 3 else -1
    if cut < 0:  # no sentence end: cut at a word and mark it
        space = head.rfind(" ")
        return head[: space if space > limit // 2 else limit].rstrip(" ,;:") + " …", True
    return head[:cut].rstrip(), True


def _base_answer(result: SearchResult, min_score: float) -> Answer:
    passages = [to_passage(p) for p in result.passages]
    found = bool(passages) and result.best_score >= min_score
    return Answer(lang=result.lang, passages=passages, found=found)


def extractive_answer(result: SearchResult, min_score: float) -> Answer:
    """The best passage trimmed for a phone, under its title (no answer below the threshold)."""
    answer = _base_answer(result, min_score)
    if not answer.found:
        return answer
    best = answer.passages[0]
    text, truncated = trim_to_screen(best.text)
    heading = best.title if best.section in ("", best.title) else f"{best.title} – {best.section}"
    return answer.model_copy(
        update={
            "answer": f"{heading}\n\n{text}",
            "mode": "extractive",
            "title": best.title,
            "more_id": best.id,
            "truncated": truncated,
            "sources": [best.source],
        }
    )


# --- LLM ----------------------------------------------------------------------------------------

SYSTEM_PROMPT = """You answer questions from people new to Sweden and their volunteer mentors.
Use ONLY the numbered passages you are given. Never add institutions, laws, numbers, amounts,
dates or names that are not in the passages. If the passages do not answer the question, reply
exactly NO_ANSWER. Write at most 5 short sentences in clear, simple {language}. Refer to the
passages you used by their numbers in square brackets, like [1]."""


def prompt_language(lang: str) -> str:
    """The language the answer is to be written in, as the prompt names it."""
    found = LANGUAGE_BY_CODE.get(lang)
    if found is None:
        return "the language of the question"
    if found.also_for:  # e.g. Dari readers read the bot's Persian
        return f"{found.english} ({' and '.join(found.also_for)} readers must understand it)"
    return found.english


def build_prompt(question: str, passages: list[Passage], lang: str) -> list[Any]:
    """The chat messages: instructions, then only the retrieved passages and the question."""
    blocks = [
        f"[{n}] {p.title} – {p.section} ({p.source})\n{p.text}"
        for n, p in enumerate(passages, start=1)
    ]
    human = "Passages:\n\n" + "\n\n".join(blocks) + f"\n\nQuestion: {question}"
    language = prompt_language(lang)
    return [SystemMessage(SYSTEM_PROMPT.format(language=language)), HumanMessage(human)]


_CITATION = re.compile(r"\[(\d+)\]")


async def llm_answer(
    question: str, result: SearchResult, model: BaseChatModel, min_score: float
) -> Answer:
    """A short answer grounded in the retrieved passages; extractive if the model fails."""
    base = _base_answer(result, min_score)
    if not base.found:
        return base
    grounding = base.passages[:LLM_PASSAGES]
    try:
        reply = await model.ainvoke(build_prompt(question, grounding, result.lang))
    except Exception:  # the model is optional: any failure falls back to the extract
        log.warning("LLM answer failed; using the extractive answer", exc_info=True)
        return extractive_answer(result, min_score)
    text = reply.text.strip() if hasattr(reply, "text") else str(reply.content).strip()
    if not text or "NO_ANSWER" in text:
        return base.model_copy(update={"found": False})
    cited = [int(n) for n in _CITATION.findall(text) if 1 <= int(n) <= len(grounding)]
    used = [grounding[n - 1] for n in dict.fromkeys(cited)] or grounding[:1]
    sources = list(dict.fromkeys(p.source for p in used))
    names = "; ".join(dict.fromkeys(f"{p.title} ({p.source})" for p in used))
    return base.model_copy(
        update={
            "answer": f"{text}\n\n— {names}",
            "mode": "llm",
            "title": used[0].title,
            "more_id": used[0].id,
            "sources": sources,
            # asked to write in the asker's language from material in another: a translation
            "machine_translation": any(p.lang != result.lang for p in used),
        }
    )


def build_chat_model(settings: Settings) -> BaseChatModel | None:
    """The configured LangChain chat model, or None (extractive answers). Imported lazily."""
    provider = settings.llm_provider
    if provider == "none":
        return None
    api_key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    if provider == "openai":
        try:
            from langchain_openai import ChatOpenAI
        except ImportError as exc:  # pragma: no cover - optional extra
            raise RuntimeError(
                "STEGVIS_LLM_PROVIDER=openai needs the 'llm' extra: pip install 'stegvis[llm]'"
            ) from exc
        kwargs: dict[str, Any] = {
            "model": settings.llm_model or "gpt-4o-mini",
            "temperature": 0,
            "api_key": api_key or "not-needed",
            "timeout": 30,
        }
        if settings.llm_base_url:
            kwargs["base_url"] = settings.llm_base_url
        return ChatOpenAI(**kwargs)
    if provider == "ollama":
        try:
            from langchain_ollama import ChatOllama
        except ImportError as exc:  # pragma: no cover - optional extra
            raise RuntimeError(
                "STEGVIS_LLM_PROVIDER=ollama needs the 'llm' extra: pip install 'stegvis[llm]'"
            ) from exc
        ollama_kwargs: dict[str, Any] = {"model": settings.llm_model or "llama3.1"}
        ollama_kwargs["temperature"] = 0
        if settings.llm_base_url:
            ollama_kwargs["base_url"] = settings.llm_base_url
        return ChatOllama(**ollama_kwargs)
    raise ValueError(f"unknown LLM provider {provider!r}")
