"""A pair's schedule of check-ins, surveys and reminders: see it, move an item. Staff, admin.

    GET   /api/v1/pairs/{pair_id}/schedule      every item, soonest first, with its deliveries
    PATCH /api/v1/schedule/{item_id}            {"due_at": "2025-03-04T10:00:00+01:00"}

Only a pending item can be moved; a time between 21:00 and 08:00 Europe/Stockholm is moved to
08:00. Each move is in the audit log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import AwareDatetime, BaseModel, ConfigDict
from sqlmodel import col, select

from api.deps import RecordId, SessionDep, StaffDep, actor
from outcomes import schedule
from outcomes.models import Pair
from outcomes.schedule_models import Delivery, ScheduledItem
from outcomes.service import get

router = APIRouter(tags=["schedule"])

ItemId = Annotated[int, Path(ge=1, le=2**62, description="The scheduled item's id")]


class DeliveryPublic(BaseModel):
    attempt: int
    started_at: datetime
    sent_at: datetime | None
    outcome: str


class ScheduledItemPublic(BaseModel):
    """One planned message: ``kind`` baseline | checkin | followup_1 | followup_2 | result;
    ``sequence`` the program month of a check-in; ``attempt`` messages sent so far (1 the
    first, 2 and 3 the reminders); ``state`` pending | claimed | answered | expired | cancelled."""

    id: int
    pair: str
    role: str
    person: str
    kind: str
    sequence: int
    due_at: datetime
    attempt: int
    state: str
    deliveries: list[DeliveryPublic]


class SchedulePublic(BaseModel):
    pair: str
    items: list[ScheduledItemPublic]


class ScheduledItemUpdate(BaseModel):
    """A new time for a pending item (with its time zone)."""

    model_config = ConfigDict(extra="forbid")
    due_at: AwareDatetime


def _public(item: ScheduledItem, deliveries: list[Delivery]) -> ScheduledItemPublic:
    assert item.id is not None
    return ScheduledItemPublic(
        id=item.id,
        pair=item.pair,
        role=item.role,
        person=item.person,
        kind=item.kind,
        sequence=item.sequence,
        due_at=item.due_at,
        attempt=item.attempt,
        state=item.state,
        deliveries=[
            DeliveryPublic(
                attempt=d.attempt, started_at=d.started_at, sent_at=d.sent_at, outcome=d.outcome
            )
            for d in deliveries
        ],
    )


@router.get("/pairs/{pair_id}/schedule")
def read_schedule(pair_id: RecordId, session: SessionDep, _: StaffDep) -> SchedulePublic:
    """Every check-in, survey and reminder planned for a pair, soonest first."""
    get(session, Pair, pair_id)
    items = schedule.pair_schedule(session, pair_id)
    ids = [i.id for i in items]
    deliveries: dict[int, list[Delivery]] = {}
    for d in session.exec(
        select(Delivery).where(col(Delivery.item_id).in_(ids)).order_by(col(Delivery.attempt))
    ):
        deliveries.setdefault(d.item_id, []).append(d)
    return SchedulePublic(
        pair=pair_id, items=[_public(i, deliveries.get(i.id or 0, [])) for i in items]
    )


@router.patch("/schedule/{item_id}")
def move_scheduled_item(
    item_id: ItemId, body: ScheduledItemUpdate, session: SessionDep, token: StaffDep
) -> ScheduledItemPublic:
    """Move a pending item to another time (422 when it is not pending)."""
    item = schedule.move_item(session, item_id=item_id, due_at=body.due_at, actor=actor(token))
    deliveries = session.exec(
        select(Delivery).where(Delivery.item_id == item_id).order_by(col(Delivery.attempt))
    ).all()
    return _public(item, list(deliveries))
