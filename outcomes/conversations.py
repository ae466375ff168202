"""The chat's stored records: updates already handled, and where each person is in a conversation.

The bot writes them (``bot/state.py``); they live here, in the domain, because they are stored
records like the others: migrations create them, and ``outcomes/privacy.py`` exports and erases
a person's conversation with the rest of their data, without the domain importing the bot.
Both are in the database, not in memory or a pickle file, so that a restart — even ``kill -9`` —
neither handles an update twice nor forgets where someone was. The table names keep their
``bot_`` prefix (the schema is unchanged).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column
from sqlmodel import Field, SQLModel

from outcomes.clock import utcnow
from outcomes.models import ID
from outcomes.types import UTCDateTime


class ProcessedUpdate(SQLModel, table=True):
    """A Telegram update handled once; written in the same transaction as what it produced."""

    __tablename__ = "bot_processed_update"

    bot_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class Conversation(SQLModel, table=True):
    """The one conversation a person is in: which flow, which step, the answers so far.

    ``nonce`` is repeated in the flow's buttons, so a button of an earlier conversation is
    recognised as stale. No message text is kept here.
    """

    __tablename__ = "bot_conversation"

    person: str = Field(primary_key=True, max_length=ID)
    flow: str = Field(max_length=32)
    step: str = Field(max_length=32)
    nonce: str = Field(max_length=8)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
