"""Tables of the staff workspace: browser accounts, their sessions, and login throttling.

No secret is stored as it is: a password only as its Argon2id hash, a session id only as its
SHA-256, and a login name that keeps failing only as the SHA-256 of its normalised form (so that
what someone typed into the e-mail field — perhaps a password — is never kept).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from outcomes.clock import utcnow
from outcomes.types import UTCDateTime

EMAIL = 254  # RFC 5321's longest address


class StaffUser(SQLModel, table=True):
    """A person who logs in to the staff pages; ``role`` as in the API (admin, staff, analyst)."""

    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=EMAIL, unique=True)  # stored lower-case
    role: str = Field(max_length=16)
    language: str = Field(default="sv", max_length=8)  # the pages' language: sv | en
    password_hash: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    password_changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StaffSession(SQLModel, table=True):
    """A browser session: the cookie holds a random id, the table only its SHA-256."""

    __tablename__ = "staff_session"

    id: int | None = Field(default=None, primary_key=True)
    session_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="staff_user.id", index=True)
    csrf_token: str = Field(max_length=64)  # every form of this session carries it
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoginThrottle(SQLModel, table=True):
    """Failed logins in a row for one login name (known or not), and until when it is locked."""

    __tablename__ = "staff_login_throttle"

    key: str = Field(primary_key=True, max_length=64)  # SHA-256 of the normalised e-mail
    failures: int = 0
    last_failure_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
