"""How the bot reaches people, kept apart from the outcome records.

A person in the outcome records is a pseudonymous id (``Participant.id`` / ``Mentor.id``). The
bot needs the Telegram chat id to write to someone first (check-ins, reminders), so it lives here
and nowhere else: encrypted at rest with Fernet (key ``Settings.secret("contact_key")``) and found
through a keyed HMAC-SHA256 of the Telegram user id (key ``Settings.secret("hmac_key")``). A
contact row exists only after the person gave consent; a refusal is recorded on the invite only.

    key = user_key(settings, user_id)                 # what the database knows of a Telegram user
    contact = find_by_user(session, settings, user_id)
    chat_id = chat_id_of(session, settings, "p-17")   # for a first message (None: not reachable)

Also here: the invite tokens (only their SHA-256) and the anonymous event counts that erasure
leaves behind (``outcomes/privacy.py``).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import UniqueConstraint
from sqlmodel import AutoString, Field, Session, SQLModel, col, select

from core.settings import Settings
from outcomes.clock import utcnow
from outcomes.models import ID, LANG
from outcomes.types import UTCDateTime


class PersonRole(StrEnum):
    mentor = "mentor"
    participant = "participant"


class Contact(SQLModel, table=True):
    """A person's Telegram binding: found by HMAC of the user id, chat id encrypted."""

    id: int | None = Field(default=None, primary_key=True)
    person: str = Field(max_length=ID, unique=True)  # Participant.id or Mentor.id
    role: PersonRole = Field(sa_type=AutoString, max_length=16)
    pair: str | None = Field(default=None, foreign_key="pair.id", index=True, max_length=ID)
    user_key: str = Field(max_length=64, unique=True)  # HMAC-SHA256 hex of the Telegram user id
    chat_enc: str = Field(max_length=400)  # Fernet token of the chat id
    language: str = Field(max_length=LANG)
    consent: str = Field(default="given", max_length=16)
    consented_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Invite(SQLModel, table=True):
    """A single-use invite to bind a Telegram user to one role in one pair; the token is hashed."""

    id: int | None = Field(default=None, primary_key=True)
    pair: str = Field(foreign_key="pair.id", index=True, max_length=ID)
    role: PersonRole = Field(sa_type=AutoString, max_length=16)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(max_length=100)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    declined_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ErasedEventCount(SQLModel, table=True):
    """What remains of erased people's events: counts per cohort and type, naming nobody."""

    __tablename__ = "erased_event_count"
    __table_args__ = (UniqueConstraint("cohort", "type", name="uq_erased_cohort_type"),)

    id: int | None = Field(default=None, primary_key=True)
    cohort: str = Field(max_length=ID)
    type: str = Field(max_length=40)
    count: int = 0


# --- keys -----------------------------------------------------------------------------------


def _hmac(key: bytes, user_id: int) -> str:
    return hmac.new(key, str(int(user_id)).encode(), hashlib.sha256).hexdigest()


def user_key(settings: Settings, user_id: int) -> str:
    """The keyed HMAC-SHA256 (hex) of a Telegram user id: all the database knows of the account."""
    return _hmac(settings.secret("hmac_key"), user_id)


def user_keys(settings: Settings, user_id: int) -> list[str]:
    """The user's HMAC under every configured key, the current one first (during a rotation)."""
    return [_hmac(key, user_id) for key in settings.secrets_of("hmac_key")]


@cache
def _fernet(keys: tuple[bytes, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _contact_fernet(settings: Settings) -> MultiFernet:
    """Encrypts with the current contact key, decrypts with any configured one."""
    return _fernet(tuple(settings.secrets_of("contact_key")))


def encrypt_chat_id(settings: Settings, chat_id: int) -> str:
    """The chat id encrypted with the contact key."""
    return _contact_fernet(settings).encrypt(str(int(chat_id)).encode()).decode()


def decrypt_chat_id(settings: Settings, token: str) -> int | None:
    """The chat id back, or None when the token is not ours (another key, tampered)."""
    try:
        return int(_contact_fernet(settings).decrypt(token.encode()))
    except (InvalidToken, ValueError):
        return None


# --- bind, find, unbind ---------------------------------------------------------------------


def find_by_user(session: Session, settings: Settings, user_id: int) -> Contact | None:
    """The contact of a Telegram user, or None (not invited, declined, or erased).

    During a key rotation a contact found under an older HMAC key moves to the current one.
    """
    keys = user_keys(settings, user_id)
    if len(keys) == 1:
        return session.exec(select(Contact).where(Contact.user_key == keys[0])).first()
    found = session.exec(select(Contact).where(col(Contact.user_key).in_(keys))).all()
    if not found:
        return None
    contact = min(found, key=lambda c: keys.index(c.user_key))
    if contact.user_key != keys[0]:
        contact.user_key = keys[0]
        session.add(contact)
        session.flush()
    return contact


def find_by_person(session: Session, person: str) -> Contact | None:
    """The contact of a person by pseudonymous id, or None."""
    return session.exec(select(Contact).where(Contact.person == person)).first()


def chat_id_of(session: Session, settings: Settings, person: str) -> int | None:
    """The Telegram chat id to write to a person first, or None when they cannot be reached."""
    contact = find_by_person(session, person)
    if contact is None:
        return None
    return decrypt_chat_id(settings, contact.chat_enc)


def bind(
    session: Session,
    settings: Settings,
    *,
    user_id: int,
    chat_id: int,
    person: str,
    role: PersonRole,
    pair: str,
    language: str,
) -> Contact:
    """Bind a Telegram user to a person (after consent); an earlier binding of either is replaced."""
    keys = user_keys(settings, user_id)
    key = keys[0]
    for old in session.exec(
        select(Contact).where(col(Contact.user_key).in_(keys) | (col(Contact.person) == person))
    ).all():
        session.delete(old)
    session.flush()
    now = utcnow()
    contact = Contact(
        person=person,
        role=role,
        pair=pair,
        user_key=key,
        chat_enc=encrypt_chat_id(settings, chat_id),
        language=language,
        consent="given",
        consented_at=now,
        updated_at=now,
    )
    session.add(contact)
    session.flush()
    return contact


def set_language(session: Session, contact: Contact, language: str) -> Contact:
    """Remember the language the person chose."""
    contact.language = language
    contact.updated_at = utcnow()
    session.add(contact)
    session.flush()
    return contact


def unbind(session: Session, person: str) -> int:
    """Remove a person's Telegram binding (chat id and user key gone); returns rows removed."""
    rows = session.exec(select(Contact).where(Contact.person == person)).all()
    for row in rows:
        session.delete(row)
    session.flush()
    return len(rows)


# --- key rotation ---------------------------------------------------------------------------


@dataclass
class Rotation:
    """What ``rotate_keys`` did: contacts moved to the current keys, and those it could not read."""

    contacts: int = 0
    rotated: int = 0
    unreadable: list[str] = field(default_factory=list)  # no configured key reads the chat id
    not_rekeyed: list[str] = field(default_factory=list)  # the user key did not match the chat id


def rotate_keys(session: Session, settings: Settings) -> Rotation:
    """Re-encrypt every chat id and re-key every user under the current keys.

    The bot serves private chats only, where Telegram's chat id is the user id, so the user's
    HMAC can be recomputed from the chat id; it is, only where the stored HMAC proves it (it
    matches the chat id under one of the configured keys). A contact whose chat id no configured
    key can read is left alone and reported. Afterwards the older keys can be removed.
    """
    report = Rotation()
    for contact in session.exec(select(Contact).order_by(col(Contact.id))).all():
        report.contacts += 1
        chat_id = decrypt_chat_id(settings, contact.chat_enc)
        if chat_id is None:
            report.unreadable.append(contact.person)
            continue
        keys = user_keys(settings, chat_id)
        contact.chat_enc = encrypt_chat_id(settings, chat_id)
        if contact.user_key in keys:
            contact.user_key = keys[0]
        else:
            report.not_rekeyed.append(contact.person)
        session.add(contact)
        report.rotated += 1
    session.flush()
    return report
