"""Group meetings of a cohort: the kick-off and the two workshops, from planning to attendance.

    meeting = plan(session, GroupMeetingCreate(cohort="c-1", kind="kickoff", starts_at=…,
                   place="Stadsbiblioteket"), actor="staff:anna")
    answer(session, meeting_id=meeting.id, person="p-3", coming=True)   # the bot's buttons
    check_in(session, person="p-3", code="482913")                      # the code shown there
    mark_attendance(session, meeting_id=meeting.id, person="m-3", attended=True, actor=…)
    counts(session, meeting.id)   # {"invited": 60, "yes": 41, "no": 9, "no_answer": 10, …}

Planning invites every connected person of the cohort (a ``Contact`` of one of its pairs that has
not ended) in the same transaction: a ``GroupMeetingPerson`` row each, and two items of the
schedule (``outcomes/schedule.py``) for the bot's sender — the invitation (kind ``INVITE``, due
now, shifted out of quiet hours) and the reminder (kind ``REMINDER``, the day before the meeting,
never between 21:00 and 08:00). Both are keyed by (pair, role, kind, meeting id), so the
sender's at-most-once rule holds for them as for the check-ins, and a restart doubles nothing.
The reminder goes only to those whose answer is "yes" when it is due (the sender asks
``wants_reminder``); the others' items are closed unsent.

Answers can be changed until the meeting starts; one row per person, so a change of mind is
counted once. Attendance is per person; a participant who attended gives their pair a
``Meeting`` of the meeting's kind on its day (``service.log_meeting``, audited), and unmarking
removes it again.
"""

from __future__ import annotations

import secrets
import unicodedata
from datetime import datetime, time, timedelta
from typing import Any

from pydantic import field_validator
from sqlalchemy import JSON, Column, UniqueConstraint, func
from sqlalchemy import select as sa_select
from sqlmodel import AutoString, Field, Session, SQLModel, col, select

from core.languages import DEFAULT_LANGUAGE, LANGUAGES
from core.vocab import MeetingKind
from outcomes.audit import audit
from outcomes.clock import STOCKHOLM, today, utcnow
from outcomes.contacts import Contact
from outcomes.errors import Invalid, NotFound
from outcomes.models import ID, Cohort, Meeting, Pair, Participant
from outcomes.schedule import QUIET_FROM, QUIET_UNTIL, allowed_time
from outcomes.schedule_models import ScheduledItem
from outcomes.types import UTCDateTime

INVITE = "group_invite"  # ScheduledItem.kind of an invitation (sequence: the meeting's id)
REMINDER = "group_reminder"  # ScheduledItem.kind of the reminder the day before
KINDS = (INVITE, REMINDER)
GROUP_KINDS = (MeetingKind.kickoff, MeetingKind.workshop_interview, MeetingKind.workshop_networking)
DEFAULT_LENGTH = timedelta(hours=3)  # a meeting without an end lasts this long
MAX_LENGTH = timedelta(days=1)
MAX_AHEAD = timedelta(days=2 * 366)  # a start further ahead is a typo in the year
CHECK_IN_EARLY = timedelta(minutes=30)  # the code works from this long before the start
CODE_DIGITS = 6
MAX_PLACE = 300
MAX_NOTE = 1000


# --- tables ---------------------------------------------------------------------------------


class GroupMeetingBase(SQLModel):
    cohort: str = Field(foreign_key="cohort.id", index=True, max_length=ID)
    kind: MeetingKind = Field(sa_type=AutoString, max_length=32)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    place: str = Field(max_length=MAX_PLACE)  # a room and address, or a video link


class GroupMeetingCreate(GroupMeetingBase):
    """What staff give: ``note`` is a text per language (``{"sv": …, "en": …}``); a plain text
    is the Swedish note."""

    note: dict[str, str] | str | None = None

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give the time with a time zone, e.g. 2025-03-01T17:30:00+01:00")
        return value

    @field_validator("place")
    @classmethod
    def _place(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("give a place or a video link")
        return value


class GroupMeeting(GroupMeetingBase, table=True):
    """A kick-off or workshop planned for a cohort; ``code`` is the check-in code shown there."""

    __tablename__ = "group_meeting"

    id: int | None = Field(default=None, primary_key=True)
    note: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    code: str = Field(max_length=CODE_DIGITS)
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class GroupMeetingPerson(SQLModel, table=True):
    """One person's invitation, answer and attendance (``response``: yes | no | None)."""

    __tablename__ = "group_meeting_person"
    __table_args__ = (UniqueConstraint("meeting_id", "person", name="uq_group_meeting_person"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="group_meeting.id", index=True)
    person: str = Field(max_length=ID, index=True)  # pseudonymous id of a participant or mentor
    role: str = Field(max_length=16)  # participant | mentor
    pair: str | None = Field(default=None, foreign_key="pair.id", max_length=ID)
    invited_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    response: str | None = Field(default=None, max_length=8)
    responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attended: bool = False
    attended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attended_via: str | None = Field(default=None, max_length=16)  # staff | code


class GroupMeetingUpdate(SQLModel):
    """Nothing is changed through this yet; kept for the table family's shape."""


class Counts(SQLModel):
    invited: int = 0
    yes: int = 0
    no: int = 0
    no_answer: int = 0
    attended: int = 0


class GroupMeetingPublic(GroupMeetingBase):
    id: int
    ends_at: datetime
    note: dict[str, str]
    code: str
    created_by: str
    created_at: datetime
    counts: Counts


class AttendancePublic(SQLModel):
    person: str
    role: str
    pair: str | None
    response: str | None
    attended: bool
    attended_via: str | None


# --- time -----------------------------------------------------------------------------------


def ends_of(meeting: GroupMeeting) -> datetime:
    return meeting.ends_at or meeting.starts_at + DEFAULT_LENGTH


def reminder_time(starts_at: datetime) -> datetime:
    """The same time of day on the day before (local time), moved inside 08:00–21:00 of that
    day: a 07:30 meeting is reminded of at 08:00, a 22:00 one at 20:00 the evening before."""
    start = starts_at.astimezone(STOCKHOLM)
    local = datetime.combine(start.date() - timedelta(days=1), start.time(), STOCKHOLM)
    if local.time() < QUIET_UNTIL:
        local = datetime.combine(local.date(), QUIET_UNTIL, STOCKHOLM)
    elif local.time() >= QUIET_FROM:
        local = datetime.combine(local.date(), time(QUIET_FROM.hour - 1), STOCKHOLM)
    return local.astimezone(starts_at.tzinfo)


# --- planning -------------------------------------------------------------------------------


def _note(value: dict[str, str] | str | None) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        value = {DEFAULT_LANGUAGE: value}
    out: dict[str, str] = {}
    for lang, text in value.items():
        if lang not in LANGUAGES:
            raise Invalid(
                f"the bot does not speak {lang!r}; a note can be in {', '.join(LANGUAGES)}"
            )
        text = text.strip()
        if len(text) > MAX_NOTE:
            raise Invalid(f"the {lang} note is longer than {MAX_NOTE} characters")
        if text:
            out[lang] = text
    return out


def _new_code(session: Session, now: datetime) -> str:
    """A code no meeting still open (not yet ended) uses."""
    taken = {
        m.code
        for m in session.exec(
            select(GroupMeeting).where(col(GroupMeeting.starts_at) > now - timedelta(days=2))
        )
    }
    while True:
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        if code not in taken:
            return code


def invitees(session: Session, cohort: str) -> list[tuple[str, str, str]]:
    """(person, role, pair) of every connected person of the cohort's pairs still running."""
    day = today()
    rows = session.exec(
        select(Contact.person, Contact.role, Contact.pair)
        .join(Pair, col(Pair.id) == col(Contact.pair))
        .join(Participant, col(Participant.id) == col(Pair.participant))
        .where(
            col(Participant.cohort) == cohort,
            col(Participant.erased_on).is_(None),
            (col(Pair.ended_on).is_(None)) | (col(Pair.ended_on) >= day),
            (col(Participant.left_on).is_(None)) | (col(Participant.left_on) >= day),
        )
        .order_by(col(Contact.person))
    ).all()
    return [(person, str(role), pair) for person, role, pair in rows if pair is not None]


def _invite(
    session: Session, meeting: GroupMeeting, *, person: str, role: str, pair: str, now: datetime
) -> None:
    """One person's invitation row and the sender's two items (invitation, reminder)."""
    assert meeting.id is not None
    session.add(
        GroupMeetingPerson(
            meeting_id=meeting.id, person=person, role=role, pair=pair, invited_at=now
        )
    )
    invite_at, remind_at = allowed_time(now), reminder_time(meeting.starts_at)
    for kind, due in ((INVITE, invite_at), (REMINDER, remind_at)):
        if kind == REMINDER and remind_at <= invite_at:
            continue  # planned less than a day ahead: the invitation is the reminder
        session.add(
            ScheduledItem(
                pair=pair, role=role, person=person, kind=kind, sequence=meeting.id, due_at=due
            )
        )


def plan(
    session: Session, data: GroupMeetingCreate, *, actor: str, now: datetime | None = None
) -> GroupMeeting:
    """Plan a meeting and invite the cohort (the invitations are due at once); audited."""
    now = now or utcnow()
    if session.get(Cohort, data.cohort) is None:
        raise NotFound(f"cohort {data.cohort!r} does not exist")
    if data.kind not in GROUP_KINDS:
        raise Invalid(f"a group meeting is one of {', '.join(GROUP_KINDS)}, not {data.kind!r}")
    if data.starts_at <= now:
        raise Invalid("the meeting starts in the past; give a time still to come")
    if data.starts_at > now + MAX_AHEAD:
        raise Invalid("the meeting starts more than two years from now; check the year")
    if data.ends_at is not None and data.ends_at <= data.starts_at:
        raise Invalid("the meeting ends before it starts")
    if data.ends_at is not None and data.ends_at > data.starts_at + MAX_LENGTH:
        raise Invalid("the meeting ends more than a day after it starts")
    meeting = GroupMeeting(
        cohort=data.cohort,
        kind=data.kind,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        place=data.place,
        note=_note(data.note),
        code=_new_code(session, now),
        created_by=actor,
        created_at=now,
    )
    session.add(meeting)
    session.flush()
    assert meeting.id is not None
    people = invitees(session, data.cohort)
    for person, role, pair in people:
        _invite(session, meeting, person=person, role=role, pair=pair, now=now)
    audit(
        session,
        actor=actor,
        action="create",
        table_name="group_meeting",
        record_id=str(meeting.id),
        before=None,
        after={**meeting.model_dump(mode="json"), "invited": len(people)},
    )
    session.flush()
    return meeting


def invite_newcomer(
    session: Session, *, person: str, role: str, pair: str, now: datetime | None = None
) -> int:
    """Someone connected after the planning: invite them to their cohort's meetings still to
    come (the same invitation and reminder items). Returns the meetings they were invited to."""
    now = now or utcnow()
    pair_row = session.get(Pair, pair)
    participant = session.get(Participant, pair_row.participant) if pair_row else None
    if participant is None:
        return 0
    invited = 0
    for meeting in session.exec(
        select(GroupMeeting).where(
            col(GroupMeeting.cohort) == participant.cohort, col(GroupMeeting.starts_at) > now
        )
    ):
        assert meeting.id is not None
        if _row(session, meeting.id, person) is not None:
            continue
        _invite(session, meeting, person=person, role=role, pair=pair, now=now)
        invited += 1
    session.flush()
    return invited


# --- reading --------------------------------------------------------------------------------


def get(session: Session, meeting_id: int) -> GroupMeeting:
    meeting = session.get(GroupMeeting, meeting_id)
    if meeting is None:
        raise NotFound(f"group meeting {meeting_id} does not exist")
    return meeting


def counts(session: Session, meeting_id: int) -> Counts:
    """Invited, yes, no, no answer (invited, not answered) and attended."""
    t = GroupMeetingPerson
    invited = col(t.invited_at).is_not(None)
    row = session.execute(
        sa_select(
            func.count().filter(invited),
            func.count().filter(invited, col(t.response) == "yes"),
            func.count().filter(invited, col(t.response) == "no"),
            func.count().filter(invited, col(t.response).is_(None)),
            func.count().filter(col(t.attended)),
        ).where(col(t.meeting_id) == meeting_id)
    ).one()
    return Counts(invited=row[0], yes=row[1], no=row[2], no_answer=row[3], attended=row[4])


def public(session: Session, meeting: GroupMeeting) -> GroupMeetingPublic:
    assert meeting.id is not None
    return GroupMeetingPublic(
        id=meeting.id,
        cohort=meeting.cohort,
        kind=meeting.kind,
        starts_at=meeting.starts_at,
        ends_at=ends_of(meeting),
        place=meeting.place,
        note=dict(meeting.note),
        code=meeting.code,
        created_by=meeting.created_by,
        created_at=meeting.created_at,
        counts=counts(session, meeting.id),
    )


def of_cohort(session: Session, cohort: str) -> list[GroupMeeting]:
    if session.get(Cohort, cohort) is None:
        raise NotFound(f"cohort {cohort!r} does not exist")
    return list(
        session.exec(
            select(GroupMeeting)
            .where(col(GroupMeeting.cohort) == cohort)
            .order_by(col(GroupMeeting.starts_at), col(GroupMeeting.id))
        )
    )


def people(session: Session, meeting_id: int) -> list[GroupMeetingPerson]:
    return list(
        session.exec(
            select(GroupMeetingPerson)
            .where(col(GroupMeetingPerson.meeting_id) == meeting_id)
            .order_by(col(GroupMeetingPerson.role), col(GroupMeetingPerson.person))
        )
    )


def note_for(meeting: GroupMeeting, lang: str) -> str | None:
    """The note in ``lang``, else the Swedish one, else none."""
    return meeting.note.get(lang) or meeting.note.get(DEFAULT_LANGUAGE)


def _row(session: Session, meeting_id: int, person: str) -> GroupMeetingPerson | None:
    return session.exec(
        select(GroupMeetingPerson).where(
            col(GroupMeetingPerson.meeting_id) == meeting_id,
            col(GroupMeetingPerson.person) == person,
        )
    ).first()


def wants_reminder(session: Session, meeting_id: int, person: str) -> bool:
    """The reminder is due: does this person still say yes (and has it not started)?"""
    meeting = session.get(GroupMeeting, meeting_id)
    row = _row(session, meeting_id, person)
    return (
        meeting is not None
        and meeting.starts_at > utcnow()
        and row is not None
        and row.response == "yes"
    )


# --- answers --------------------------------------------------------------------------------


def answer(
    session: Session, *, meeting_id: int, person: str, coming: bool, now: datetime | None = None
) -> GroupMeetingPerson:
    """The person's answer (the latest counts); ``Invalid`` once the meeting has started."""
    now = now or utcnow()
    meeting = get(session, meeting_id)
    row = _row(session, meeting_id, person)
    if row is None:
        raise NotFound(f"{person!r} is not invited to group meeting {meeting_id}")
    if now >= meeting.starts_at:
        raise Invalid("the meeting has started; the answers are closed")
    row.response, row.responded_at = ("yes" if coming else "no"), now
    session.add(row)
    session.flush()
    return row


# --- attendance -----------------------------------------------------------------------------


def _held_on(meeting: GroupMeeting) -> Any:
    return meeting.starts_at.astimezone(STOCKHOLM).date()


def _set_attended(
    session: Session,
    meeting: GroupMeeting,
    row: GroupMeetingPerson,
    *,
    attended: bool,
    via: str,
    actor: str,
    now: datetime,
) -> bool:
    """Store one person's attendance; False when nothing changed."""
    from outcomes.schemas import MeetingCreate
    from outcomes.service import log_meeting, remove_meeting

    if row.attended == attended:
        return False
    before = {"attended": row.attended, "attended_via": row.attended_via}
    row.attended = attended
    row.attended_at, row.attended_via = (now, via) if attended else (None, None)
    session.add(row)
    audit(
        session,
        actor=actor,
        action="attendance",
        table_name="group_meeting_person",
        record_id=f"{meeting.id}:{row.person}",
        before=before,
        after={"attended": row.attended, "attended_via": row.attended_via},
    )
    if row.role == "participant" and row.pair is not None:
        if attended:
            log_meeting(
                session,
                meeting=MeetingCreate(
                    pair=row.pair, held_on=_held_on(meeting), kind=meeting.kind, activities=[]
                ),
                logged_by="staff" if via == "staff" else "participant",
                actor=actor,
            )
        else:
            found = session.exec(
                select(Meeting).where(
                    col(Meeting.pair) == row.pair,
                    col(Meeting.held_on) == _held_on(meeting),
                    col(Meeting.kind) == meeting.kind,
                )
            ).first()
            if found is not None:
                remove_meeting(session, meeting_id=found.id, actor=actor)
    session.flush()
    return True


def mark_attendance(
    session: Session,
    *,
    meeting_id: int,
    person: str,
    attended: bool,
    actor: str,
    now: datetime | None = None,
) -> GroupMeetingPerson:
    """Staff mark (or unmark) one invited person as present; audited."""
    now = now or utcnow()
    meeting = get(session, meeting_id)
    row = _row(session, meeting_id, person)
    if row is None:
        raise NotFound(f"{person!r} is not invited to group meeting {meeting_id}")
    if attended and now < meeting.starts_at - CHECK_IN_EARLY:
        raise Invalid("the meeting has not started yet; attendance is marked from its start")
    _set_attended(session, meeting, row, attended=attended, via="staff", actor=actor, now=now)
    return row


def normalise_code(text: str) -> str | None:
    """The digits of a message that is only a check-in code (any script's digits, spaces and
    dashes allowed), else None."""
    digits = []
    for ch in text.strip():
        if ch in " -":
            continue
        if not ch.isdigit():
            return None
        digits.append(str(unicodedata.digit(ch)))
    code = "".join(digits)
    return code if len(code) == CODE_DIGITS else None


def open_meeting_with_code(
    session: Session, *, cohort: str, code: str, now: datetime | None = None
) -> GroupMeeting | None:
    """The cohort's meeting with this code whose check-in window is open now."""
    now = now or utcnow()
    for meeting in session.exec(
        select(GroupMeeting).where(
            col(GroupMeeting.cohort) == cohort,
            col(GroupMeeting.code) == code,
            col(GroupMeeting.starts_at) <= now + CHECK_IN_EARLY,
        )
    ):
        if now <= ends_of(meeting):
            return meeting
    return None


def check_in(
    session: Session,
    *,
    person: str,
    role: str,
    pair: str,
    code: str,
    actor: str,
    now: datetime | None = None,
) -> tuple[GroupMeeting, bool] | None:
    """A person sent a check-in code: (meeting, newly marked), or None (no open meeting of
    their cohort has that code). Someone not invited (joined later) is added as present."""
    now = now or utcnow()
    pair_row = session.get(Pair, pair)
    participant = session.get(Participant, pair_row.participant) if pair_row else None
    if participant is None:
        return None
    meeting = open_meeting_with_code(session, cohort=participant.cohort, code=code, now=now)
    if meeting is None:
        return None
    assert meeting.id is not None
    row = _row(session, meeting.id, person)
    if row is None:
        row = GroupMeetingPerson(meeting_id=meeting.id, person=person, role=role, pair=pair)
        session.add(row)
        session.flush()
    changed = _set_attended(session, meeting, row, attended=True, via="code", actor=actor, now=now)
    return meeting, changed
