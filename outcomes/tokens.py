"""Staff API tokens: a random secret shown once, stored only as its SHA-256.

Roles: ``admin`` (everything, manages tokens), ``staff`` (reads and writes records) and
``analyst`` (reads indicators and exports only). ``stegvis token create`` and
``POST /api/v1/tokens`` both call :func:`create_token`; the API checks every request with
:func:`verify_token`.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import Session, col, select

from core.vocab import Role
from outcomes.audit import audit
from outcomes.clock import utcnow
from outcomes.errors import Invalid, NotFound
from outcomes.models import ApiToken
from outcomes.schemas import ApiTokenPublic

PREFIX = "stv_"
TOUCH_EVERY = timedelta(minutes=1)  # ``last_used_at`` is written at most this often
MAX_SECRET = 200


def hash_secret(secret: str) -> str:
    """The stored form of a token: hex SHA-256 of the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    session: Session, *, name: str, role: Role | str, actor: str
) -> tuple[ApiToken, str]:
    """Create a token; returns the stored row and the secret (shown once, never stored)."""
    try:
        role = Role(role)
    except ValueError:
        raise Invalid(f"unknown role {role!r}; expected one of {', '.join(Role)}") from None
    name = name.strip()
    if not 0 < len(name) <= 100:
        raise Invalid("a token's name has 1 to 100 characters")
    secret = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, role=role.value, token_hash=hash_secret(secret))
    session.add(row)
    session.flush()
    audit(
        session,
        actor=actor,
        action="create",
        table_name="apitoken",
        record_id=str(row.id),
        before=None,
        after={"name": row.name, "role": row.role},
    )
    return row, secret


def verify_token(session: Session, secret: str, *, touch: bool = True) -> ApiToken | None:
    """The live (not revoked) token with that secret, or ``None``; notes when it was last used."""
    if not secret or len(secret) > MAX_SECRET:
        return None
    row = session.exec(
        select(ApiToken).where(
            ApiToken.token_hash == hash_secret(secret), col(ApiToken.revoked_at).is_(None)
        )
    ).first()
    if row is None:
        return None
    now = utcnow()
    if touch and (row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY):
        row.last_used_at = now
        session.add(row)
    return row


def revoke_token(session: Session, token_id: int, *, actor: str) -> ApiToken:
    """Revoke a token (it stops working at once); revoking it again changes nothing."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"token {token_id} does not exist")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        audit(
            session,
            actor=actor,
            action="revoke",
            table_name="apitoken",
            record_id=str(row.id),
            before={"name": row.name, "role": row.role},
            after=None,
        )
        session.flush()
    return row


def list_tokens(session: Session) -> list[ApiToken]:
    """Every token, newest first (revoked ones too: their history stays readable)."""
    return list(session.exec(select(ApiToken).order_by(col(ApiToken.id).desc())).all())


def token_public(row: ApiToken) -> ApiTokenPublic:
    """The API's view of a token: never its hash."""
    return ApiTokenPublic(
        id=row.id or 0,
        name=row.name,
        role=Role(row.role),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )
