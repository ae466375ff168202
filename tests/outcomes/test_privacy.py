"""Export and erasure of one person: everything out, then personal data gone, counts kept."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from outcomes.clock import today
from outcomes.contacts import Contact, ErasedEventCount, Invite, PersonRole
from outcomes.errors import NotFound
from outcomes.invites import InviteStatus, create_invites, list_invites, redeem
from outcomes.models import AuditLog, Event, Meeting, Mentor, Pair, Participant, Survey
from outcomes.privacy import erase_person, erased_counts, export_person
from outcomes.schemas import EventAttributes, EventCreate, MeetingCreate, SurveyAnswers
from outcomes.service import log_meeting, record_event, save_survey_answer, void_event
from tests.utils.pairs import make_pair


@pytest.fixture
def filled(db, settings):
    """A pair with both people bound, two events (one voided), a survey and a meeting; and a
    second pair that must stay untouched."""
    ids, other = make_pair(db, 1), make_pair(db, 2)
    with Session(db) as s:
        issued = create_invites(s, pair_id=ids.pair, actor="staff:t", settings=settings)
        redeem(
            s,
            settings,
            token=issued[PersonRole.participant].token,
            user_id=11,
            chat_id=11,
            language="ar",
        )
        redeem(
            s,
            settings,
            token=issued[PersonRole.mentor].token,
            user_id=12,
            chat_id=12,
            language="sv",
        )
        day = today()
        record_event(
            s,
            event=EventCreate(
                participant="p-1",
                type="job_started",
                occurred_on=day,
                source="participant",
                attributes=EventAttributes(extent="full_time", note="my own words"),
            ),
            actor="bot:participant:p-1",
        )
        gone = record_event(
            s,
            event=EventCreate(
                participant="p-1", type="cv_improved", occurred_on=day, source="mentor"
            ),
            actor="bot:mentor:m-1",
        )
        void_event(s, event_id=gone.id, actor="bot:mentor:m-1")
        record_event(
            s,
            event=EventCreate(
                participant="p-1", type="interview_attended", occurred_on=day, source="mentor"
            ),
            actor="bot:mentor:m-1",
        )
        save_survey_answer(
            s,
            participant="p-1",
            wave="baseline",
            answered_on=day,
            answers=SurveyAnswers(employment="none"),
            complete=True,
            actor="bot:participant:p-1",
        )
        log_meeting(
            s,
            meeting=MeetingCreate(pair=ids.pair, held_on=day, activities=["cv"]),
            logged_by="mentor",
            actor="bot:mentor:m-1",
        )
        record_event(
            s,
            event=EventCreate(
                participant="p-2", type="job_started", occurred_on=day, source="staff"
            ),
            actor="staff:t",
        )
        s.commit()
    return ids, other


def test_export_holds_everything_about_the_person(session: Session, settings, filled):
    doc = export_person(session, settings, "p-1")
    json.dumps(doc)  # a JSON document
    assert doc["person"]["id"] == "p-1"
    assert doc["person"]["role"] == "participant"
    assert doc["person"]["occupation_field"] == "nurse"
    assert doc["telegram"]["chat_id"] == 11
    assert doc["telegram"]["language"] == "ar"
    assert sorted(e["type"] for e in doc["events"]) == [
        "cv_improved",
        "interview_attended",
        "job_started",
    ]
    assert [s["wave"] for s in doc["surveys"]] == ["baseline"]
    assert [m["activities"] for m in doc["meetings"]] == [["cv"]]
    assert "p-2" not in json.dumps(doc)

    mentor = export_person(session, settings, "m-1")
    assert mentor["person"]["role"] == "mentor"
    assert mentor["telegram"]["chat_id"] == 12
    assert sorted(e["type"] for e in mentor["events"]) == ["cv_improved", "interview_attended"]
    with pytest.raises(NotFound):
        export_person(session, settings, "nobody")


def test_erasing_a_participant(session: Session, settings, filled):
    ids, other = filled
    report = erase_person(session, person="p-1", actor="bot:participant:p-1")
    session.commit()
    assert report.events_counted == 2
    assert report.surveys_deleted == 1
    assert report.pairs_ended == [ids.pair]
    assert report.contacts_removed == 1
    tomb = session.get(Participant, "p-1")
    assert tomb.erased_on == today()
    assert (tomb.birth_year, tomb.occupation_field, tomb.language, tomb.gender) == (
        None,
        None,
        None,
        "unspecified",
    )
    assert session.exec(select(Event).where(Event.participant == "p-1")).all() == []
    assert session.exec(select(Survey).where(Survey.participant == "p-1")).all() == []
    assert erased_counts(session, ids.cohort) == {"job_started": 1, "interview_attended": 1}
    assert session.get(Pair, ids.pair).ended_on == today()
    contacts = [c.person for c in session.exec(select(Contact)).all()]
    assert contacts == ["m-1"]  # the mentor stays reachable
    # no copy of the person's records is left in the audit log; one tombstone entry is
    left = session.exec(select(AuditLog)).all()
    assert "my own words" not in json.dumps([[e.before, e.after] for e in left])
    about_her = [e for e in left if e.table_name == "participant" or e.record_id == "p-1"]
    assert "nurse" not in json.dumps([[e.before, e.after] for e in about_her])
    erased = [e for e in left if e.action == "erase"]
    assert [(e.record_id, e.table_name) for e in erased] == [("p-1", "participant")]
    # the other pair is untouched
    assert len(session.exec(select(Event).where(Event.participant == other.participant)).all()) == 1
    assert session.get(Participant, other.participant).occupation_field == "nurse"
    assert session.get(Pair, other.pair).ended_on is None
    # meetings carry only a date and tags; they stay with the (ended) pair
    assert len(session.exec(select(Meeting)).all()) == 1


def test_erasing_a_mentor_revokes_open_invites_and_keeps_the_participants_events(
    session: Session, settings, filled
):
    ids, _ = filled
    create_invites(session, pair_id=ids.pair, actor="staff:t", settings=settings)
    session.commit()
    erase_person(session, person="m-1", actor="bot:mentor:m-1")
    session.commit()
    mentor = session.get(Mentor, "m-1")
    assert mentor.erased_on == today()
    assert mentor.occupation_field is None
    assert len(session.exec(select(Event).where(Event.participant == "p-1")).all()) == 3
    statuses = {v.role: v.status for v in list_invites(session, ids.pair)[:2]}
    assert statuses[PersonRole.mentor] is InviteStatus.revoked
    assert (
        session.exec(
            select(Invite).where(
                Invite.role == "mentor", Invite.revoked_at.is_(None), Invite.used_at.is_(None)
            )
        ).all()
        == []
    )
    assert [c.person for c in session.exec(select(Contact)).all()] == ["p-1"]


def test_erasure_is_idempotent_and_counts_accumulate(session: Session, settings, db, filled):
    erase_person(session, person="p-1", actor="bot:participant:p-1")
    session.commit()
    erase_person(session, person="p-1", actor="bot:participant:p-1")
    session.commit()
    assert erased_counts(session) == {"job_started": 1, "interview_attended": 1}
    third = make_pair(db, 3, cohort="c-1")
    with Session(db) as s:
        record_event(
            s,
            event=EventCreate(
                participant=third.participant,
                type="job_started",
                occurred_on=today() - timedelta(days=1),
                source="staff",
            ),
            actor="staff:t",
        )
        s.commit()
    erase_person(session, person=third.participant, actor="staff:t")
    session.commit()
    rows = session.exec(
        select(ErasedEventCount).where(ErasedEventCount.type == "job_started")
    ).all()
    assert [(r.cohort, r.count) for r in rows] == [("c-1", 2)]
