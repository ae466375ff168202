"""The async facade the bot and the API call."""

from __future__ import annotations

import asyncio

from langchain_core.language_models.fake_chat_models import FakeListChatModel

from knowledge import service
from knowledge.retrieve import Retriever


async def test_ask_answers_in_the_askers_language(installed: Retriever) -> None:
    answer = await service.ask("Як знайти стажування у Швеції?")
    assert answer.lang == "uk"
    assert answer.found
    assert answer.passages[0].topic == "internship"
    assert answer.passages[0].lang == "uk"
    assert answer.answer.startswith(answer.passages[0].title)


async def test_lang_hint_decides_a_one_word_question(installed: Retriever) -> None:
    answer = await service.ask("CV", lang_hint="ar")
    assert answer.lang == "ar"
    assert answer.passages[0].lang == "ar"


async def test_k_is_capped_at_five(installed: Retriever) -> None:
    assert len((await service.ask("Hur skriver jag ett CV?", k=50)).passages) == 5
    assert len((await service.ask("Hur skriver jag ett CV?", k=2)).passages) == 2


async def test_concurrent_questions_are_served_one_at_a_time(installed: Retriever) -> None:
    questions = ["Vad är fika?", "Should I put a photo on my CV?", "Як знайти стажування?"]
    answers = await asyncio.gather(*(service.ask(q) for q in questions))
    assert [a.passages[0].topic for a in answers] == ["social_codes", "cv", "internship"]


async def test_more_button_and_meeting_material(installed: Retriever) -> None:
    answer = await service.ask("Ska jag ha foto i CV:t?")
    assert answer.more_id is not None
    full = await service.section_text(answer.more_id)
    assert full is not None
    assert full.startswith(answer.passages[0].text[:20])
    material = await service.topic_passages("validation", "fa", limit=2)
    assert [p.lang for p in material] == ["sv", "sv"]
    assert material[0].topic == "validation"


async def test_llm_answer_when_a_chat_model_is_configured(retriever: Retriever) -> None:
    service.set_retriever(retriever, FakeListChatModel(responses=["Fika är en kaffepaus [1]."]))
    try:
        answer = await service.ask("Vad är fika?")
    finally:
        service.set_retriever(None)
    assert answer.mode == "llm"
    assert answer.answer.startswith("Fika är en kaffepaus [1].")


async def test_an_llm_answer_from_material_in_another_language_is_a_marked_translation(
    retriever: Retriever,
) -> None:
    arabic = "الفيكا استراحة قهوة مع الزملاء [1]."
    service.set_retriever(retriever, FakeListChatModel(responses=[arabic, "Fika är en paus [1]."]))
    try:
        asked_in_arabic = await service.ask("ما هي الفيكا في مكان العمل السويدي؟")
        asked_in_swedish = await service.ask("Vad är fika?")
    finally:
        service.set_retriever(None)
    # social_codes exists in Swedish and English only: the Arabic answer translates it
    assert asked_in_arabic.lang == "ar"
    assert asked_in_arabic.mode == "llm"
    assert asked_in_arabic.passages[0].lang in {"sv", "en"}
    assert asked_in_arabic.answer.startswith(arabic)
    assert asked_in_arabic.machine_translation
    assert asked_in_swedish.mode == "llm"
    assert not asked_in_swedish.machine_translation  # written from material in Swedish


async def test_an_extractive_answer_is_never_marked_as_a_translation(installed: Retriever) -> None:
    answer = await service.ask("ما هي الفيكا في مكان العمل السويدي؟")
    assert answer.mode == "extractive"
    assert answer.passages[0].lang in {"sv", "en"}  # shown as written, not translated
    assert not answer.machine_translation
