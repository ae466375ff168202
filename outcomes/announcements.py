"""Announcements: one message from the staff to a cohort, its mentors, its participants, or the
pairs with a health flag, each person in their language, sent at most once and recorded.

    preview = preview_announcement(session, AnnouncementCreate(cohort="c-1", audience="cohort",
                                   texts={"sv": "Nytt rum: B12", "ar": "..."}))
    row = create_announcement(session, data, actor="staff:ana")   # snapshots the recipients
    claims = claim_due(engine, worker="w1", limit=60)            # the bot's sender, atomically
    begun = begin_sending(session, claims, worker="w1")          # committed before sending
    finish_sending(session, [(claim, "delivered")])
    cancel_announcement(session, row.id, actor="staff:ana")      # the rest: cancelled
    announcement_counts(session, row.id)                         # {"recipients": …, "sent": …}

The recipients are fixed when the announcement is made: the people of the audience who are
connected to the bot (a ``Contact``), one row each (unique per announcement and person). A
recipient's state goes ``pending`` → ``claimed`` (a sender holds it until its lease runs out) →
``sending`` (recorded and committed before the message goes out) → ``delivered`` (Telegram took
it), ``blocked`` (the person blocked the bot or the chat is gone) or ``sent`` (it went out but
the answer was lost: it may have arrived, and is never sent again). ``cancelled``: the staff
stopped the announcement before it reached the person. A ``sending`` row is never sent again, so
a crash or a restart never doubles a message (at most once). A send that surely did not go out
(the request was refused before Telegram took it) goes back to ``pending`` for a later try.

Each person gets their language's text; without one, the Swedish text and a note in their
language that it is in Swedish (the bot adds the note, ``bot/scheduler.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from sqlalchemy import JSON, Column, Engine, Index, UniqueConstraint, and_, func, update
from sqlmodel import AutoString, Field, Session, SQLModel, col, select
from sqlmodel.main import SQLModelConfig

from core.languages import LANGUAGES
from outcomes.audit import audit
from outcomes.clock import utcnow
from outcomes.contacts import Contact
from outcomes.errors import Invalid, NotFound
from outcomes.health import FLAGS, pair_health
from outcomes.models import ID, LANG, Cohort, Mentor, Participant
from outcomes.schedule import RETRY_AFTER, claim_rows, is_quiet
from outcomes.types import UTCDateTime, table_of

Audience = Literal["cohort", "mentors", "participants", "flag"]
AUDIENCES: tuple[str, ...] = ("cohort", "mentors", "participants", "flag")
SOURCE_LANGUAGE = "sv"  # required; the version of everyone whose language has none
MAX_TEXT = 3500  # characters of one version (Telegram takes 4096, the note needs room)
STATES = ("pending", "claimed", "sending", "sent", "delivered", "blocked", "cancelled")
OPEN = ("pending", "claimed")
_FORBID_SQL = SQLModelConfig(extra="forbid")


# --- the announcement -----------------------------------------------------------------------


class AnnouncementBase(SQLModel):
    cohort: str = Field(foreign_key="cohort.id", index=True, max_length=ID)
    audience: str = Field(sa_type=AutoString, max_length=16)  # one of AUDIENCES
    flag: str | None = Field(default=None, max_length=32)  # a health flag when audience="flag"


class Announcement(AnnouncementBase, table=True):
    """One message from the staff; ``texts`` maps a language to its version (``sv`` always)."""

    id: int | None = Field(default=None, primary_key=True)
    texts: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    state: str = Field(default="sending", max_length=16)  # sending | cancelled
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(max_length=100)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_by: str | None = Field(default=None, max_length=100)


class AnnouncementCreate(AnnouncementBase):
    """What the staff send: the audience and the texts. Unknown fields are refused."""

    model_config = _FORBID_SQL
    audience: Audience
    texts: dict[str, str]
    dry_run: bool = False  # only the preview: who would get which version, nothing stored

    @field_validator("texts")
    @classmethod
    def _texts(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(LANGUAGES))
        if unknown:
            raise ValueError(
                f"the bot does not speak {', '.join(unknown)}; languages: {', '.join(LANGUAGES)}"
            )
        texts = {lang: t.strip() for lang, t in value.items() if t and t.strip()}
        if SOURCE_LANGUAGE not in texts:
            raise ValueError("the Swedish text (sv) is required and must not be empty")
        long = [lang for lang, t in texts.items() if len(t) > MAX_TEXT]
        if long:
            raise ValueError(f"at most {MAX_TEXT} characters per text; too long: {', '.join(long)}")
        return {lang: texts[lang] for lang in LANGUAGES if lang in texts}

    @model_validator(mode="after")
    def _flag(self) -> AnnouncementCreate:
        if self.audience == "flag":
            if self.flag not in FLAGS:
                raise ValueError(f"audience 'flag' needs a flag: one of {', '.join(FLAGS)}")
        elif self.flag is not None:
            raise ValueError("a flag is given only with audience 'flag'")
        return self


class AnnouncementUpdate(BaseModel):
    """The one change after sending began: stop it (the rest is recorded as cancelled)."""

    model_config = ConfigDict(extra="forbid")
    state: Literal["cancelled"]


class AnnouncementPublic(AnnouncementBase):
    id: int
    texts: dict[str, str]
    state: str  # sending | done | cancelled
    created_at: datetime
    created_by: str
    cancelled_at: datetime | None
    counts: dict[str, int]
    by_language: dict[str, dict[str, Any]]


class AnnouncementPreview(BaseModel):
    """Who would get it: ``recipients`` connected people (``not_connected`` get nothing), and per
    language how many and which version (``note``: the Swedish one with a note)."""

    cohort: str
    audience: str
    flag: str | None
    recipients: int
    not_connected: int
    by_language: dict[str, dict[str, Any]]


# --- its recipients -------------------------------------------------------------------------


class AnnouncementRecipient(SQLModel, table=True):
    """One person an announcement goes to; unique per announcement, so it is sent at most once."""

    __tablename__ = "announcement_recipient"
    __table_args__ = (
        UniqueConstraint("announcement", "person", name="uq_announcement_person"),
        Index("ix_announcement_recipient_due", "state", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    announcement: int = Field(foreign_key="announcement.id", index=True)
    person: str = Field(max_length=ID)  # pseudonymous id
    role: str = Field(max_length=16)  # mentor | participant
    language: str = Field(max_length=LANG)  # the person's language when it was made
    state: str = Field(default="pending", max_length=16)  # one of STATES
    due_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


@dataclass(frozen=True)
class Claim:
    """A recipient a sender now holds."""

    id: int
    announcement: int
    person: str


# --- who ------------------------------------------------------------------------------------


def _audience_people(session: Session, data: AnnouncementBase) -> list[tuple[str, str]]:
    """(person, role) of everyone in the audience who is in the program (not erased or left)."""
    if session.get(Cohort, data.cohort) is None:
        raise NotFound(f"cohort {data.cohort!r} does not exist")
    if data.audience == "flag":
        assert data.flag is not None
        pairs, _total = pair_health(
            session, cohort=data.cohort, flag=data.flag, sort="pair", limit=10_000_000
        )
        flagged = [(p.mentor, "mentor") for p in pairs] + [
            (p.participant, "participant") for p in pairs
        ]
        return sorted(set(flagged))
    people: list[tuple[str, str]] = []
    if data.audience in ("cohort", "mentors"):
        mentors = session.exec(
            select(Mentor.id).where(Mentor.cohort == data.cohort, col(Mentor.erased_on).is_(None))
        )
        people += [(m, "mentor") for m in mentors]
    if data.audience in ("cohort", "participants"):
        participants = session.exec(
            select(Participant.id).where(
                Participant.cohort == data.cohort, col(Participant.erased_on).is_(None)
            )
        )
        people += [(p, "participant") for p in participants]
    return sorted(people)


def _connected(session: Session, people: list[tuple[str, str]]) -> dict[str, Contact]:
    ids = [p for p, _r in people]
    found: dict[str, Contact] = {}
    for lo in range(0, len(ids), 900):
        for contact in session.exec(
            select(Contact).where(col(Contact.person).in_(ids[lo : lo + 900]))
        ):
            found[contact.person] = contact
    return found


def version_of(texts: dict[str, str], language: str) -> str:
    """The language whose text a person of ``language`` gets."""
    return language if language in texts else SOURCE_LANGUAGE


def _by_language(texts: dict[str, str], languages: list[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for lang in sorted(
        set(languages), key=lambda x: (LANGUAGES.index(x), x) if x in LANGUAGES else (99, x)
    ):
        version = version_of(texts, lang)
        out[lang] = {
            "recipients": languages.count(lang),
            "version": version,
            "note": version != lang,
        }
    return out


def preview_announcement(session: Session, data: AnnouncementCreate) -> AnnouncementPreview:
    """Who would get the announcement, per language; stores nothing."""
    people = _audience_people(session, data)
    contacts = _connected(session, people)
    languages = [contacts[p].language for p, _r in people if p in contacts]
    return AnnouncementPreview(
        cohort=data.cohort,
        audience=data.audience,
        flag=data.flag,
        recipients=len(languages),
        not_connected=len(people) - len(languages),
        by_language=_by_language(data.texts, languages),
    )


def create_announcement(session: Session, data: AnnouncementCreate, *, actor: str) -> Announcement:
    """Store the announcement and its recipients (the connected people of the audience now);
    the bot's sender starts on them within seconds. ``Invalid`` when no one would get it."""
    people = _audience_people(session, data)
    contacts = _connected(session, people)
    if not contacts:
        raise Invalid("no one in this audience is connected to the bot yet: nothing to send")
    now = utcnow()
    row = Announcement(
        cohort=data.cohort,
        audience=data.audience,
        flag=data.flag,
        texts=data.texts,
        created_at=now,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    values = [
        {
            "announcement": row.id,
            "person": person,
            "role": role,
            "language": contacts[person].language,
            "state": "pending",
            "due_at": now,
            "updated_at": now,
        }
        for person, role in people
        if person in contacts
    ]
    t = table_of(AnnouncementRecipient)
    for lo in range(0, len(values), 1000):
        session.execute(t.insert(), values[lo : lo + 1000])
    audit(
        session,
        actor=actor,
        action="create",
        table_name="announcement",
        record_id=str(row.id),
        before=None,
        after={
            "cohort": data.cohort,
            "audience": data.audience,
            "flag": data.flag,
            "languages": sorted(data.texts),
            "recipients": len(values),
        },
    )
    session.flush()
    return row


def get_announcement(session: Session, announcement_id: int) -> Announcement:
    row = session.get(Announcement, announcement_id)
    if row is None:
        raise NotFound(f"announcement {announcement_id} does not exist")
    return row


def cancel_announcement(session: Session, announcement_id: int, *, actor: str) -> int:
    """Stop an announcement: every recipient not yet begun is recorded as cancelled (returned);
    messages already on their way finish. Cancelling twice changes nothing more."""
    row = get_announcement(session, announcement_id)
    t = table_of(AnnouncementRecipient)
    result = session.exec(
        update(t)
        .where(t.c.announcement == announcement_id, t.c.state.in_(OPEN))
        .values(state="cancelled", claimed_by=None, claimed_until=None, updated_at=utcnow())
    )
    if row.state != "cancelled":
        row.state, row.cancelled_at, row.cancelled_by = "cancelled", utcnow(), actor
        session.add(row)
        audit(
            session,
            actor=actor,
            action="cancel",
            table_name="announcement",
            record_id=str(announcement_id),
            before={"state": "sending"},
            after={"state": "cancelled", "cancelled": int(result.rowcount or 0)},
        )
    session.flush()
    return int(result.rowcount or 0)


def announcement_counts(session: Session, announcement_id: int) -> dict[str, int]:
    """``recipients`` and how many are in each state (``sent``: on its way or sent without an
    answer; ``pending`` counts the claimed ones too)."""
    t = table_of(AnnouncementRecipient)
    rows = session.execute(
        select(t.c.state, func.count())
        .where(t.c.announcement == announcement_id)
        .group_by(t.c.state)
    ).all()
    by_state = {state: int(n) for state, n in rows}
    counts = {
        "recipients": sum(by_state.values()),
        "pending": by_state.get("pending", 0) + by_state.get("claimed", 0),
        "sent": by_state.get("sending", 0) + by_state.get("sent", 0),
        "delivered": by_state.get("delivered", 0),
        "blocked": by_state.get("blocked", 0),
        "cancelled": by_state.get("cancelled", 0),
    }
    return counts


def public(session: Session, row: Announcement) -> AnnouncementPublic:
    """The announcement as the API and the workspace show it, with its counts."""
    assert row.id is not None
    counts = announcement_counts(session, row.id)
    t = table_of(AnnouncementRecipient)
    languages: list[str] = []
    for lang, n in session.execute(
        select(t.c.language, func.count()).where(t.c.announcement == row.id).group_by(t.c.language)
    ).all():
        languages += [lang] * int(n)
    state = row.state
    if state == "sending" and counts["pending"] == 0:
        state = "done"
    return AnnouncementPublic(
        id=row.id,
        cohort=row.cohort,
        audience=row.audience,
        flag=row.flag,
        texts=row.texts,
        state=state,
        created_at=row.created_at,
        created_by=row.created_by,
        cancelled_at=row.cancelled_at,
        counts=counts,
        by_language=_by_language(row.texts, languages),
    )


def list_announcements(
    session: Session, *, cohort: str | None = None, limit: int = 50
) -> list[Announcement]:
    """The newest announcements first."""
    stmt = select(Announcement)
    if cohort is not None:
        stmt = stmt.where(Announcement.cohort == cohort)
    return list(session.exec(stmt.order_by(col(Announcement.id).desc()).limit(limit)))


# --- the sender's side ----------------------------------------------------------------------


def claim_due(
    engine: Engine, *, worker: str, limit: int = 60, now: datetime | None = None
) -> list[Claim]:
    """Atomically take up to ``limit`` recipients due now (none during quiet hours), as
    ``outcomes.schedule.claim_due`` does for check-ins."""
    now = now or utcnow()
    if is_quiet(now):
        return []
    t = table_of(AnnouncementRecipient)
    returning = (t.c.id, t.c.announcement, t.c.person)
    rows = claim_rows(engine, t, returning, worker=worker, limit=limit, now=now)
    return sorted((Claim(*row) for row in rows), key=lambda c: c.id)


def begin_sending(session: Session, claims: list[Claim], *, worker: str) -> set[int]:
    """Mark the claims this worker still holds as ``sending`` (commit before sending); returns
    their ids. One cancelled meanwhile, or taken over after the lease ran out, is left out."""
    if not claims:
        return set()
    t = table_of(AnnouncementRecipient)
    now = utcnow()
    rows = session.execute(
        update(t)
        .where(
            t.c.id.in_([c.id for c in claims]),
            t.c.state == "claimed",
            t.c.claimed_by == worker,
        )
        .values(state="sending", updated_at=now)
        .returning(t.c.id)
    ).all()
    return {int(r[0]) for r in rows}


def finish_sending(
    session: Session, results: list[tuple[Claim, str]], *, now: datetime | None = None
) -> None:
    """Record the outcomes of begun sends: ``delivered``, ``blocked``, ``sent`` (uncertain), or
    ``failed`` (surely not sent: pending again, due after ``RETRY_AFTER``)."""
    now = now or utcnow()
    t = table_of(AnnouncementRecipient)
    by_outcome: dict[str, list[int]] = {}
    for claim, outcome in results:
        by_outcome.setdefault(outcome, []).append(claim.id)
    for outcome, ids in by_outcome.items():
        for lo in range(0, len(ids), 900):
            chunk = ids[lo : lo + 900]
            where = and_(t.c.id.in_(chunk), t.c.state == "sending")
            if outcome == "failed":
                values: dict[str, Any] = {
                    "state": "pending",
                    "due_at": now + RETRY_AFTER,
                    "claimed_by": None,
                    "claimed_until": None,
                }
            else:
                values = {"state": outcome, "sent_at": now, "claimed_until": None}
            session.execute(update(t).where(where).values(updated_at=now, **values))


def release(session: Session, ids: list[int], worker: str) -> None:
    """Give back claims not begun (the sender is stopping): due at once for the next."""
    if not ids:
        return
    t = table_of(AnnouncementRecipient)
    session.execute(
        update(t)
        .where(t.c.id.in_(ids), t.c.state == "claimed", t.c.claimed_by == worker)
        .values(state="pending", claimed_by=None, claimed_until=None, updated_at=utcnow())
    )


def close_unreachable(session: Session, ids: list[int]) -> None:
    """Recipients who can no longer be reached (contact gone, erased): recorded as blocked."""
    if not ids:
        return
    t = table_of(AnnouncementRecipient)
    session.execute(
        update(t)
        .where(t.c.id.in_(ids), t.c.state.in_(("claimed", "sending")))
        .values(state="blocked", claimed_until=None, updated_at=utcnow())
    )


def texts_of(session: Session, ids: set[int]) -> dict[int, dict[str, str]]:
    """The texts of these announcements."""
    rows = session.exec(select(Announcement).where(col(Announcement.id).in_(ids)))
    return {r.id: r.texts for r in rows if r.id is not None}


__all__ = [
    "AUDIENCES",
    "Announcement",
    "AnnouncementCreate",
    "AnnouncementPreview",
    "AnnouncementPublic",
    "AnnouncementRecipient",
    "AnnouncementUpdate",
    "Claim",
    "announcement_counts",
    "begin_sending",
    "cancel_announcement",
    "claim_due",
    "close_unreachable",
    "create_announcement",
    "finish_sending",
    "get_announcement",
    "list_announcements",
    "preview_announcement",
    "public",
    "release",
    "texts_of",
    "version_of",
]
