"""Events (steps towards work): record, read, correct, void, list, and each event's history.

An event is never silently overwritten: ``PATCH`` corrects it (``version`` + 1) and
``POST /events/{id}/void`` voids it; the earlier version stays in the audit log with who and
when, and ``GET /events/{id}/history`` shows it. Staff and admin.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlmodel import col

from api.deps import FilterDep, PagingDep, RecordId, SessionDep, StaffDep, actor
from core.vocab import EventType
from outcomes import service
from outcomes.filters import clauses
from outcomes.models import AuditLog, Event
from outcomes.schemas import AuditLogPublic, EventCreate, EventPublic, EventUpdate, Page

router = APIRouter(prefix="/events", tags=["events"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_event(body: EventCreate, session: SessionDep, token: StaffDep) -> EventPublic:
    """Record an event (an id is made when none is given; 409 when the id exists)."""
    return service.event_public(service.record_event(session, event=body, actor=actor(token)))


@router.get("/{event_id}")
def read_event(event_id: RecordId, session: SessionDep, _: StaffDep) -> EventPublic:
    """One event as it stands now."""
    return service.event_public(service.get(session, Event, event_id))


@router.patch("/{event_id}")
def correct_event(
    event_id: RecordId, body: EventUpdate, session: SessionDep, token: StaffDep
) -> EventPublic:
    """Correct an event: its version goes up by one, the earlier version to the audit log."""
    row = service.correct_event(session, event_id=event_id, change=body, actor=actor(token))
    return service.event_public(row)


@router.post("/{event_id}/void")
def void_event(event_id: RecordId, session: SessionDep, token: StaffDep) -> EventPublic:
    """Void an event: it no longer counts; its history is kept."""
    return service.event_public(service.void_event(session, event_id=event_id, actor=actor(token)))


@router.get("/{event_id}/history")
def event_history(event_id: RecordId, session: SessionDep, _: StaffDep) -> list[AuditLogPublic]:
    """Every recorded change of the event, oldest first: who, when, before and after."""
    service.get(session, Event, event_id)
    rows, _total = service.list_page(
        session,
        AuditLog,
        filters=[col(AuditLog.table_name) == "event", col(AuditLog.record_id) == event_id],
        limit=10_000,
        offset=0,
        order_by=col(AuditLog.id),
    )
    return [AuditLogPublic.model_validate(r, from_attributes=True) for r in rows]


@router.get("")
def list_events(
    session: SessionDep,
    _: StaffDep,
    paging: PagingDep,
    filters: FilterDep,
    event_type: Annotated[
        EventType | None, Query(alias="type", description="Only this type")
    ] = None,
) -> Page[EventPublic]:
    """Events by id; ``from``/``to`` apply to ``occurred_on``; voided events are listed too."""
    filters = replace(filters, event_type=event_type.value if event_type else None)
    rows, total = service.list_page(
        session,
        Event,
        filters=clauses(Event, filters),
        limit=paging.limit,
        offset=paging.offset,
        order_by=col(Event.id),
    )
    return Page(
        items=[service.event_public(r) for r in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )
