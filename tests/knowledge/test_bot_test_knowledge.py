"""The bot tests' knowledge base (``tests/utils/knowledge.py``: the real materials and retrieval,
no embedding model) answers a question on its materials and nothing off them, so the bot tests
that ask it show what a person would see."""

from __future__ import annotations

from knowledge.answer import extractive_answer
from tests.utils.knowledge import fake_retriever


def test_a_question_on_the_materials_finds_them_and_one_off_them_finds_nothing() -> None:
    retriever = fake_retriever()
    on = retriever.search("Hur långt ska ett CV vara?", lang="sv", k=3)
    answer = extractive_answer(on, retriever.min_score)
    assert answer.found
    assert on.passages[0].passage.topic == "cv"
    off = retriever.search("Vad kostar en bil i Tyskland?", lang="sv", k=3)
    assert not extractive_answer(off, retriever.min_score).found
