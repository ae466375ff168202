"""Each vocabulary is written once (core/) and what is on disk or on screen follows it."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from bot.common import EVENT_LABELS, EVENT_TYPES
from bot.i18n import Tr, pick_language
from core.languages import (
    BOT_LANGUAGES,
    DEFAULT_LANGUAGE,
    LANGUAGES,
    NATIVE_NAMES,
    RTL_LANGUAGES,
    Language,
    LanguageCode,
    check_languages,
)
from core.vocab import EVENT_BUTTON_ORDER, TELEGRAM_SECRET_HEADER, EventType
from emulator.webhook import SECRET_HEADER as EMULATOR_SECRET_HEADER
from knowledge.materials import MATERIALS_DIR, load_materials
from progress.classify import Params

ROOT = Path(__file__).resolve().parents[2]


def test_the_catalogs_on_disk_are_the_bot_languages() -> None:
    locale = ROOT / "bot" / "i18n" / "locale"
    on_disk = {p.parent.parent.name for p in locale.glob("*/LC_MESSAGES/stegvis.po")}
    assert on_disk == set(LANGUAGES)


def test_the_support_material_is_written_in_the_bot_languages() -> None:
    assert {m.lang for m in load_materials(MATERIALS_DIR)} == set(LANGUAGES)


def test_the_language_menu_shows_each_language_in_itself() -> None:
    assert [NATIVE_NAMES[code] for code in LANGUAGES][:3] == ["Svenska", "English", "العربية"]
    assert {code for code in LANGUAGES if Tr(code).rtl} == RTL_LANGUAGES == {"ar", "fa"}


def test_telegram_language_codes_map_to_the_bot_languages() -> None:
    assert [pick_language(code) for code in LANGUAGES] == list(LANGUAGES)
    assert [pick_language(c) for c in ("prs", "fa-AF", "ru", "nb", "de")] == [
        "fa",
        "fa",
        "uk",
        "sv",
        DEFAULT_LANGUAGE,
    ]


def test_the_api_type_lists_the_same_codes() -> None:
    assert get_args(LanguageCode) == LANGUAGES


def test_an_eighth_language_is_one_line_once_it_is_no_longer_an_alias() -> None:
    russian = Language("ru", "Русский", "Russian")
    with pytest.raises(ValueError, match="'ru' is a language of its own now; drop it from .* 'uk'"):
        check_languages((*BOT_LANGUAGES, russian), DEFAULT_LANGUAGE)
    ukrainian = Language("uk", "Українська", "Ukrainian")
    without_alias = tuple(ukrainian if lang.code == "uk" else lang for lang in BOT_LANGUAGES)
    check_languages((*without_alias, russian), DEFAULT_LANGUAGE)  # accepted


def test_a_broken_language_list_is_refused() -> None:
    swedish, english = BOT_LANGUAGES[:2]
    with pytest.raises(ValueError, match="sv listed twice"):
        check_languages((swedish, english, swedish), "sv")
    with pytest.raises(ValueError, match="the default language 'de' is not in the list"):
        check_languages((swedish, english), "de")
    with pytest.raises(ValueError, match="alias 'nb' is given to"):
        check_languages((swedish, Language("en", "English", "English", aliases=("nb",))), "sv")


def test_the_classifier_tunes_only_bot_languages() -> None:
    assert set(Params().weak_languages) <= set(LANGUAGES)


def test_the_event_buttons_follow_the_vocabulary() -> None:
    assert EVENT_TYPES == tuple(t.value for t in EVENT_BUTTON_ORDER)
    assert sorted(EVENT_BUTTON_ORDER) == sorted(EventType)  # each type exactly once
    assert set(EVENT_LABELS) == set(EventType)  # and each has its words


def test_the_emulator_sends_the_header_the_bot_checks() -> None:
    # the emulator keeps its own constant (reusable without Stegvis); it must be Telegram's
    assert EMULATOR_SECRET_HEADER == TELEGRAM_SECRET_HEADER == "X-Telegram-Bot-Api-Secret-Token"
