"""The writers in outcomes/service.py: rules, conflicts and the audit trail they leave."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, col, select

from core.vocab import SurveyStatus
from outcomes import service
from outcomes.errors import Conflict, Invalid, NotFound
from outcomes.models import AuditLog, Cohort, Event, Participant, Survey
from outcomes.schemas import (
    CohortUpdate,
    EventUpdate,
    MeetingCreate,
    ParticipantCreate,
    ParticipantUpdate,
    SurveyAnswers,
    SurveyCreate,
    SurveyUpdate,
)
from tests.utils.factories import (
    make_cohort,
    make_event,
    make_meeting,
    make_pair,
    make_participant,
    make_survey,
)


def _audit(session: Session, record_id: str) -> list[AuditLog]:
    return list(
        session.exec(
            select(AuditLog).where(AuditLog.record_id == record_id).order_by(col(AuditLog.id))
        ).all()
    )


def test_create_record_refuses_duplicates_and_unknown_references(session: Session) -> None:
    make_cohort(session, id="c1")
    with pytest.raises(Conflict, match="exists already"):
        make_cohort(session, id="c1")
    with pytest.raises(Invalid, match="cohort 'nope' does not exist"):
        service.create_record(
            session,
            Participant,
            ParticipantCreate(id="p1", cohort="nope", gender="woman"),  # type: ignore[arg-type]
            actor="t",
        )


def test_a_participant_window_is_checked_against_the_cohort(session: Session) -> None:
    cohort = make_cohort(session, id="c1", end=date(2025, 6, 30))
    with pytest.raises(Invalid, match="ends \\(2025-06-30\\) before it starts \\(2025-07-01\\)"):
        make_participant(session, cohort=cohort, joined_on=date(2025, 7, 1))


def test_update_record_audits_the_earlier_version_and_skips_no_ops(session: Session) -> None:
    make_cohort(session, id="c1", name="R1")
    service.update_record(session, Cohort, "c1", CohortUpdate(name="R1"), actor="ada")
    assert [e.action for e in _audit(session, "c1")] == ["create"]
    service.update_record(session, Cohort, "c1", CohortUpdate(name="Round 1"), actor="ada")
    entry = _audit(session, "c1")[-1]
    assert (entry.action, entry.actor, entry.before["name"], entry.after["name"]) == (
        "update",
        "ada",
        "R1",
        "Round 1",
    )


@pytest.mark.parametrize("change", [CohortUpdate(name=None), CohortUpdate(start=None)])
def test_an_update_may_not_empty_a_required_field(session: Session, change) -> None:
    make_cohort(session, id="c1", name="R1")
    with pytest.raises(Invalid, match="cannot be empty"):
        service.update_record(session, Cohort, "c1", change, actor="ada")
    assert session.get(Cohort, "c1").name == "R1"


def test_an_optional_field_may_be_emptied(session: Session) -> None:
    person = make_participant(session, id="p1", birth_year=1990)
    service.update_record(
        session, Participant, person.id, ParticipantUpdate(birth_year=None), actor="ada"
    )
    assert session.get(Participant, "p1").birth_year is None


def test_correct_and_void_event_keep_every_version(session: Session) -> None:
    event = make_event(session, id="e1", type="job_started", extent="part_time")
    service.correct_event(
        session,
        event_id="e1",
        change=EventUpdate(type="job_changed"),  # type: ignore[arg-type]
        actor="bo",
    )
    service.void_event(session, event_id="e1", actor="cy")
    row = session.get(Event, "e1")
    assert (row.type, row.status, row.version) == ("job_changed", "voided", 3)
    trail = _audit(session, event.id)
    assert [(e.action, e.actor) for e in trail] == [
        ("create", "test"),
        ("correct", "bo"),
        ("void", "cy"),
    ]
    assert trail[1].before["type"] == "job_started"
    assert trail[1].before["version"] == 1
    assert trail[2].before["status"] == "confirmed"
    assert trail[2].after["version"] == 3


def test_correcting_attributes_replaces_them_whole(session: Session) -> None:
    make_event(session, id="e1", type="job_started", extent="part_time", relevant=True)
    service.correct_event(
        session,
        event_id="e1",
        change=EventUpdate.model_validate({"attributes": {"extent": "full_time"}}),
        actor="bo",
    )
    row = session.get(Event, "e1")
    assert (row.extent, row.relevant) == ("full_time", None)


def test_an_erased_participant_gets_no_new_events(session: Session) -> None:
    person = make_participant(session, id="p1")
    person.erased_on = date(2025, 5, 1)
    session.add(person)
    with pytest.raises(Invalid, match="erased"):
        make_event(session, participant=person)


def test_log_meeting_merges_the_other_sides_log(session: Session) -> None:
    pair = make_pair(session, id="pr1")
    first = make_meeting(session, pair=pair, held_on=date(2025, 2, 1), activities=["cv"])
    data = MeetingCreate.model_validate(
        {"pair": "pr1", "held_on": "2025-02-01", "activities": ["language", "cv"]}
    )
    row, merged = service.log_meeting(session, meeting=data, logged_by="participant", actor="x")
    assert merged
    assert row.id == first.id
    assert row.activities == ["cv", "language"]
    with pytest.raises(NotFound):
        service.log_meeting(
            session, meeting=data.model_copy(update={"pair": "nope"}), logged_by="mentor", actor="x"
        )


def test_surveys_create_conflict_update_and_answers_in_the_bot(session: Session) -> None:
    person = make_participant(session, id="p1")
    survey = SurveyCreate.model_validate(
        {
            "participant": "p1",
            "wave": "baseline",
            "answered_on": "2025-01-05",
            "answers": {"employment": "none"},
        }
    )
    row = service.create_survey(session, survey=survey, actor="t")
    with pytest.raises(Conflict, match="answered wave 'baseline' already"):
        service.create_survey(session, survey=survey, actor="t")
    service.update_survey(
        session, survey_id=row.id, change=SurveyUpdate(answered_on=date(2025, 1, 6)), actor="t"
    )
    assert session.get(Survey, row.id).employment == "none"  # answers kept
    with pytest.raises(Invalid, match="'answered_on' cannot be empty"):
        service.update_survey(
            session,
            survey_id=row.id,
            change=SurveyUpdate.model_validate({"answered_on": None}),
            actor="t",
        )
    # the bot saves answer by answer; the survey is complete only with its last one
    partial = service.save_survey_answer(
        session,
        participant=person.id,
        wave="result",
        answered_on=date(2025, 12, 1),
        answers=SurveyAnswers(employment="full_time"),
        complete=False,
        actor="bot",
    )  # type: ignore[arg-type]
    assert partial.status == SurveyStatus.in_progress
    done = service.save_survey_answer(
        session,
        participant=person.id,
        wave="result",
        answered_on=date(2025, 12, 1),
        answers=SurveyAnswers.model_validate({"items": {"cv_improved": True}}),
        complete=True,
        actor="bot",
    )
    assert (done.id, done.status, done.employment, done.item_cv_improved) == (
        partial.id,
        SurveyStatus.complete,
        "full_time",
        True,
    )


def test_list_page_counts_all_and_returns_one_page(session: Session) -> None:
    cohort = make_cohort(session, id="c1")
    for i in range(5):
        make_participant(session, id=f"p{i}", cohort=cohort)
    rows, total = service.list_page(
        session,
        Participant,
        filters=[col(Participant.cohort) == "c1"],
        limit=2,
        offset=2,
        order_by=col(Participant.id),
    )
    assert total == 5
    assert [r.id for r in rows] == ["p2", "p3"]


def test_factories_make_a_whole_round(session: Session) -> None:
    pair = make_pair(session)
    make_survey(
        session,
        participant=pair.participant,
        wave="result",
        answers={"employment": "part_time", "items": {"cv_improved": True}},
    )
    make_meeting(session, pair=pair)
    person = session.get(Participant, pair.participant)
    mentor_cohort = session.exec(select(col(Participant.cohort))).first()
    assert person is not None
    assert person.cohort == mentor_cohort
