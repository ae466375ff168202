"""Offline language identification for the bot's seven languages."""

from __future__ import annotations

import pytest

from knowledge.langid import detect_language


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Hur långt ska ett CV vara i Sverige?", "sv"),
        ("Should I put a photo on my CV?", "en"),
        ("كيف أستعد لمقابلة العمل؟", "ar"),
        ("چطور مدرک تحصیلی خارجی‌ام را در سوئد معتبر کنم؟", "fa"),
        ("Як знайти стажування у Швеції?", "uk"),
        ("Sidee isugu diyaariyaa wareysiga shaqada?", "so"),
        ("ሲቪ ኣብ ሽወደን ክንደይ ገጽ ክኸውን ኣለዎ?", "ti"),
        ("Do I get paid during praktik?", "en"),  # one Swedish word in an English question
    ],
)
def test_each_language_is_recognised(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_russian_is_answered_as_ukrainian() -> None:
    """Cyrillic goes to Ukrainian, the bot's language for Ukrainian and Russian speakers."""
    assert detect_language("Как найти работу в Швеции?") == "uk"


@pytest.mark.parametrize(("text", "lang"), [("hej", "sv"), ("Tack!", "sv"), ("mahadsanid", "so")])
def test_very_short_messages(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_hint_decides_when_the_text_cannot() -> None:
    assert detect_language("CV?", hint="ar") == "ar"
    assert detect_language("123 ???", hint="fa") == "fa"
    assert detect_language("123 ???") == "sv"  # no letters and no hint: the default
    # a clear question in another language than the hint keeps its own language
    assert detect_language("Hur skriver jag ett personligt brev?", hint="ar") == "sv"
