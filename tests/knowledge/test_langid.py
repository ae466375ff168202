"""Offline language identification: the language written, the bot's or not, or ``und``.

The sentences here are written for this test; none comes from the evaluation or held-out files.
"""

from __future__ import annotations

import pytest

from knowledge.langid import bot_language, detect_language, identify_language


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


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Где можно выучить шведский язык бесплатно?", "ru"),
        ("Моя дочь ходит в школу", "ru"),
        ("Я живу в Мальме з родиною", "uk"),  # no і/ї/є, but Ukrainian's "з"
        ("İsveç'te ehliyet nasıl alınır?", "tr"),
        ("ئێستا لە شاری ئۆپسالا دەژیم", "ckb"),
        ("ez ji sûriyê hatime û niha li swêdê dijîm", "kmr"),
        ("زه په سویډن کې اوسېږم", "ps"),
        ("من در دوکان کار میکنم و خوش استم", "prs"),  # Dari words
        ("من در مغازه کار میکنم", "fa"),  # Iranian word
        ("ዛሬ ከጓደኛዬ ጋር ቡና ጠጣሁ", "am"),
        ("ሎሚ ምስ ዓርከይ ቡን ሰትየ", "ti"),
        ("Wo kann ich in Göteborg Schwedisch lernen?", "de"),
        ("¿Dónde puedo aprender sueco gratis?", "es"),
        ("Où est-ce que je peux apprendre le suédois ?", "fr"),
        ("Gdzie mogę uczyć się szwedzkiego za darmo?", "pl"),
        ("Gdje mogu besplatno učiti švedski jezik?", "bs"),
        ("میں سویڈن میں رہتا ہوں", "ur"),  # Urdu, not Persian
    ],
)
def test_languages_beyond_the_bot_are_named(text: str, lang: str) -> None:
    assert identify_language(text) == lang


def test_a_swedish_name_does_not_make_a_text_swedish() -> None:
    assert identify_language("Försäkringskassan maxay ii qaban kartaa?") == "so"


def test_what_cannot_be_told_is_und() -> None:
    assert identify_language("123 ???") == "und"
    assert identify_language("我在瑞典找工作") == "und"  # a script none of these languages uses
    assert detect_language("我在瑞典找工作") == "sv"  # the old name: a default instead


def test_telegram_codes_as_hints() -> None:
    assert identify_language("CV?", hint="ru-RU") == "ru"
    assert identify_language("CV?", hint="xx") == "sv"  # an unknown hint is no hint


def test_the_bot_language_that_serves_a_written_one() -> None:
    assert bot_language("sv") == "sv"
    assert bot_language("prs") == "fa"  # Dari readers read the bot's Persian
    assert bot_language("de") is None


@pytest.mark.parametrize(("text", "lang"), [("hej", "sv"), ("Tack!", "sv"), ("mahadsanid", "so")])
def test_very_short_messages(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_hint_decides_when_the_text_cannot() -> None:
    assert detect_language("CV?", hint="ar") == "ar"
    assert detect_language("123 ???", hint="fa") == "fa"
    assert detect_language("123 ???") == "sv"  # no letters and no hint: the default
    # a clear question in another language than the hint keeps its own language
    assert detect_language("Hur skriver jag ett personligt brev?", hint="ar") == "sv"
