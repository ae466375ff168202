"""Answers: extractive for a phone screen, or a grounded LLM answer (fake chat models)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import BaseMessage

from knowledge.answer import SCREEN_CHARS, extractive_answer, llm_answer, trim_to_screen
from knowledge.retrieve import Retriever


def test_trim_cuts_at_a_sentence_end() -> None:
    text = "Första meningen är kort. " * 40
    trimmed, cut = trim_to_screen(text)
    assert cut
    assert len(trimmed) <= SCREEN_CHARS
    assert trimmed.endswith(".")
    assert trim_to_screen("Kort text.") == ("Kort text.", False)


def test_trim_without_sentence_ends_cuts_at_a_word() -> None:
    trimmed, cut = trim_to_screen("ord " * 300)
    assert cut
    assert trimmed.endswith("…")
    assert len(trimmed) <= SCREEN_CHARS + 2


def test_extractive_answer_is_the_best_passage_with_its_title(retriever: Retriever) -> None:
    result = retriever.search("Ska jag ha foto i mitt CV?")
    answer = extractive_answer(result, retriever.min_score)
    assert answer.found
    assert answer.mode == "extractive"
    assert answer.answer.startswith("Ett svenskt CV – Vad du inte skriver")
    assert "foto" in answer.answer
    assert answer.more_id == answer.passages[0].id == "cv.sv:02.0"
    assert answer.sources == [answer.passages[0].source]


def test_no_answer_below_the_threshold(retriever: Retriever) -> None:
    answer = extractive_answer(retriever.search("Vem vann fotbolls-VM 1994?"), retriever.min_score)
    assert not answer.found
    assert answer.answer == ""
    assert answer.more_id is None


class RecordingChat(FakeListChatModel):
    """A fake chat model that keeps the messages it was sent."""

    seen: list[list[BaseMessage]] = []

    async def ainvoke(self, input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        self.seen.append(list(input))
        return await super().ainvoke(input, *args, **kwargs)


async def test_llm_prompt_holds_only_the_retrieved_passages(retriever: Retriever) -> None:
    model = RecordingChat(responses=["Ett CV är en eller två sidor [1]."])
    model.seen = []
    result = retriever.search("Hur långt ska ett CV vara?")
    answer = await llm_answer("Hur långt ska ett CV vara?", result, model, retriever.min_score)
    prompt = "\n".join(str(m.content) for m in model.seen[0])
    grounding = [p.passage for p in result.passages[:3]]
    for p in grounding:
        assert p.text in prompt
    others = [p for p in retriever.passages if p.id not in {g.id for g in grounding}]
    assert all(p.text not in prompt for p in others)
    assert "Swedish" in prompt  # answer in the asker's language
    assert answer.mode == "llm"
    assert answer.found
    assert answer.answer.startswith("Ett CV är en eller två sidor [1].")
    assert grounding[0].source in answer.answer  # the source is named
    assert answer.sources == [grounding[0].source]


async def test_llm_answers_in_the_askers_language(retriever: Retriever) -> None:
    model = RecordingChat(responses=["Стажування ... [1]"])
    model.seen = []
    result = retriever.search("Як знайти стажування у Швеції?")
    await llm_answer("Як знайти стажування у Швеції?", result, model, retriever.min_score)
    assert "Ukrainian" in str(model.seen[0][0].content)


async def test_llm_saying_no_answer_gives_no_answer(retriever: Retriever) -> None:
    model = FakeListChatModel(responses=["NO_ANSWER"])
    result = retriever.search("Hur långt ska ett CV vara?")
    answer = await llm_answer("Hur långt ska ett CV vara?", result, model, retriever.min_score)
    assert not answer.found
    assert answer.answer == ""


async def test_llm_is_not_asked_when_nothing_matches(retriever: Retriever) -> None:
    model = RecordingChat(responses=["Paris"])
    model.seen = []
    result = retriever.search("Vem vann fotbolls-VM 1994?")
    answer = await llm_answer("Vem vann fotbolls-VM 1994?", result, model, retriever.min_score)
    assert model.seen == []
    assert not answer.found


class BrokenChat(FakeListChatModel):
    async def ainvoke(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("LLM endpoint down")


async def test_llm_failure_falls_back_to_the_extract(retriever: Retriever) -> None:
    result = retriever.search("Vad är fika?")
    answer = await llm_answer(
        "Vad är fika?", result, BrokenChat(responses=["x"]), retriever.min_score
    )
    assert answer.mode == "extractive"
    assert "Fika" in answer.answer


@pytest.mark.parametrize("provider", ["openai", "ollama"])
def test_chat_model_from_settings(provider: str) -> None:
    from core.settings import Settings
    from knowledge.answer import build_chat_model

    model = build_chat_model(
        Settings(llm_provider=provider, llm_model="m", llm_base_url="http://127.0.0.1:9")  # type: ignore[arg-type]
    )
    assert model is not None
    assert provider in type(model).__name__.lower()
    assert build_chat_model(Settings()) is None
