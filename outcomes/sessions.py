"""Server-side sessions of the staff pages.

    secret, row = start_session(session, user)          # the cookie gets ``secret``, once
    found = find_session(session, settings, secret)     # (row, user) or None
    end_session(session, secret)                        # logout

The secret is 32 random bytes (URL-safe text); only its SHA-256 is stored, so a copy of the
database opens no session. A session ends at logout, after ``Settings.staff_session_idle_minutes``
without a request, after ``Settings.staff_session_max_hours`` whatever happens, and at once when
its account is disabled or its password is reset. Each session has its own CSRF token, which every
form of the pages carries. Neither the secret nor its hash is ever written to a log.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from core.settings import Settings
from outcomes.clock import utcnow
from outcomes.staff_models import StaffSession, StaffUser

TOUCH_EVERY = timedelta(minutes=1)  # ``last_seen_at`` is written at most this often
MAX_SECRET = 200


def session_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start_session(session: Session, user: StaffUser) -> tuple[str, StaffSession]:
    """A new session for a user who just logged in; returns the secret for the cookie."""
    assert user.id is not None
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    row = StaffSession(
        session_hash=session_hash(secret),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
    )
    session.add(row)
    session.flush()
    return secret, row


def find_session(
    session: Session, settings: Settings, secret: str | None, *, touch: bool = True
) -> tuple[StaffSession, StaffUser] | None:
    """The live session of a cookie and its (enabled) account, or ``None``.

    An expired session is ended on the way. ``touch`` notes the request for the idle timeout.
    """
    if not secret or len(secret) > MAX_SECRET:
        return None
    found = session.exec(
        select(StaffSession, StaffUser)
        .join(StaffUser, col(StaffUser.id) == col(StaffSession.user_id))
        .where(
            StaffSession.session_hash == session_hash(secret), col(StaffSession.ended_at).is_(None)
        )
    ).first()
    if found is None:
        return None
    row, user = found
    now = utcnow()
    idle = timedelta(minutes=settings.staff_session_idle_minutes)
    absolute = timedelta(hours=settings.staff_session_max_hours)
    if now - row.last_seen_at > idle or now - row.created_at > absolute:
        row.ended_at = now
        session.add(row)
        session.flush()
        return None
    if user.disabled_at is not None:
        return None
    if touch and now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)
        session.flush()
    return row, user


def end_session(session: Session, secret: str | None) -> bool:
    """Log out: the session stops working at once. False when there was none."""
    if not secret or len(secret) > MAX_SECRET:
        return False
    result = session.exec(
        update(StaffSession)
        .where(
            col(StaffSession.session_hash) == session_hash(secret),
            col(StaffSession.ended_at).is_(None),
        )
        .values(ended_at=utcnow())
    )
    return bool(result.rowcount)


def end_sessions_of(session: Session, user_id: int) -> int:
    """End every open session of an account (disabled, or a new password); returns how many."""
    result = session.exec(
        update(StaffSession)
        .where(col(StaffSession.user_id) == user_id, col(StaffSession.ended_at).is_(None))
        .values(ended_at=utcnow())
    )
    return int(result.rowcount or 0)
