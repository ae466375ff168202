"""With an LLM configured, structured output proposes the events; the offline result is the
fallback. The chat model here is LangChain's fake model answering with a tool call."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage

from core.settings import Settings
from progress.classify import Classification, Classifier, EventGuess, Params, build_classifier
from progress.llm import INSTRUCTIONS, LLM_ONLY_CONFIDENCE, LLMProposer, ProposedEvents


class ToolCallingFake(GenericFakeChatModel):
    """A fake chat model that supports ``with_structured_output`` and records its prompts."""

    seen: list[list[BaseMessage]] = []

    def bind_tools(self, tools: Any, **kwargs: Any) -> ToolCallingFake:
        return self

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        self.seen.append(messages)
        return super()._generate(messages, *args, **kwargs)


def _answer(events: list[str], is_question: bool = False) -> AIMessage:
    args = {"events": events, "is_question": is_question}
    return AIMessage(content="", tool_calls=[{"name": "ProposedEvents", "args": args, "id": "1"}])


def _with_llm(classifier_parts, *answers: AIMessage) -> tuple[Classifier, ToolCallingFake]:
    model = ToolCallingFake(messages=iter(answers))
    model.seen = []
    proposer = LLMProposer(model)
    return Classifier(*classifier_parts, params=Params(), proposer=proposer), model


def test_the_llm_decides_the_events(classifier_parts) -> None:
    classifier, model = _with_llm(
        classifier_parts, _answer(["interview_attended", "network_expanded"])
    )
    result = classifier.classify("Intervjun gick bra och jag fick träffa teamet")
    assert result.types == {"interview_attended", "network_expanded"}
    assert result.lang == "sv"
    assert model.seen[0][0].content == INSTRUCTIONS
    assert model.seen[0][-1].content == "Intervjun gick bra och jag fick träffa teamet"


def test_events_both_found_keep_the_offline_confidence(classifier_parts) -> None:
    classifier, _ = _with_llm(classifier_parts, _answer(["job_started"]))
    offline = Classifier(*classifier_parts, params=Params()).classify("Jag har fått jobb!")
    result = classifier.classify("Jag har fått jobb!")
    assert result.events == offline.events
    only_llm, _ = _with_llm(classifier_parts, _answer(["cv_improved"]))
    assert only_llm.classify("Jag har fått jobb!").events == [
        EventGuess(type="cv_improved", confidence=LLM_ONLY_CONFIDENCE)
    ]


async def test_the_async_path_asks_the_llm_too(classifier_parts) -> None:
    classifier, _ = _with_llm(classifier_parts, _answer([], is_question=True))
    result = await classifier.aclassify("Vad ska jag ha på mig på intervjun")
    assert result.events == []
    assert result.is_question


def test_a_failing_llm_falls_back_to_the_offline_result(classifier_parts) -> None:
    classifier, _ = _with_llm(classifier_parts)  # no answers: the fake model raises
    result = classifier.classify("I got an internship at a bank")
    assert result.types == {"internship_started"}


def test_an_llm_inventing_an_event_type_is_not_believed(classifier_parts) -> None:
    classifier, _ = _with_llm(classifier_parts, _answer(["got_rich"]))
    assert classifier.classify("I got an internship at a bank").types == {"internship_started"}


def test_settings_with_an_llm_give_a_classifier_with_a_proposer(tmp_path) -> None:
    pytest.importorskip("langchain_openai")
    settings = Settings(data_dir=tmp_path, llm_provider="openai", llm_api_key="sk-test")
    assert isinstance(build_classifier(settings).proposer, LLMProposer)
    assert build_classifier(Settings(data_dir=tmp_path)).proposer is None


def test_merge_marks_questions_from_either_side() -> None:
    from progress.llm import merge

    offline = Classification(lang="ar", events=[], is_question=True, confident=False)
    merged = merge(ProposedEvents(events=["cv_improved"]), offline)
    assert merged.is_question
    assert merged.confident
    assert merged.lang == "ar"
