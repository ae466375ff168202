"""Seven languages: every text of the bot's flows translated, placeholders kept, RTL readable."""

from __future__ import annotations

import re
from functools import cache

import pytest

from bot.i18n import FSI, LANGUAGES, LRI, PDI, RLM, Tr, pick_language
from bot.i18n.catalogs import PLACEHOLDER, read, template

RTL_ASCII_PUNCTUATION = re.compile(r"[?,;]")


@cache
def _texts() -> tuple[str, ...]:
    """Every text the bot can show: its Python files and its data files (ideas, surveys)."""
    return tuple(m.id for m in template() if m.id)


def test_the_flows_have_texts():
    texts = _texts()
    assert len(texts) > 120
    assert "✅ I agree" in texts
    assert "References" in texts  # from ideas.yaml


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_text_is_translated_with_its_placeholders(lang):
    catalog = read(lang)
    missing, fuzzy, wrong = [], [], []
    for text in _texts():
        message = catalog.get(text)
        if message is None or not message.string:
            missing.append(text)
        elif message.fuzzy:
            fuzzy.append(text)
        elif sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(message.string)):
            wrong.append(text)
    assert (missing, fuzzy, wrong) == ([], [], [])


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_right_to_left_translations_use_their_own_punctuation(lang):
    catalog, texts = read(lang), set(_texts())
    offenders = [
        m.string
        for m in catalog
        if m.id in texts and RTL_ASCII_PUNCTUATION.search(PLACEHOLDER.sub("", str(m.string)))
    ]
    assert offenders == []


def test_right_to_left_messages_read_right_to_left():
    tr = Tr("ar")
    text = tr("Send /help to see what you can do.")
    assert text.startswith(RLM)
    assert f"{LRI}/help{PDI}" in text  # the command keeps its slash on the right side
    two_lines = tr.join(tr("✅ Saved:"), "• CV")
    assert all(line.startswith(RLM) for line in two_lines.split("\n") if line)
    dated = tr("✅ Saved: {what}.", what="LinkedIn 2.0")
    assert f"{FSI}LinkedIn 2.0{PDI}" in dated
    assert tr.finish(tr.finish(text)) == text  # idempotent


def test_left_to_right_messages_are_untouched():
    text = Tr("uk")("Send /help to see what you can do.")
    assert RLM not in text
    assert LRI not in text
    assert text.startswith("Надішліть /help")


def test_values_are_escaped_for_html():
    assert "&lt;b&gt;" in Tr("sv")("✅ Saved: {what}.", what="<b>")


@pytest.mark.parametrize(
    ("code", "lang"),
    [
        ("sv-SE", "sv"),
        ("ar", "ar"),
        ("fa-IR", "fa"),
        ("prs", "fa"),
        ("uk", "uk"),
        ("ru", "uk"),
        ("so", "so"),
        ("ti-ER", "ti"),
        ("en-GB", "en"),
        ("de", "sv"),
        (None, "sv"),
        ("", "sv"),
    ],
)
def test_language_is_preselected_from_the_client(code, lang):
    assert pick_language(code) == lang


def test_dates_in_every_language():
    from datetime import date

    for lang in LANGUAGES:
        assert "21" in Tr(lang).date(date(2026, 11, 21))
