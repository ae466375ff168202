"""Meeting ideas: this month's agenda for a pair, chosen from ``bot/ideas.yaml``.

    ideas = load_ideas()
    agenda = agenda_for(session, pair_id, day)      # an Agenda: month, total, last, ideas

The month's theme comes from the program month (1 = the pair's first month; "last" = the last
month of the participant's window). Ideas with ``unless_done`` are also nudges, shown while the
pair has no such confirmed event and no meeting with such an activity — for the steps that go
with getting a job, strongest first, as ``outcomes.study.steering`` says: the program's own
association table once 200 participants are measured, else the seed report's finding
(references, workplace visits, language). An idea whose steps are not steered is a theme only.
All rules are data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session, select

from core.vocab import EventStatus, EventType
from outcomes.models import Cohort, Event, Meeting, Pair, Participant
from outcomes.service import get
from outcomes.study import REPORT_STEPS, steering

IDEAS_FILE = Path(__file__).with_name("ideas.yaml")
MAX_NUDGES = 2
MAX_IDEAS = 3  # a short agenda: more nudges only while there is room (but always one)
DAYS_PER_MONTH = 30.44
STEP_OF_EVENT = {"internship_started": "internship", "interview_attended": "interviews_plus_two"}
"""The step (of a study's association table) an ``unless_done`` event type stands for; the other
step items are named like their event types."""
KNOWLEDGE_TOPICS = frozenset(
    {
        "cv",
        "cover_letter",
        "linkedin",
        "interview",
        "references",
        "workplace_visit",
        "internship",
        "validation",
        "swedish_language",
        "social_codes",
        "networking",
        "arbetsformedlingen",
        "employment_terms",
        "mentor_meetings",
        "motivation",
    }
)  # (spec/knowledge.md)


@dataclass(frozen=True)
class Idea:
    id: str
    title: str
    points: tuple[str, ...]
    topics: tuple[str, ...] = ()
    months: tuple[int | str, ...] = ()
    unless_events: frozenset[str] = frozenset()
    unless_activities: frozenset[str] = frozenset()

    @property
    def is_nudge(self) -> bool:
        return bool(self.unless_events or self.unless_activities)

    @property
    def steps(self) -> frozenset[str]:
        """The steps this idea works on (its ``unless_done`` events, as step names)."""
        return frozenset(STEP_OF_EVENT.get(e, e) for e in self.unless_events)

    def done(self, events: set[str], activities: set[str]) -> bool:
        """Whether the pair has done what this nudge is about."""
        return bool(self.unless_events & events or self.unless_activities & activities)


@dataclass(frozen=True)
class Agenda:
    month: int
    months: int
    last: bool
    ideas: list[Idea] = field(default_factory=list)

    @property
    def topics(self) -> list[str]:
        """Knowledge topics of the agenda, in order, without repeats."""
        return list(dict.fromkeys(t for idea in self.ideas for t in idea.topics))


def parse_ideas(raw: dict[str, Any]) -> tuple[Idea, ...]:
    """Ideas from the YAML structure, checked (ValueError names the bad idea)."""
    from bot.common import ACTIVITIES

    ideas = []
    for item in raw.get("ideas", []):
        ident = item.get("id", "?")
        unless = item.get("unless_done") or {}
        idea = Idea(
            id=ident,
            title=item["title"],
            points=tuple(item.get("points", [])),
            topics=tuple(item.get("topics", [])),
            months=tuple(item.get("months", [])),
            unless_events=frozenset(unless.get("events", [])),
            unless_activities=frozenset(unless.get("activities", [])),
        )
        bad = (
            [t for t in idea.topics if t not in KNOWLEDGE_TOPICS]
            + [e for e in idea.unless_events if e not in EventType.__members__]
            + [a for a in idea.unless_activities if a not in ACTIVITIES]
            + [str(m) for m in idea.months if not (m == "last" or isinstance(m, int) and m >= 1)]
        )
        if bad or not idea.points:
            raise ValueError(
                f"idea {ident!r}: unknown {bad}" if bad else f"idea {ident!r}: no points"
            )
        ideas.append(idea)
    return tuple(ideas)


@cache
def load_ideas(path: Path = IDEAS_FILE) -> tuple[Idea, ...]:
    """The ideas of the data file (read once)."""
    return parse_ideas(yaml.safe_load(path.read_text(encoding="utf-8")))


def program_month(start: date, end: date, day: date) -> tuple[int, int, bool]:
    """(month, months in all, whether it is the last) of ``day`` in a window."""
    months = max(1, round((end - start).days / DAYS_PER_MONTH))
    month = min(months, max(1, int((day - start).days // DAYS_PER_MONTH) + 1))
    return month, months, month >= months


def choose(
    ideas: tuple[Idea, ...],
    month: int,
    last: bool,
    events: set[str],
    activities: set[str],
    steered: Sequence[str] = REPORT_STEPS,
) -> list[Idea]:
    """The month's themes, then up to two nudges for steered steps the pair has not done
    (``steered``: the steps that go with a job, strongest first)."""
    rank = {step: i for i, step in enumerate(steered)}

    def nudge(idea: Idea) -> bool:
        return idea.is_nudge and bool(idea.steps & rank.keys())

    themes = [i for i in ideas if ("last" in i.months if last else month in i.months)]
    open_themes = [i for i in themes if not (nudge(i) and i.done(events, activities))]
    nudges = [i for i in ideas if nudge(i) and i not in themes and not i.done(events, activities)]
    nudges.sort(key=lambda i: min(rank[s] for s in i.steps if s in rank))  # stable: file order
    chosen = open_themes or themes
    room = min(MAX_NUDGES, max(1, MAX_IDEAS - len(chosen)))
    return chosen + nudges[:room]


def agenda_for(
    session: Session, pair_id: str, day: date, ideas: tuple[Idea, ...] | None = None
) -> Agenda:
    """This month's agenda for a pair, from its window, events and meetings."""
    pair = get(session, Pair, pair_id)
    participant = get(session, Participant, pair.participant)
    cohort = get(session, Cohort, participant.cohort)
    start = max(pair.matched_on, participant.joined_on or cohort.start)
    end = min(d for d in (participant.left_on or cohort.end, pair.ended_on) if d is not None)
    month, months, last = program_month(start, max(end, start), day)
    events = set(
        session.exec(
            select(Event.type).where(
                Event.participant == pair.participant, Event.status == EventStatus.confirmed
            )
        ).all()
    )
    activities: set[str] = set()
    for row in session.exec(select(Meeting.activities).where(Meeting.pair == pair_id)).all():
        activities.update(row or [])
    steered = steering(session)["steps"]
    chosen = choose(
        ideas or load_ideas(), month, last, {str(e) for e in events}, activities, steered
    )
    return Agenda(month=month, months=months, last=last, ideas=chosen)
