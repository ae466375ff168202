"""Tables of the schedule: what is due to whom, and every delivery made."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from outcomes.clock import utcnow
from outcomes.models import ID
from outcomes.types import UTCDateTime


class ScheduledItem(SQLModel, table=True):
    """One check-in or survey due to one person of a pair; reminders are further attempts.

    ``state``: ``pending`` (waiting for ``due_at``), ``claimed`` (a sender holds it until
    ``claimed_until``), ``answered``, ``expired`` (no answer after the last reminder),
    ``cancelled`` (the person left, declined or deleted themselves), ``sent`` (a one-off message
    such as a group meeting's invitation, delivered).
    """

    __tablename__ = "scheduled_item"
    __table_args__ = (
        UniqueConstraint("pair", "role", "kind", "sequence", name="uq_schedule_item"),
        Index("ix_schedule_due", "state", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    pair: str = Field(foreign_key="pair.id", index=True, max_length=ID)
    role: str = Field(max_length=16)  # participant | mentor
    person: str = Field(max_length=ID, index=True)  # pseudonymous id of the participant or mentor
    # baseline | checkin | followup_1 | followup_2 | result | mentor_start | mentor_end |
    # group_invite | group_reminder
    kind: str = Field(max_length=16)
    sequence: int = 0  # the program month of a check-in; 0 for surveys; a group meeting's id
    due_at: datetime = Field(sa_type=UTCDateTime)
    attempt: int = 0  # deliveries made so far: 0 none, 1 first, 2 reminder, 3 last reminder
    state: str = Field(default="pending", max_length=16)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Delivery(SQLModel, table=True):
    """One message sent for a scheduled item; unique per attempt, so a send is never doubled."""

    __table_args__ = (UniqueConstraint("item_id", "attempt", name="uq_delivery_attempt"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="scheduled_item.id", index=True)
    attempt: int
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str = Field(default="sending", max_length=16)  # sending | sent | failed | unreachable
    detail: str | None = Field(default=None, max_length=200)
