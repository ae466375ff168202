"""Invites: two single-use deep links per pair, one for the mentor and one for the participant.

    issued = create_invites(session, pair_id="pair-1", actor="staff:anna", settings=settings)
    issued[PersonRole.mentor].link   # https://t.me/<bot_username>?start=<token>
    contact = redeem(session, settings, token=..., user_id=..., chat_id=..., language="ar")
    decline(session, token=...)      # the person said no: only the refusal is recorded
    revoke(session, pair_id="pair-1", actor="staff:anna")

Only the SHA-256 of a token is stored. A token is good until it is used, declined, revoked or
expires (``Settings.invite_ttl_days``). Issuing new invites for a pair revokes its unused ones.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import Session, col, select

from core.settings import Settings
from outcomes.audit import audit
from outcomes.clock import today, utcnow
from outcomes.contacts import Contact, Invite, PersonRole, bind, find_by_user, set_language
from outcomes.errors import Conflict, Invalid
from outcomes.models import Mentor, Pair, Participant
from outcomes.schemas import MentorUpdate, ParticipantUpdate
from outcomes.service import get, update_record

TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")  # what Telegram allows in a start parameter


class InviteStatus(StrEnum):
    active = "active"
    used = "used"
    declined = "declined"
    revoked = "revoked"
    expired = "expired"
    unknown = "unknown"


class InviteUnusable(Invalid):
    """The token cannot be used; ``status`` says why (unknown, used, declined, revoked, expired)."""

    def __init__(self, status: InviteStatus) -> None:
        super().__init__(f"the invite is {status.value}")
        self.status = status


@dataclass(frozen=True)
class IssuedInvite:
    """A fresh invite as shown once to staff: the token, its deep link and when it expires."""

    role: PersonRole
    token: str
    link: str
    expires_at: datetime


@dataclass(frozen=True)
class InviteView:
    """An invite as staff see it later: never the token."""

    id: int
    pair: str
    role: PersonRole
    status: InviteStatus
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    declined_at: datetime | None
    revoked_at: datetime | None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_link(bot_username: str, token: str) -> str:
    """The deep link that opens the bot and sends ``/start <token>``."""
    return f"https://t.me/{bot_username}?start={token}"


def status_of(invite: Invite, now: datetime | None = None) -> InviteStatus:
    """Why an invite can or cannot be used now."""
    now = now or utcnow()
    if invite.used_at is not None:
        return InviteStatus.used
    if invite.declined_at is not None:
        return InviteStatus.declined
    if invite.revoked_at is not None:
        return InviteStatus.revoked
    if invite.expires_at <= now:
        return InviteStatus.expired
    return InviteStatus.active


def _view(invite: Invite) -> InviteView:
    assert invite.id is not None
    return InviteView(
        id=invite.id,
        pair=invite.pair,
        role=PersonRole(invite.role),
        status=status_of(invite),
        created_at=invite.created_at,
        expires_at=invite.expires_at,
        used_at=invite.used_at,
        declined_at=invite.declined_at,
        revoked_at=invite.revoked_at,
    )


def _person_of(pair: Pair, role: PersonRole) -> str:
    return pair.mentor if role == PersonRole.mentor else pair.participant


def _check_pair_open(session: Session, pair: Pair) -> None:
    if pair.ended_on is not None and pair.ended_on < today():
        raise Invalid(f"pair {pair.id!r} ended on {pair.ended_on}")
    if get(session, Participant, pair.participant).erased_on is not None:
        raise Invalid(f"the participant of pair {pair.id!r} has erased their data")
    if get(session, Mentor, pair.mentor).erased_on is not None:
        raise Invalid(f"the mentor of pair {pair.id!r} has erased their data")


def create_invites(
    session: Session, *, pair_id: str, actor: str, settings: Settings, ttl_days: int | None = None
) -> dict[PersonRole, IssuedInvite]:
    """Two new invites for a pair (mentor, participant); the pair's unused ones are revoked."""
    pair = get(session, Pair, pair_id)
    _check_pair_open(session, pair)
    days = settings.invite_ttl_days if ttl_days is None else ttl_days
    if not 1 <= days <= 365:
        raise Invalid("an invite lives between 1 and 365 days")
    revoke(session, pair_id=pair_id, actor=actor)
    now = utcnow()
    issued: dict[PersonRole, IssuedInvite] = {}
    for role in (PersonRole.mentor, PersonRole.participant):
        token = secrets.token_urlsafe(18)
        row = Invite(
            pair=pair_id,
            role=role,
            token_hash=token_hash(token),
            created_at=now,
            created_by=actor[:100],
            expires_at=now + timedelta(days=days),
        )
        session.add(row)
        session.flush()
        audit(
            session,
            actor=actor,
            action="create",
            table_name="invite",
            record_id=str(row.id),
            before=None,
            after={"pair": pair_id, "role": role.value, "expires_at": row.expires_at},
        )
        issued[role] = IssuedInvite(
            role=role,
            token=token,
            link=invite_link(settings.bot_username, token),
            expires_at=row.expires_at,
        )
    return issued


def revoke(session: Session, *, pair_id: str, actor: str, role: PersonRole | None = None) -> int:
    """Revoke a pair's unused invites (of one role, or both); returns how many."""
    get(session, Pair, pair_id)
    query = select(Invite).where(
        Invite.pair == pair_id,
        col(Invite.used_at).is_(None),
        col(Invite.declined_at).is_(None),
        col(Invite.revoked_at).is_(None),
    )
    if role is not None:
        query = query.where(Invite.role == role)
    now = utcnow()
    rows = session.exec(query).all()
    for row in rows:
        row.revoked_at = now
        session.add(row)
        audit(
            session,
            actor=actor,
            action="revoke",
            table_name="invite",
            record_id=str(row.id),
            before=None,
            after={"pair": pair_id, "role": str(row.role)},
        )
    session.flush()
    return len(rows)


def list_invites(session: Session, pair_id: str) -> list[InviteView]:
    """Every invite of a pair with its status (newest first), for staff."""
    get(session, Pair, pair_id)
    rows = session.exec(
        select(Invite).where(Invite.pair == pair_id).order_by(col(Invite.id).desc())
    ).all()
    return [_view(r) for r in rows]


def find(session: Session, token: str) -> Invite | None:
    """The invite of a token, or None (malformed or unknown)."""
    if not TOKEN_PATTERN.fullmatch(token or ""):
        return None
    return session.exec(select(Invite).where(Invite.token_hash == token_hash(token))).first()


def usable(session: Session, token: str) -> Invite:
    """The invite of a token that can be used now, else ``InviteUnusable`` with the reason."""
    invite = find(session, token)
    if invite is None:
        raise InviteUnusable(InviteStatus.unknown)
    status = status_of(invite)
    if status is not InviteStatus.active:
        raise InviteUnusable(status)
    pair = get(session, Pair, invite.pair)
    try:
        _check_pair_open(session, pair)
    except Invalid:
        raise InviteUnusable(InviteStatus.revoked) from None
    return invite


def redeem(
    session: Session, settings: Settings, *, token: str, user_id: int, chat_id: int, language: str
) -> Contact:
    """The person accepted: bind their Telegram user to the invite's role in its pair.

    Refused (``Conflict``) when this Telegram user is already someone else in a pair that is still
    running: one account speaks for one person.
    """
    invite = usable(session, token)
    pair = get(session, Pair, invite.pair)
    person = _person_of(pair, invite.role)
    current = find_by_user(session, settings, user_id)
    if current is not None and current.person != person and current.pair is not None:
        other = session.get(Pair, current.pair)
        if other is not None and (other.ended_on is None or other.ended_on >= today()):
            raise Conflict("this Telegram account already belongs to someone in a running pair")
    now = utcnow()
    invite.used_at = now
    session.add(invite)
    contact = bind(
        session,
        settings,
        user_id=user_id,
        chat_id=chat_id,
        person=person,
        role=invite.role,
        pair=pair.id,
        language=language,
    )
    actor = f"bot:{invite.role}:{person}"
    audit(
        session,
        actor=actor,
        action="redeem",
        table_name="invite",
        record_id=str(invite.id),
        before=None,
        after={"pair": pair.id, "role": str(invite.role)},
    )
    set_person_language(session, contact, language)
    return contact


def decline(session: Session, *, token: str) -> Invite:
    """The person declined: only the refusal is recorded, on the invite, for staff to see."""
    invite = usable(session, token)
    invite.declined_at = utcnow()
    session.add(invite)
    audit(
        session,
        actor=f"bot:{invite.role}:declined",
        action="decline",
        table_name="invite",
        record_id=str(invite.id),
        before=None,
        after={"pair": invite.pair, "role": str(invite.role)},
    )
    session.flush()
    return invite


def set_person_language(session: Session, contact: Contact, language: str) -> None:
    """Record the person's language on their contact and on their outcome record."""
    set_language(session, contact, language)
    actor = f"bot:{contact.role}:{contact.person}"
    if contact.role == PersonRole.participant:
        if get(session, Participant, contact.person).language != language:
            update_record(
                session,
                Participant,
                contact.person,
                ParticipantUpdate(language=language),
                actor=actor,
            )
    elif get(session, Mentor, contact.person).language != language:
        update_record(session, Mentor, contact.person, MentorUpdate(language=language), actor=actor)
