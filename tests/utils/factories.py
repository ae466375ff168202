"""Factories for outcome records, shared by every team's tests.

Each ``make_*`` writes one record through ``outcomes.service`` (the same path as the bot and the
API, so audit entries are made too), flushes, and leaves the commit to the caller. Every argument
has a sensible default, and a missing parent is made on the way::

    pair = make_pair(session)                      # makes a cohort, participant and mentor too
    make_event(session, participant=pair.participant, type="job_started", extent="full_time")
    make_survey(session, participant=pair.participant, wave="result",
                answers={"employment": "full_time", "items": {"cv_improved": True}})
    session.commit()

``line(kind, **fields)`` gives one import line in the spec's JSON Lines format, ``jsonl(...)`` a
whole file's text.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlmodel import Session

from core.settings import Settings
from core.vocab import Gender
from outcomes import service
from outcomes.contacts import PersonRole, bind
from outcomes.models import Cohort, Event, Meeting, Mentor, Pair, Participant, Survey
from outcomes.schemas import (
    CohortCreate,
    EventCreate,
    MeetingCreate,
    MentorCreate,
    PairCreate,
    ParticipantCreate,
    SurveyCreate,
)

ACTOR = "test"
COHORT_START = date(2025, 1, 1)
COHORT_END = date(2025, 12, 31)
_seq = itertools.count(1)


def uid(prefix: str) -> str:
    """A fresh id such as ``p17`` (unique within the test run)."""
    return f"{prefix}{next(_seq)}"


def _id(record: str | Any | None) -> str | None:
    return record if record is None or isinstance(record, str) else record.id


def make_cohort(
    session: Session,
    *,
    id: str | None = None,
    name: str | None = None,
    start: date = COHORT_START,
    end: date = COHORT_END,
    region: str | None = None,
    targets: dict[str, float] | None = None,
) -> Cohort:
    """A cohort running through 2025 by default."""
    cid = id or uid("c")
    data = CohortCreate(
        id=cid, name=name or f"Cohort {cid}", start=start, end=end, region=region, targets=targets
    )
    return service.create_record(session, Cohort, data, actor=ACTOR)


def make_participant(
    session: Session,
    *,
    id: str | None = None,
    cohort: str | Cohort | None = None,
    gender: str = "woman",
    **fields: Any,
) -> Participant:
    """A participant (in a new cohort unless one is given); ``fields`` as in the spec."""
    cohort_id = _id(cohort) or make_cohort(session).id
    data = ParticipantCreate.model_validate(
        {"id": id or uid("p"), "cohort": cohort_id, "gender": gender, **fields}
    )
    return service.create_record(session, Participant, data, actor=ACTOR)


def make_mentor(
    session: Session, *, id: str | None = None, cohort: str | Cohort | None = None, **fields: Any
) -> Mentor:
    """A mentor (in a new cohort unless one is given)."""
    cohort_id = _id(cohort) or make_cohort(session).id
    data = MentorCreate.model_validate({"id": id or uid("m"), "cohort": cohort_id, **fields})
    return service.create_record(session, Mentor, data, actor=ACTOR)


def make_pair(
    session: Session,
    *,
    id: str | None = None,
    mentor: str | Mentor | None = None,
    participant: str | Participant | None = None,
    matched_on: date = date(2025, 1, 15),
    ended_on: date | None = None,
) -> Pair:
    """A pair; a missing participant or mentor is made (in the other one's cohort)."""
    if participant is None:
        cohort = session.get(Mentor, _id(mentor)).cohort if mentor is not None else None  # type: ignore[union-attr]
        participant = make_participant(session, cohort=cohort)
    if mentor is None:
        person = session.get(Participant, _id(participant))
        mentor = make_mentor(session, cohort=person.cohort if person else None)
    data = PairCreate(
        id=id or uid("pair"),
        mentor=_id(mentor),
        participant=_id(participant),  # type: ignore[arg-type]
        matched_on=matched_on,
        ended_on=ended_on,
    )
    return service.create_record(session, Pair, data, actor=ACTOR)


def make_event(
    session: Session,
    *,
    participant: str | Participant | None = None,
    type: str = "cv_improved",
    occurred_on: date = date(2025, 3, 1),
    source: str = "staff",
    status: str = "confirmed",
    id: str | None = None,
    **attributes: Any,
) -> Event:
    """An event; ``attributes`` are ``extent``, ``relevant``, ``program_contributed``, ``note``."""
    person = _id(participant) or make_participant(session).id
    data = EventCreate.model_validate(
        {
            "id": id or uid("ev"),
            "participant": person,
            "type": type,
            "occurred_on": occurred_on,
            "source": source,
            "status": status,
            "attributes": attributes or None,
        }
    )
    return service.record_event(session, event=data, actor=ACTOR)


def make_survey(
    session: Session,
    *,
    participant: str | Participant | None = None,
    wave: str = "result",
    answered_on: date = date(2025, 12, 1),
    answers: dict[str, Any] | None = None,
) -> Survey:
    """A complete survey response; ``answers`` as in the spec (default: not employed)."""
    person = _id(participant) or make_participant(session).id
    data = SurveyCreate.model_validate(
        {
            "participant": person,
            "wave": wave,
            "answered_on": answered_on,
            "answers": answers if answers is not None else {"employment": "none"},
        }
    )
    return service.save_survey(session, survey=data, actor=ACTOR)


def make_meeting(
    session: Session,
    *,
    pair: str | Pair | None = None,
    held_on: date = date(2025, 2, 1),
    kind: str = "individual",
    activities: Iterable[str] = ("cv",),
    id: str | None = None,
) -> Meeting:
    """A meeting of a pair (a new pair unless one is given)."""
    pair_id = _id(pair) or make_pair(session).id
    data = MeetingCreate.model_validate(
        {
            "id": id or uid("mt"),
            "pair": pair_id,
            "held_on": held_on,
            "kind": kind,
            "activities": list(activities),
        }
    )
    row, _merged = service.log_meeting(session, meeting=data, logged_by="staff", actor=ACTOR)
    return row


def line(kind: str, **fields: Any) -> str:
    """One import line: ``line("cohort", id="c1", name="R1", start="2025-01-01", ...)``."""
    return json.dumps({"kind": kind, **fields}, default=str)


def jsonl(*lines: str) -> str:
    """A JSON Lines file's text from lines."""
    return "".join(f"{text}\n" for text in lines)


def small_program() -> list[str]:
    """Import lines of a small but complete round: every kind of record, a voided event."""
    return [
        line(
            "cohort",
            id="c1",
            name="Round 1",
            start="2025-01-01",
            end="2025-12-31",
            region="Skåne",
            targets={"participants": 3, "job_or_steps": 0.5},
        ),
        line(
            "participant",
            id="p1",
            cohort="c1",
            gender="woman",
            arm="intervention",
            migration_category="family",
            language="ar",
        ),
        line(
            "participant", id="p2", cohort="c1", gender="man", arm="control", joined_on="2025-02-01"
        ),
        line("mentor", id="m1", cohort="c1", occupation_field="nursing", language="sv"),
        line("pair", id="pair1", mentor="m1", participant="p1", matched_on="2025-01-20"),
        line(
            "survey",
            participant="p1",
            wave="baseline",
            answered_on="2025-01-10",
            answers={"employment": "none", "interviews_last_2_months": 0},
        ),
        line(
            "survey",
            participant="p1",
            wave="result",
            answered_on="2025-12-10",
            answers={
                "employment": "full_time",
                "job_relevant": True,
                "interviews_last_2_months": 3,
                "job_changed": False,
                "items": {"cv_improved": True, "network_expanded": True},
                "program_contributed": {"job": "yes"},
            },
        ),
        line(
            "event",
            id="e1",
            participant="p1",
            type="cv_improved",
            occurred_on="2025-03-01",
            source="mentor",
        ),
        line(
            "event",
            id="e2",
            participant="p2",
            type="job_started",
            occurred_on="2025-05-01",
            source="staff",
            attributes={"extent": "part_time", "relevant": True},
        ),
        line(
            "event",
            id="e3",
            participant="p2",
            type="internship_started",
            occurred_on="2025-04-01",
            source="import",
            status="voided",
        ),
        line(
            "meeting",
            id="mt1",
            pair="pair1",
            held_on="2025-02-03",
            meeting_kind="individual",
            activities=["cv", "language"],
        ),
    ]


# -- many pairs at once (the sender's, the deployment's and the benchmarks' people) ---------------


def add_pairs(
    session: Session,
    cohort: str,
    n: int,
    *,
    matched_on: date,
    prefix: str = "",
    first: int = 0,
    gender: Gender = Gender.woman,
) -> list[str]:
    """Pairs ``first`` … ``first + n - 1`` in ``cohort`` (which exists), written directly (no
    audit: hundreds at once): participants ``{prefix}p-{i}``, mentors ``{prefix}m-{i}``, pairs
    ``{prefix}pair-{i}``; flushed, and their ids returned."""
    numbers = range(first, first + n)
    for i in numbers:
        session.add(Participant(id=f"{prefix}p-{i}", cohort=cohort, gender=gender))
        session.add(Mentor(id=f"{prefix}m-{i}", cohort=cohort))
    session.flush()
    for i in numbers:
        session.add(
            Pair(
                id=f"{prefix}pair-{i}",
                mentor=f"{prefix}m-{i}",
                participant=f"{prefix}p-{i}",
                matched_on=matched_on,
            )
        )
    session.flush()
    return [f"{prefix}pair-{i}" for i in numbers]


def connect(
    session: Session,
    settings: Settings,
    *,
    user: int,
    person: str,
    pair: str,
    role: PersonRole = PersonRole.participant,
    language: str = "sv",
) -> None:
    """Connect Telegram user ``user`` (whose private chat has the same id) to ``person``."""
    bind(
        session,
        settings,
        user_id=user,
        chat_id=user,
        person=person,
        role=role,
        pair=pair,
        language=language,
    )
