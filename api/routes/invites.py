"""Invites to the bot: two single-use deep links per pair. Staff, admin.

    POST   /api/v1/pairs/{pair_id}/invites      {"ttl_days": 30} (optional) → the two links, once
    GET    /api/v1/pairs/{pair_id}/invites      every invite's status (never a token): active,
                                                used, declined, revoked, expired
    DELETE /api/v1/pairs/{pair_id}/invites      revoke the unused ones (?role=mentor|participant)

Issuing new invites revokes the pair's unused ones; only a hash of each token is stored.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field

from api.deps import RecordId, SessionDep, StaffDep, actor
from core.settings import Settings, get_settings
from outcomes import invites
from outcomes.contacts import PersonRole
from outcomes.invites import InviteStatus

router = APIRouter(prefix="/pairs", tags=["invites"])


class InviteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ttl_days: int | None = Field(
        default=None, ge=1, le=365, description="Days the links stay valid (default: settings)"
    )


class IssuedInvitePublic(BaseModel):
    token: str
    link: str = Field(description="https://t.me/<bot>?start=<token>: opens the bot")
    expires_at: datetime


class InvitesIssued(BaseModel):
    """The two links, shown once: give each person their own."""

    mentor: IssuedInvitePublic
    participant: IssuedInvitePublic


class InvitePublic(BaseModel):
    id: int
    pair: str
    role: PersonRole
    status: InviteStatus
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    declined_at: datetime | None
    revoked_at: datetime | None


class Revoked(BaseModel):
    revoked: int


def _settings(request: Request) -> Settings:
    found = getattr(request.app.state, "settings", None)
    return found if isinstance(found, Settings) else get_settings()


@router.post("/{pair_id}/invites", status_code=status.HTTP_201_CREATED)
def create_invites(
    pair_id: RecordId,
    request: Request,
    session: SessionDep,
    token: StaffDep,
    body: InviteCreate | None = None,
) -> InvitesIssued:
    """Two new single-use links for the pair (404 unknown pair, 422 ended or erased)."""
    issued = invites.create_invites(
        session,
        pair_id=pair_id,
        actor=actor(token),
        settings=_settings(request),
        ttl_days=body.ttl_days if body else None,
    )
    out = {
        str(role): IssuedInvitePublic(token=i.token, link=i.link, expires_at=i.expires_at)
        for role, i in issued.items()
    }
    return InvitesIssued(**out)


@router.get("/{pair_id}/invites")
def list_invites(pair_id: RecordId, session: SessionDep, _: StaffDep) -> list[InvitePublic]:
    """The pair's invites, newest first, with what became of each (declined ones included)."""
    return [InvitePublic(**vars(v)) for v in invites.list_invites(session, pair_id)]


@router.delete("/{pair_id}/invites")
def revoke_invites(
    pair_id: RecordId, session: SessionDep, token: StaffDep, role: PersonRole | None = None
) -> Revoked:
    """Revoke the pair's unused invites (of one role, or both)."""
    return Revoked(revoked=invites.revoke(session, pair_id=pair_id, actor=actor(token), role=role))
