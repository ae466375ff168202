"""Group meetings of a cohort (kick-off, workshops): plan, read, list, mark attendance.

Planning invites every connected person of the cohort through the bot's scheduled sender (the
invitations are due at once, so they start going out within seconds); ``counts`` says how many
were invited, said yes, said no, have not answered, and attended. Staff and admin.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, Field

from api.deps import ID_PATTERN, SessionDep, StaffDep, actor
from outcomes import group_meetings as gm
from outcomes.models import ID

router = APIRouter(prefix="/group-meetings", tags=["group meetings"])

MeetingId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The group meeting's id")]
CohortQuery = Annotated[str, Query(min_length=1, max_length=ID, pattern=ID_PATTERN)]


class AttendanceChange(BaseModel):
    """Who came (``attended: true``) or did not after all (``false``)."""

    person: str = Field(min_length=1, max_length=ID, pattern=ID_PATTERN)
    attended: bool = True


class AttendanceBody(BaseModel):
    people: list[AttendanceChange] = Field(min_length=1, max_length=1000)


class AttendanceList(BaseModel):
    meeting: gm.GroupMeetingPublic
    people: list[gm.AttendancePublic]


def _people(session: SessionDep, meeting_id: int) -> list[gm.AttendancePublic]:
    return [
        gm.AttendancePublic(
            person=r.person,
            role=r.role,
            pair=r.pair,
            response=r.response,
            attended=r.attended,
            attended_via=r.attended_via,
        )
        for r in gm.people(session, meeting_id)
    ]


@router.post("", status_code=status.HTTP_201_CREATED)
def plan_group_meeting(
    body: gm.GroupMeetingCreate, session: SessionDep, token: StaffDep
) -> gm.GroupMeetingPublic:
    """Plan a meeting for a cohort and invite all its connected people (201)."""
    meeting = gm.plan(session, body, actor=actor(token))
    return gm.public(session, meeting)


@router.get("")
def list_group_meetings(
    cohort: CohortQuery, session: SessionDep, _: StaffDep
) -> list[gm.GroupMeetingPublic]:
    """A cohort's group meetings, soonest first, each with its counts."""
    return [gm.public(session, m) for m in gm.of_cohort(session, cohort)]


@router.get("/{meeting_id}")
def read_group_meeting(
    meeting_id: MeetingId, session: SessionDep, _: StaffDep
) -> gm.GroupMeetingPublic:
    """One meeting with ``counts``: invited, yes, no, no_answer, attended."""
    return gm.public(session, gm.get(session, meeting_id))


@router.get("/{meeting_id}/attendance")
def read_attendance(meeting_id: MeetingId, session: SessionDep, _: StaffDep) -> AttendanceList:
    """Everyone invited: their answer and whether they came (pseudonymous ids)."""
    meeting = gm.get(session, meeting_id)
    return AttendanceList(meeting=gm.public(session, meeting), people=_people(session, meeting_id))


@router.post("/{meeting_id}/attendance")
def mark_attendance(
    meeting_id: MeetingId, body: AttendanceBody, session: SessionDep, token: StaffDep
) -> AttendanceList:
    """Mark who came; all or nothing (an unknown person refuses the whole request)."""
    for change in body.people:
        gm.mark_attendance(
            session,
            meeting_id=meeting_id,
            person=change.person,
            attended=change.attended,
            actor=actor(token),
        )
    meeting = gm.get(session, meeting_id)
    return AttendanceList(meeting=gm.public(session, meeting), people=_people(session, meeting_id))
