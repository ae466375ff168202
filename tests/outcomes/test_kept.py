"""The kept per-participant outcomes always equal the engine from scratch.

A generated program (``tests/utils/generate.py``: every edge of spec/outcomes.md — window edges,
voided and replaced events, missing waves, unanswered questions, interview deltas, four and five
minor items, relevance, contributions, control arm, migration categories and regions, gender
unknown, several cohorts) is imported, then changed by seeded random sequences of writes through
the real writers: events recorded, corrected, voided and moved in time; surveys answered,
replaced, left in progress; participants moved between cohorts, their windows and genders
changed; cohorts' dates changed; people erased; lines re-imported; a write rolled back. After
every step the kept rows equal the engine's per-participant SQL over everything, and every
grouping of the indicators from the kept rows equals the engine's statement, on both bases.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from core.vocab import GROUPINGS, Contribution, Employment, EventSource, EventType, Wave
from outcomes import kept, privacy, service
from outcomes.errors import Conflict, Invalid
from outcomes.importer import import_jsonl
from outcomes.indicators import COUNT_BITS, build_kept_query, compute_indicators
from outcomes.kept_models import KeptOutcome
from outcomes.models import Cohort, Event, Participant, Survey
from outcomes.overview import response_over_time
from outcomes.schemas import (
    CohortUpdate,
    EventAttributes,
    EventCreate,
    EventUpdate,
    ParticipantUpdate,
    StepItems,
    SurveyAnswers,
    SurveyUpdate,
)
from tests.utils.generate import generate_records

ACTOR = "test"


def kept_rows(session: Session) -> dict[str, int]:
    rows = session.execute(sa_select(KeptOutcome.participant, KeptOutcome.bits))
    return {p: int(b) for p, b in rows}


FROM_SCRATCH = build_kept_query()  # built once: building the statement costs more than running it


def from_scratch(session: Session) -> dict[str, int]:
    return {r.participant: int(r.bits) for r in session.execute(FROM_SCRATCH)}


def assert_kept(session: Session, cohorts: list[str]) -> None:
    """Kept rows == the engine's; every grouping from them == the engine's statement."""
    assert kept_rows(session) == from_scratch(session)
    for basis in ("measured", "enrolled"):
        for by in (None, *GROUPINGS):
            wanted = compute_indicators(session, by=by, basis=basis)  # type: ignore[arg-type]
            got = compute_indicators(session, by=by, basis=basis, kept=True)  # type: ignore[arg-type]
            assert got == wanted, (basis, by)
    for cohort in (None, cohorts[0]):
        assert response_over_time(session, cohort=cohort, enrolled=100) == response_over_time(
            session, cohort=cohort, enrolled=100, kept=False
        )
    for kw in (
        {"cohort": cohorts[0], "by": "gender"},
        {"cohort": cohorts[1], "basis": "enrolled"},
        {"window": (date(2025, 3, 1), None), "by": "cohort"},
        {"window": (None, date(2024, 12, 31)), "basis": "enrolled"},
        {"cohorts": cohorts[:2], "by": "cohort"},  # the overview's page of cohorts
        {"cohorts": cohorts[1:3], "by": "migration_category", "basis": "enrolled"},
        {"cohorts": cohorts[:1], "by": "cohort"},  # one cohort given this way, with its targets
    ):
        assert compute_indicators(session, **kw, kept=True) == compute_indicators(session, **kw)  # type: ignore[arg-type]


def _day(rng: random.Random, cohort: Cohort) -> date:
    """A day in the cohort's dates, or just outside them, or on an edge."""
    span = (cohort.end - cohort.start).days
    pick = rng.random()
    if pick < 0.15:
        return cohort.start + timedelta(days=rng.choice([-1, 0]))
    if pick < 0.3:
        return cohort.end + timedelta(days=rng.choice([0, 1, -60, -61]))
    return cohort.start + timedelta(days=rng.randint(0, max(span, 0)))


def _answers(rng: random.Random) -> SurveyAnswers:
    def maybe(values: list[Any]) -> Any:
        return rng.choice([None, *values])

    items = {name: maybe([True, False]) for name in StepItems.model_fields}
    contributed = {k: maybe(list(Contribution)) for k in ("job", "internship", "education_started")}
    return SurveyAnswers.model_validate(
        {
            "employment": maybe(list(Employment)),
            "job_relevant": maybe([True, False]),
            "interviews_last_2_months": maybe([0, 1, 2, 3, 5]),
            "job_changed": maybe([True, False]),
            "items": rng.choice([None, items]),
            "program_contributed": rng.choice([None, contributed]),
        }
    )


def one_write(session: Session, rng: random.Random) -> str:
    """One random write through the real writers; returns what it did (``refused`` when the
    writer refused it, rolled back)."""
    try:
        return _write(session, rng)
    except (Invalid, Conflict):
        session.rollback()
        return "refused"


def _write(session: Session, rng: random.Random) -> str:
    people = list(
        session.exec(select(Participant).where(col(Participant.erased_on).is_(None))).all()
    )
    person = rng.choice(people)
    cohorts = list(session.exec(select(Cohort)).all())
    cohort = session.get(Cohort, person.cohort)
    assert cohort is not None
    events = list(session.exec(select(Event).where(Event.participant == person.id)).all())
    op = rng.choices(
        ["record", "correct", "void", "survey", "survey_update", "in_progress", "participant",
         "cohort", "erase", "reimport"],
        weights=[8, 4, 3, 4, 2, 1, 3, 1, 1, 1],
    )[0]  # fmt: skip
    if op in ("correct", "void") and not events:
        op = "record"
    if op == "record":
        attributes = EventAttributes(
            relevant=rng.choice([None, True, False]),
            program_contributed=rng.choice([None, *Contribution]),
        )
        service.record_event(
            session,
            event=EventCreate(
                participant=person.id,
                type=rng.choice(list(EventType)),
                occurred_on=_day(rng, cohort),
                source=EventSource.staff,
                attributes=attributes,
            ),
            actor=ACTOR,
        )
    elif op == "correct":
        change: dict[str, Any] = rng.choice(
            [
                {"type": rng.choice(list(EventType))},
                {"occurred_on": _day(rng, cohort)},
                {"status": "confirmed"},
                {"attributes": {"relevant": rng.choice([True, False, None])}},
            ]
        )
        service.correct_event(
            session,
            event_id=rng.choice(events).id,
            change=EventUpdate.model_validate(change),
            actor=ACTOR,
        )
    elif op == "void":
        service.void_event(session, event_id=rng.choice(events).id, actor=ACTOR)
    elif op in ("survey", "in_progress"):
        service.save_survey_answer(
            session,
            participant=person.id,
            wave=rng.choice([Wave.baseline.value, Wave.result.value]),
            answered_on=_day(rng, cohort),
            answers=_answers(rng),
            complete=op == "survey",
            actor=ACTOR,
        )
    elif op == "survey_update":
        surveys = list(session.exec(select(Survey).where(Survey.participant == person.id)).all())
        if not surveys:
            return "nothing"
        service.update_survey(
            session,
            survey_id=rng.choice(surveys).id,
            change=SurveyUpdate(answers=_answers(rng)),
            actor=ACTOR,
        )
    elif op == "participant":
        target = rng.choice(cohorts)
        fields: dict[str, Any] = rng.choice(
            [
                {"cohort": target.id, "joined_on": None, "left_on": None},
                {"gender": rng.choice(["woman", "man", "other", "unspecified"])},
                {"arm": rng.choice(["intervention", "control"])},
                {"left_on": cohort.end - timedelta(days=rng.randint(0, 90))},
                {"joined_on": None, "left_on": None},
            ]
        )
        if fields.get("left_on"):
            fields["left_on"] = max(fields["left_on"], person.joined_on or cohort.start)
        service.update_record(
            session, Participant, person.id, ParticipantUpdate.model_validate(fields), actor=ACTOR
        )
    elif op == "cohort":
        shift = timedelta(days=rng.choice([-30, -1, 1, 45]))
        service.update_record(
            session, Cohort, cohort.id, CohortUpdate(end=cohort.end + shift), actor=ACTOR
        )
    elif op == "erase":
        privacy.erase_person(session, person=person.id, actor=ACTOR)
    elif op == "reimport":
        line = {
            "kind": "event",
            "id": f"re-{rng.randint(0, 30)}",
            "participant": person.id,
            "type": rng.choice(list(EventType)).value,
            "occurred_on": _day(rng, cohort).isoformat(),
            "source": "import",
            "status": rng.choice(["confirmed", "confirmed", "voided"]),
        }
        import_jsonl(session, [json.dumps(line)])
    return op


@pytest.fixture
def program(session: Session) -> list[str]:
    records = list(generate_records(160, seed=11, n_cohorts=4))
    import_jsonl(session, [json.dumps(r) for r in records])
    session.commit()
    return sorted({r["id"] for r in records if r["kind"] == "cohort"})


@pytest.mark.parametrize("seed", [1])
def test_random_writes_keep_the_outcomes(session: Session, program: list[str], seed: int) -> None:
    rows = kept_rows(session)
    assert len(rows) == len(session.exec(select(Participant)).all())  # the import kept everyone
    assert len(set(rows.values())) > 10  # the rows carry the engine's bits, not a constant
    assert rows == from_scratch(session)
    rng = random.Random(seed)
    done: list[str] = []
    for step in range(40):
        done.append(one_write(session, rng))
        if rng.random() < 0.5:  # sometimes several writes in one transaction
            done.append(one_write(session, rng))
        session.commit()
        assert kept_rows(session) == from_scratch(session), (step, done[-2:])
        if step == 20:
            assert_kept(session, program)  # the cells too, half-way
    assert_kept(session, program)
    assert {"record", "correct", "void", "survey", "participant", "erase"} <= set(done), done


def test_a_rolled_back_write_takes_its_kept_row_back(session: Session, program: list[str]) -> None:
    before = kept_rows(session)
    got_job = COUNT_BITS["n_got_job"]
    person = next(p for p, bits in before.items() if not bits & got_job)
    participant = session.get(Participant, person)
    assert participant is not None
    cohort = session.get(Cohort, participant.cohort)
    assert cohort is not None
    service.record_event(
        session,
        event=EventCreate(
            participant=person,
            type=EventType.job_changed,
            occurred_on=participant.joined_on or cohort.start,
            source=EventSource.staff,
        ),
        actor=ACTOR,
    )
    assert kept_rows(session)[person] & got_job  # seen inside the transaction at once
    session.rollback()
    assert kept_rows(session) == before


def test_rebuild_gives_the_same_rows(session: Session, program: list[str]) -> None:
    before = kept_rows(session)
    assert kept.rebuild(session) == len(before)
    assert kept_rows(session) == before
