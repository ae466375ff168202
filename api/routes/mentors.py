"""Volunteer mentors, by pseudonymous id: create, read, update, list. Staff and admin."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlmodel import col

from api.deps import FilterDep, PagingDep, RecordId, SessionDep, StaffDep, actor
from outcomes import service
from outcomes.filters import clauses
from outcomes.models import Mentor
from outcomes.schemas import MentorCreate, MentorPublic, MentorUpdate, Page

router = APIRouter(prefix="/mentors", tags=["mentors"])


def _public(row: Mentor) -> MentorPublic:
    return MentorPublic.model_validate(row, from_attributes=True)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_mentor(body: MentorCreate, session: SessionDep, token: StaffDep) -> MentorPublic:
    """Create a mentor (409 when the id exists)."""
    return _public(service.create_record(session, Mentor, body, actor=actor(token)))


@router.get("/{mentor_id}")
def read_mentor(mentor_id: RecordId, session: SessionDep, _: StaffDep) -> MentorPublic:
    """One mentor."""
    return _public(service.get(session, Mentor, mentor_id))


@router.patch("/{mentor_id}")
def update_mentor(
    mentor_id: RecordId, body: MentorUpdate, session: SessionDep, token: StaffDep
) -> MentorPublic:
    """Change the fields given; the earlier version goes to the audit log."""
    return _public(service.update_record(session, Mentor, mentor_id, body, actor=actor(token)))


@router.get("")
def list_mentors(
    session: SessionDep, _: StaffDep, paging: PagingDep, filters: FilterDep
) -> Page[MentorPublic]:
    """Mentors by id; ``participant`` keeps the mentors paired with that participant."""
    rows, total = service.list_page(
        session,
        Mentor,
        filters=clauses(Mentor, filters),
        limit=paging.limit,
        offset=paging.offset,
        order_by=col(Mentor.id),
    )
    return Page(
        items=[_public(r) for r in rows], total=total, limit=paging.limit, offset=paging.offset
    )
