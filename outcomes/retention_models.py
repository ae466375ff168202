"""Tables of retention (``outcomes/retention.py``): the daily runs, and what a person was told.

``RetentionRun`` is one row per day the job ran (its primary key is the day): inserting it is
the claim, in the same transaction as the deletions, so of several bot instances exactly one
applies the rules each day, and a run that crashes leaves no row (the next try runs again).

``RetentionNotice`` remembers, for a Telegram account whose contact data went, only what was
removed and when: the keyed HMAC of the Telegram user id (the same ``user_key`` the contact had,
so ``/mydata`` can still answer), the role, the day the round ended and the day the rows went.
It names no person (no pseudonymous id, no chat id), so it does not tie the account to the
outcome records that are kept.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from outcomes.clock import utcnow
from outcomes.types import UTCDateTime


class RetentionRunBase(SQLModel):
    day: date = Field(primary_key=True)
    worker: str = Field(max_length=64)
    removed: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class RetentionRunCreate(RetentionRunBase):
    pass


class RetentionRunUpdate(SQLModel):
    removed: dict[str, int] | None = None


class RetentionRun(RetentionRunBase, table=True):
    """One daily application of the retention rules (the day is the claim)."""

    __tablename__ = "retention_run"

    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RetentionRunPublic(RetentionRunBase):
    at: datetime


class RetentionNoticeBase(SQLModel):
    role: str = Field(max_length=16)
    round_ended_on: date
    removed_on: date
    removed: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class RetentionNoticeCreate(RetentionNoticeBase):
    user_key: str = Field(max_length=64)


class RetentionNoticeUpdate(SQLModel):
    removed_on: date | None = None
    removed: dict[str, Any] | None = None


class RetentionNotice(RetentionNoticeBase, table=True):
    """What retention removed of one Telegram account, found by the HMAC of its user id."""

    __tablename__ = "retention_notice"

    id: int | None = Field(default=None, primary_key=True)
    user_key: str = Field(max_length=64, unique=True)


class RetentionNoticePublic(RetentionNoticeBase):
    pass
