"""Participants, by pseudonymous id only: create, read, update, list. Staff and admin."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlmodel import col

from api.deps import FilterDep, PagingDep, RecordId, SessionDep, StaffDep, actor
from outcomes import service
from outcomes.filters import clauses
from outcomes.models import Participant
from outcomes.schemas import Page, ParticipantCreate, ParticipantPublic, ParticipantUpdate

router = APIRouter(prefix="/participants", tags=["participants"])


def _public(row: Participant) -> ParticipantPublic:
    return ParticipantPublic.model_validate(row, from_attributes=True)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_participant(
    body: ParticipantCreate, session: SessionDep, token: StaffDep
) -> ParticipantPublic:
    """Create a participant (409 when the id exists)."""
    return _public(service.create_record(session, Participant, body, actor=actor(token)))


@router.get("/{participant_id}")
def read_participant(
    participant_id: RecordId, session: SessionDep, _: StaffDep
) -> ParticipantPublic:
    """One participant."""
    return _public(service.get(session, Participant, participant_id))


@router.patch("/{participant_id}")
def update_participant(
    participant_id: RecordId, body: ParticipantUpdate, session: SessionDep, token: StaffDep
) -> ParticipantPublic:
    """Change the fields given; the earlier version goes to the audit log."""
    return _public(
        service.update_record(session, Participant, participant_id, body, actor=actor(token))
    )


@router.get("")
def list_participants(
    session: SessionDep, _: StaffDep, paging: PagingDep, filters: FilterDep
) -> Page[ParticipantPublic]:
    """Participants by id; ``from``/``to`` keep those whose cohort runs on some day of that window."""
    rows, total = service.list_page(
        session,
        Participant,
        filters=clauses(Participant, filters),
        limit=paging.limit,
        offset=paging.offset,
        order_by=col(Participant.id),
    )
    return Page(
        items=[_public(r) for r in rows], total=total, limit=paging.limit, offset=paging.offset
    )
