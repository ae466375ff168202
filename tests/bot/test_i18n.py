"""Eight languages: every text translated, placeholders and plural forms kept, RTL readable."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.i18n import DOMAIN, FSI, LANGUAGES, LRI, PDI, RLM, Tr, pick_language, po_path
from bot.i18n.catalogs import PLACEHOLDER, problems, read, template

RTL_ASCII_PUNCTUATION = re.compile(r"[?,;]")


ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ("{count} quick question", "{count} quick questions")  # the survey intros' words


@cache
def _pot() -> Catalog:
    return template()


def _texts() -> tuple[str | tuple[str, str], ...]:
    """Every text the bot can show: its Python files and its data files (ideas, surveys)."""
    return tuple(m.id for m in _pot() if m.id)


def _strings(message_string: str | tuple[str, ...]) -> list[str]:
    return [message_string] if isinstance(message_string, str) else list(message_string)


def test_the_flows_have_texts():
    texts = _texts()
    assert len(texts) > 120
    assert "✅ I agree" in texts
    assert "References" in texts  # from ideas.yaml
    plural = [t for t in texts if isinstance(t, tuple)]
    assert len(plural) == 5  # the survey intros (3, and 2 of the mentors') say how many questions
    assert all(QUESTIONS[1] in other for _one, other in plural)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_catalog_passes_the_check(lang):
    assert problems(lang, _pot()) == []


def test_the_check_command_passes_for_all_eight_languages():
    done = subprocess.run(
        [sys.executable, "-m", "bot.i18n.catalogs", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(5 with plural forms) in 8 languages, 0 problems" in done.stdout


def _catalog(lang: str, plural_forms: str | None = None) -> tuple[Catalog, str | None]:
    """A language's catalog as read from its file, with another Plural-Forms header if given."""
    text = po_path(lang).read_text(encoding="utf-8")
    head, rest = text.split("\n\n", 1)
    lines, kept, inside = head.split("\n"), [], False
    for line in lines:
        if line.startswith('"Plural-Forms:'):
            inside = not line.endswith('\\n"')
            if plural_forms is not None:
                kept.append(f'"Plural-Forms: {plural_forms}\\n"')
            continue
        if inside:
            inside = not line.endswith('\\n"')
            continue
        kept.append(line)
    source = "\n".join(kept) + "\n\n" + rest
    catalog = read_po(io.BytesIO(source.encode()), locale=lang, domain=DOMAIN)
    return catalog, plural_forms


def _intro(catalog: Catalog):
    [message] = [m for m in catalog if isinstance(m.id, tuple) and "start with" in m.id[0]]
    return message


def test_the_check_finds_a_missing_plural_form_and_a_lost_count():
    catalog, header = _catalog("ru", read("ru").plural_forms)
    intro = _intro(catalog)
    one, few, many = intro.string
    intro.string = (one, few)
    assert any("2 plural forms, not 3" in p for p in problems("ru", _pot(), catalog, header))
    intro.string = (one.replace("{count} ", ""), few, many)  # "one" also serves 21, 31 …
    assert any(
        "placeholders differ in plural form 0" in p for p in problems("ru", _pot(), catalog, header)
    )


def test_a_form_for_one_number_alone_may_leave_out_the_count():
    catalog, header = _catalog("ar", read("ar").plural_forms)
    forms = _intro(catalog).string
    assert "{count}" not in forms[2]
    assert "سؤالان" in forms[2]  # "two questions", one word
    assert problems("ar", _pot(), catalog, header) == []


@pytest.mark.parametrize(
    ("lang", "header", "problem"),
    [
        # the catalog's old header: 100 would take the form of 11 (n%100 in 0..2 → "many")
        (
            "ar",
            "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : "
            "n%100>=0 && n%100<=2 ? 4 : 5);",
            "is not the language's rule",
        ),
        ("ti", "nplurals=2; plural=(n != 1);", "(n=0: form 1, not 0)"),
        ("fa", "nplurals=1; plural=0;", "is not the language's rule"),
        ("ru", "nplurals=3; plural=(n%10==1 ? 0 : n%10<5 ? 1 : 3);", "gives form 3 of 3"),
        ("uk", "nplurals=3; plural=(n%10==1 &&;", "cannot be read"),
        ("so", None, "no Plural-Forms header"),
    ],
)
def test_the_check_refuses_a_wrong_plural_forms_header(lang, header, problem):
    catalog, written = _catalog(lang, header)
    found = problems(lang, _pot(), catalog, written)
    assert any(problem in p for p in found), found


@pytest.mark.parametrize(
    ("lang", "counts"),
    [
        (
            "ru",
            {
                1: "1 быстрый вопрос",
                3: "3 быстрых вопроса",
                5: "5 быстрых вопросов",
                11: "11 быстрых вопросов",
                21: "21 быстрый вопрос",
                24: "24 быстрых вопроса",
            },
        ),
        ("uk", {1: "1 швидке питання", 4: "4 швидкі питання", 12: "12 швидких питань"}),
        (
            "ar",
            {
                1: "سؤال سريع واحد",
                2: "سؤالان سريعان",
                4: "4" + PDI + " أسئلة سريعة",
                11: "11" + PDI + " سؤالًا سريعًا",
                100: "100" + PDI + " سؤال سريع",
            },
        ),
        ("sv", {1: "1 snabb fråga", 4: "4 snabba frågor"}),
        ("en", {1: "1 quick question", 0: "0 quick questions"}),
        ("ti", {1: "1 ቅልጡፍ ሕቶ", 4: "4 ቅልጡፋት ሕቶታት"}),
        ("so", {1: "1 su'aal oo", 4: "4 su'aalood oo"}),
    ],
)
def test_the_survey_intro_counts_questions_in_each_language(lang, counts):
    tr = Tr(lang)
    intro = _intro(_pot()).id
    for count, words in counts.items():
        assert words in tr.ngettext(*intro, count), count


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_right_to_left_translations_use_their_own_punctuation(lang):
    catalog, texts = read(lang), set(_texts())
    offenders = [
        text
        for m in catalog
        if m.id in texts
        for text in _strings(m.string)
        if RTL_ASCII_PUNCTUATION.search(PLACEHOLDER.sub("", text))
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
        ("uk-UA", "uk"),
        ("ru", "ru"),  # a Russian-speaking phone gets Russian, not Ukrainian
        ("ru-RU", "ru"),
        ("RU_ru", "ru"),
        ("be", "ru"),  # Belarusian, Kazakh and Kyrgyz phones: Russian is official there
        ("kk-KZ", "ru"),
        ("ky", "ru"),
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


def test_every_command_in_the_menu_and_in_help_is_one_the_bot_answers() -> None:
    from telegram.ext import CommandHandler

    from bot.app import HANDLER_MODULES
    from bot.handlers.help import help_text, menu

    handled = {
        command
        for flow in HANDLER_MODULES
        for handler in flow.build_handlers()
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }
    for lang in LANGUAGES:
        tr = Tr(lang)
        listed = [c.command for c in menu(tr)]
        assert set(listed) <= handled, (lang, set(listed) - handled)
        assert "code" in listed  # checking in at a group meeting
        assert len({c.description for c in menu(tr)}) == len(listed), lang  # each its own words
        for role in ("participant", "mentor"):
            assert "/code" in str(help_text(tr, role)), (lang, role)
