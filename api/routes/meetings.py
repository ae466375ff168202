"""Meetings of pairs: log, read, update, list. Staff and admin.

Logging a meeting that the pair has logged already (same pair, day and kind) merges the
activities into it and answers 200 instead of 201.
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlmodel import col

from api.deps import FilterDep, PagingDep, RecordId, SessionDep, StaffDep, actor
from outcomes import service
from outcomes.filters import clauses
from outcomes.models import Meeting
from outcomes.schemas import MeetingCreate, MeetingPublic, MeetingUpdate, Page

router = APIRouter(prefix="/meetings", tags=["meetings"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "Merged into the meeting logged already", "model": MeetingPublic}
    },
)
def create_meeting(
    body: MeetingCreate, session: SessionDep, token: StaffDep, response: Response
) -> MeetingPublic:
    """Log a meeting (201), or merge it into the same pair's meeting that day and kind (200)."""
    row, merged = service.log_meeting(session, meeting=body, logged_by="staff", actor=actor(token))
    if merged:
        response.status_code = status.HTTP_200_OK
    return service.meeting_public(row)


@router.get("/{meeting_id}")
def read_meeting(meeting_id: RecordId, session: SessionDep, _: StaffDep) -> MeetingPublic:
    """One meeting."""
    return service.meeting_public(service.get(session, Meeting, meeting_id))


@router.patch("/{meeting_id}")
def update_meeting(
    meeting_id: RecordId, body: MeetingUpdate, session: SessionDep, token: StaffDep
) -> MeetingPublic:
    """Change the fields given; the earlier version goes to the audit log."""
    row = service.update_record(session, Meeting, meeting_id, body, actor=actor(token))
    return service.meeting_public(row)


@router.get("")
def list_meetings(
    session: SessionDep, _: StaffDep, paging: PagingDep, filters: FilterDep
) -> Page[MeetingPublic]:
    """Meetings by id; ``from``/``to`` apply to ``held_on``."""
    rows, total = service.list_page(
        session,
        Meeting,
        filters=clauses(Meeting, filters),
        limit=paging.limit,
        offset=paging.offset,
        order_by=col(Meeting.id),
    )
    return Page(
        items=[service.meeting_public(r) for r in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )
