"""What a participant or mentor sees when they write their progress in their own words."""

from __future__ import annotations

import asyncio
import json

import pytest

from progress.classify import Classifier, Params, aclassify, classify


def test_swedish_job_message_is_job_started(classifier: Classifier) -> None:
    result = classifier.classify("Jag har fått jobb som lagerarbetare!")
    assert result.lang == "sv"
    assert result.types == {"job_started"}
    assert result.confident
    assert result.events[0].confidence >= 0.5


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("I got an internship at the county council", "en", {"internship_started"}),
        ("حصلت على تدريب عملي في شركة برمجيات", "ar", {"internship_started"}),
        ("دیروز یک مصاحبه کاری داشتم", "fa", {"interview_attended"}),
        ("Я оновила своє резюме з ментором", "uk", {"cv_improved"}),
        ("Waxaan helay shaqo maqaayad", "so", {"job_started"}),
        ("ኣብ ትካል ልምምድ ስራሕ ረኺበ", "ti", {"internship_started"}),
    ],
)
def test_a_step_is_recognised_in_every_language(
    classifier: Classifier, text: str, lang: str, expected: set[str]
) -> None:
    result = classifier.classify(text)
    assert (result.lang, result.types) == (lang, expected)


@pytest.mark.parametrize(
    "text",
    [
        "أريد أن أجد عملا في مستشفى",  # Arabic: I want to find a job in a hospital
        "Jag ska söka praktik nästa månad",
        "I hope to get an interview soon",
        "می‌خواهم کارآموزی پیدا کنم",
        "Я хочу знайти роботу",
        "Waxaan rabaa inaan shaqo helo",
        "ስራሕ ክረክብ እደሊ",
    ],
)
def test_a_plan_or_wish_is_not_an_event(classifier: Classifier, text: str) -> None:
    assert classifier.classify(text).events == []


@pytest.mark.parametrize(
    "text", ["Jag fick inte jobbet", "I still haven't found an internship", "لم أحصل على الوظيفة"]
)
def test_something_that_did_not_happen_is_not_an_event(classifier: Classifier, text: str) -> None:
    assert classifier.classify(text).events == []


def test_a_contract_that_was_not_renewed_is_a_job_that_ended(classifier: Classifier) -> None:
    assert classifier.classify("Mitt vikariat förlängdes inte").types == {"job_ended"}


def test_a_question_is_flagged_for_the_knowledge_base(classifier: Classifier) -> None:
    result = classifier.classify("Hur skriver man ett personligt brev?")
    assert result.is_question
    assert result.events == []


def test_a_greeting_is_neither_an_event_nor_a_question(classifier: Classifier) -> None:
    for text in ("Hej! Hur mår du?", "Thanks!", "مرحبا", "سلام", "Salaan", "ሰላም"):
        result = classifier.classify(text)
        assert result.events == [], text
        assert not result.is_question, text


def test_one_message_can_report_two_events(classifier: Classifier) -> None:
    result = classifier.classify("Jag var på intervju och fick en referens från min chef")
    assert result.types == {"interview_attended", "reference_obtained"}


def test_news_and_a_question_in_one_message(classifier: Classifier) -> None:
    result = classifier.classify("I got an internship! What should I wear on the first day?")
    assert result.types == {"internship_started"}
    assert result.is_question


def test_leaving_one_job_for_another_is_a_changed_job(classifier: Classifier) -> None:
    result = classifier.classify("Jag slutade på lagret och fick ett jobb som elektriker i stället")
    assert result.types == {"job_changed"}


def test_under_the_threshold_the_bot_offers_the_buttons(classifier_parts) -> None:
    strict = Classifier(*classifier_parts, params=Params(threshold=0.9999999))
    result = strict.classify("Vi var på studiebesök hos en bilverkstad")
    assert result.events == []
    assert not result.confident


def test_empty_or_emoji_messages_report_nothing(classifier: Classifier) -> None:
    for text in ("", "   ", "👍🎉"):
        result = classifier.classify(text)
        assert result.events == []
        assert not result.is_question


def test_contract_json_shape(classifier: Classifier) -> None:
    data = json.loads(json.dumps(classifier.classify("I had a job interview yesterday").contract()))
    assert data["lang"] == "en"
    assert [e["type"] for e in data["events"]] == ["interview_attended"]
    assert 0.5 <= data["events"][0]["confidence"] <= 1
    assert (data["is_question"], data["confident"]) == (False, True)


async def test_aclassify_keeps_the_event_loop_responsive(fresh_classifier_cache) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:  # the loop turning is what is under test: a tick each time it gets a turn
            await asyncio.sleep(0.001)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        result = await aclassify("Jag har börjat en kurs i svenska på Komvux")
    finally:
        task.cancel()
    assert result.types == {"education_started"}
    assert ticks > 0  # the loop kept running while the model worked
    assert classify("Jag har börjat en kurs i svenska på Komvux") == result
