"""What a classification of a progress message says, shared by the offline classifier
(``classify.py``) and the LLM that may propose the events instead (``llm.py``).

Its own module so that neither of the two imports the other for these types: ``classify``
builds an ``llm.LLMProposer`` when one is configured, and the proposer answers in these types.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, Field

from core.vocab import EventType

# The step-to-work event types of spec/outcomes.md, in the spec's order.
EVENT_TYPES: tuple[str, ...] = tuple(t.value for t in EventType)


class EventGuess(BaseModel):
    """One event type the message reports, with the classifier's confidence (0..1)."""

    type: str
    confidence: float = Field(ge=0, le=1)


class Classification(BaseModel):
    """What a message reports: events (empty when none), whether it asks something, and whether
    the classifier is sure enough to propose these events rather than the ``/progress`` buttons.
    """

    lang: str
    events: list[EventGuess] = Field(default_factory=list)
    is_question: bool = False
    confident: bool = True

    @property
    def types(self) -> set[str]:
        """The predicted set of event types."""
        return {e.type for e in self.events}

    def contract(self) -> dict[str, object]:
        """The JSON of ``stegvis classify --json`` (spec/knowledge.md), plus the two flags."""
        return {
            "lang": self.lang,
            "events": [{"type": e.type, "confidence": round(e.confidence, 3)} for e in self.events],
            "is_question": self.is_question,
            "confident": self.confident,
        }


class Proposer(Protocol):
    """Proposes the events of a message, given the offline result (an LLM, see ``llm.py``)."""

    def propose(self, text: str, offline: Classification) -> Classification: ...

    async def apropose(self, text: str, offline: Classification) -> Classification: ...
