"""Optional: an LLM proposes the events of a progress message (LangChain structured output).

Used only when ``STEGVIS_LLM_PROVIDER`` is not ``none``; the chat model comes from
``knowledge.answer.build_chat_model`` (the same configuration as the knowledge base). The LLM
sees the message and the list of event types, and answers with :class:`ProposedEvents`. The
offline result stays the fallback (any error, timeout or malformed answer) and supplies the
language; the bot still asks the person to confirm every event before anything is saved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from core.languages import BOT_LANGUAGES
from core.vocab import EventType
from progress.classification import EVENT_TYPES, Classification, EventGuess

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.runnables import Runnable

    from core.settings import Settings


# Confidence given to an event only the LLM found (the offline confidence when both found it).
LLM_ONLY_CONFIDENCE = 0.8

_NAMES = ["/".join((lang.english, *lang.also_for)) for lang in BOT_LANGUAGES]  # Persian/Dari
INSTRUCTIONS = f"""\
You read one message from a participant (or their volunteer mentor) in a job-mentoring program \
for people new to Sweden. The message may be in {", ".join(_NAMES[:-1])} or {_NAMES[-1]}. \
List the steps towards work that the message says HAVE HAPPENED, using only these event types:
job_started: started paid work
job_changed: changed job (to full time, to more relevant work, or otherwise)
job_ended: paid work ended
internship_started: got an internship (praktik)
education_started: started an education or course
interview_attended: went to a job interview
cv_improved: wrote or improved a CV or cover letter
network_expanded: gained a professional contact
reference_obtained: got a reference for job applications
workplace_visit: visited a workplace (study visit, job shadowing)
learned_education_system: learned about education in Sweden
learned_social_codes: learned about social codes at Swedish workplaces
swedish_improved: improved Swedish
professional_swedish_improved: improved the Swedish of one's own trade
Rules: a plan, a wish, a hope or something in the future is not an event. Something that did \
not happen is not an event. Greetings, thanks and small talk have no events. Practising for an \
interview is not an interview. Set is_question when the message asks for information or advice."""


class ProposedEvents(BaseModel):
    """The steps towards work that a message reports as having happened."""

    events: list[EventType] = Field(
        default_factory=list,
        description="event types the message reports as having happened; empty if none",
    )
    is_question: bool = Field(
        default=False, description="true when the message asks for information or advice"
    )


class LLMProposer:
    """Asks a chat model for :class:`ProposedEvents` and merges them with the offline result."""

    def __init__(self, model: BaseChatModel) -> None:
        self._chain: Runnable[Any, Any] = model.with_structured_output(ProposedEvents)

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMProposer:
        """The proposer for the configured chat model (``STEGVIS_LLM_*``)."""
        from knowledge.answer import build_chat_model

        model = build_chat_model(settings)
        if model is None:
            raise ValueError("no LLM configured (STEGVIS_LLM_PROVIDER=none)")
        return cls(model)

    @staticmethod
    def messages(text: str) -> list[tuple[str, str]]:
        """The chat: the instructions, then the message as the user's turn."""
        return [("system", INSTRUCTIONS), ("human", text)]

    def propose(self, text: str, offline: Classification) -> Classification:
        """The LLM's events for ``text`` (blocking)."""
        return merge(_parse(self._chain.invoke(self.messages(text))), offline)

    async def apropose(self, text: str, offline: Classification) -> Classification:
        """The LLM's events for ``text``."""
        return merge(_parse(await self._chain.ainvoke(self.messages(text))), offline)


def _parse(answer: object) -> ProposedEvents:
    """The structured answer as a :class:`ProposedEvents` (some models return a dict)."""
    if isinstance(answer, ProposedEvents):
        return answer
    if answer is None:
        raise ValueError("the LLM gave no structured answer")
    return ProposedEvents.model_validate(answer)


def merge(proposed: ProposedEvents, offline: Classification) -> Classification:
    """The LLM decides the events; the offline confidence is kept where both agree."""
    offline_conf = {e.type: e.confidence for e in offline.events}
    wanted = set(proposed.events)
    events = [
        EventGuess(type=t, confidence=offline_conf.get(t, LLM_ONLY_CONFIDENCE))
        for t in EVENT_TYPES
        if t in wanted
    ]
    return Classification(
        lang=offline.lang,
        events=events,
        is_question=proposed.is_question or offline.is_question,
        confident=True,
    )
