"""Retention: data kept no longer than needed (GDPR art. 5(1)(e)), per table, from ``Settings``.

    lines = plan(session, settings)                 # what would go now: per table, count, cut-off
    lines = apply(session, settings, actor="cli")   # remove it; one audit entry; the caller commits
    run = run_daily(engine, settings, worker="host:pid")   # the bot's daily job (claims the day)

The rules (``Settings.retention_*``; a person's *round* ends when their last pair ends — the
pair's ``ended_on``, else the end of its cohort; a person without a pair: their cohort's end):

| table | goes | setting |
| --- | --- | --- |
| ``contact`` (encrypted chat id, user key), ``invite`` | N days after the round ended | ``retention_contact_days`` (90) |
| ``bot_conversation``, ``bot_survey_skip`` | N days after the round ended | ``retention_conversation_days`` (90) |
| ``delivery`` (messages the schedule sent) | N months after it was sent | ``retention_delivery_months`` (12) |

Handled update ids (``bot_processed_update``) are forgotten after 14 days by the bot itself
(``bot/state.prune_processed``). The pseudonymous outcome records (participants, mentors, pairs,
events, surveys, meetings, the schedule, the audit log) are kept for reporting.

A row goes when its day is *before* the cut-off (``cut-off = today − N days``, or ``now − N
months`` for times), so on the cut-off day itself it is still there. ``apply`` writes what it removed — counts per table and the cut-offs, no personal
data — to the audit log, and for every contact removed a ``RetentionNotice`` (the user key, the
role and the dates only) so that ``/mydata`` can tell that person what went and when.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, Select, delete, exists, func, union_all
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from core.settings import Settings
from outcomes.audit import audit
from outcomes.clock import STOCKHOLM, utcnow
from outcomes.contacts import Contact, Invite, user_keys
from outcomes.conversations import Conversation
from outcomes.models import Cohort, Mentor, Pair, Participant
from outcomes.retention_models import RetentionNotice, RetentionRun
from outcomes.schedule_models import Delivery
from outcomes.survey_skips import SurveySkip

ACTOR = "retention"


@dataclass(frozen=True)
class Line:
    """One table's share of a retention run: how many rows go and from when."""

    table: str
    count: int
    cutoff: date | datetime  # rows before this go
    rule: str  # e.g. "90 days after the round ended"

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "count": self.count,
            "cutoff": self.cutoff.isoformat(),
            "rule": self.rule,
        }


def months_before(moment: datetime, months: int) -> datetime:
    """The same time ``months`` calendar months earlier (the 31st becomes the month's last day)."""
    total = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(total, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


# --- when each person's round ended ---------------------------------------------------------


def round_ends() -> Any:
    """A subquery (person, end): the day each participant's and mentor's round ended."""
    pair_end = func.coalesce(col(Pair.ended_on), col(Cohort.end))
    pairs = (
        sa_select(
            col(Pair.id).label("pair"),
            col(Pair.participant).label("participant"),
            col(Pair.mentor).label("mentor"),
            pair_end.label("end"),
        )
        .join(Participant, col(Participant.id) == col(Pair.participant))
        .join(Cohort, col(Cohort.id) == col(Participant.cohort))
        .subquery("pair_ends")
    )
    unpaired_p: Select[Any] = (
        sa_select(col(Participant.id).label("person"), col(Cohort.end).label("end"))
        .join(Cohort, col(Cohort.id) == col(Participant.cohort))
        .where(~exists().where(col(Pair.participant) == col(Participant.id)))
    )
    unpaired_m: Select[Any] = (
        sa_select(col(Mentor.id).label("person"), col(Cohort.end).label("end"))
        .join(Cohort, col(Cohort.id) == col(Mentor.cohort))
        .where(~exists().where(col(Pair.mentor) == col(Mentor.id)))
    )
    people = union_all(
        sa_select(pairs.c.participant.label("person"), pairs.c.end),
        sa_select(pairs.c.mentor.label("person"), pairs.c.end),
        unpaired_p,
        unpaired_m,
    ).subquery("people")
    return (
        sa_select(people.c.person, func.max(people.c.end).label("end"))
        .group_by(people.c.person)
        .subquery("round_ends")
    )


def pair_ends() -> Any:
    """A subquery (pair, end): the day each pair's round ended."""
    return (
        sa_select(
            col(Pair.id).label("pair"),
            func.coalesce(col(Pair.ended_on), col(Cohort.end)).label("end"),
        )
        .join(Participant, col(Participant.id) == col(Pair.participant))
        .join(Cohort, col(Cohort.id) == col(Participant.cohort))
        .subquery("pair_ends")
    )


def _gone_people(cutoff: date) -> Select[Any]:
    ends = round_ends()
    return sa_select(ends.c.person).where(ends.c.end < cutoff)


# --- the rules ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    table: str
    where: Callable[[date | datetime], ColumnElement[bool]]
    model: type[Any]


def _cutoffs(settings: Settings, now: datetime) -> dict[str, tuple[date | datetime, str]]:
    today = now.astimezone(STOCKHOLM).date()
    contact = settings.retention_contact_days
    conversation = settings.retention_conversation_days
    months = settings.retention_delivery_months
    after_round = "days after the round ended"
    return {
        "contact": (today - timedelta(days=contact), f"{contact} {after_round}"),
        "invite": (today - timedelta(days=contact), f"{contact} {after_round}"),
        "bot_conversation": (today - timedelta(days=conversation), f"{conversation} {after_round}"),
        "bot_survey_skip": (today - timedelta(days=conversation), f"{conversation} {after_round}"),
        "delivery": (months_before(now, months), f"{months} months after it was sent"),
    }


def _as_day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _as_time(value: date | datetime) -> datetime:
    assert isinstance(value, datetime)
    return value


def _rules() -> list[_Rule]:
    def invites(cutoff: date | datetime) -> ColumnElement[bool]:
        ends = pair_ends()
        return col(Invite.pair).in_(sa_select(ends.c.pair).where(ends.c.end < _as_day(cutoff)))

    return [
        _Rule("contact", lambda c: col(Contact.person).in_(_gone_people(_as_day(c))), Contact),
        _Rule("invite", invites, Invite),
        _Rule(
            "bot_conversation",
            lambda c: col(Conversation.person).in_(_gone_people(_as_day(c))),
            Conversation,
        ),
        _Rule(
            "bot_survey_skip",
            lambda c: col(SurveySkip.person).in_(_gone_people(_as_day(c))),
            SurveySkip,
        ),
        _Rule("delivery", lambda c: col(Delivery.started_at) < _as_time(c), Delivery),
    ]


def plan(session: Session, settings: Settings, *, now: datetime | None = None) -> list[Line]:
    """What retention would remove now, per table (nothing is changed)."""
    now = now or utcnow()
    cutoffs = _cutoffs(settings, now)
    lines = []
    for rule in _rules():
        cutoff, text = cutoffs[rule.table]
        count = session.execute(
            sa_select(func.count()).select_from(rule.model).where(rule.where(cutoff))
        ).scalar_one()
        lines.append(Line(rule.table, int(count), cutoff, text))
    return lines


def _write_notices(session: Session, cutoffs: dict[str, tuple[date | datetime, str]]) -> None:
    """A notice for every contact about to go: its user key, role and the dates, no person id."""
    cutoff = _as_day(cutoffs["contact"][0])
    conversation_cutoff = _as_day(cutoffs["bot_conversation"][0])
    ends = round_ends()
    removed_on = utcnow().astimezone(STOCKHOLM).date()
    rows = session.execute(
        sa_select(Contact, ends.c.end)
        .join(ends, ends.c.person == col(Contact.person))
        .where(ends.c.end < cutoff)
    ).all()
    for contact, ended in rows:
        removed: dict[str, int] = {"contact": 1}
        invites = session.execute(
            sa_select(func.count())
            .select_from(Invite)
            .where(
                col(Invite.pair).in_(
                    sa_select(col(Pair.id)).where(
                        (col(Pair.participant) == contact.person)
                        | (col(Pair.mentor) == contact.person)
                    )
                ),
                col(Invite.role) == contact.role,
            )
        ).scalar_one()
        if invites:
            removed["invite"] = int(invites)
        if ended < conversation_cutoff:
            for model, name in (
                (Conversation, "bot_conversation"),
                (SurveySkip, "bot_survey_skip"),
            ):
                n = session.execute(
                    sa_select(func.count())
                    .select_from(model)
                    .where(col(model.person) == contact.person)
                ).scalar_one()
                if n:
                    removed[name] = int(n)
        notice = session.exec(
            select(RetentionNotice).where(RetentionNotice.user_key == contact.user_key)
        ).first() or RetentionNotice(
            user_key=contact.user_key, role="", round_ended_on=ended, removed_on=removed_on
        )
        notice.role = str(contact.role)
        notice.round_ended_on = ended
        notice.removed_on = removed_on
        notice.removed = removed
        session.add(notice)
    session.flush()


def apply(
    session: Session, settings: Settings, *, actor: str = ACTOR, now: datetime | None = None
) -> list[Line]:
    """Remove every row past its time (see the module docstring); the caller commits."""
    now = now or utcnow()
    cutoffs = _cutoffs(settings, now)
    _write_notices(session, cutoffs)
    lines = []
    # a person's rows first: the rules of contact and conversation read the pairs, not these
    for rule in _rules():
        cutoff, text = cutoffs[rule.table]
        result = session.execute(delete(rule.model).where(rule.where(cutoff)))
        lines.append(Line(rule.table, int(getattr(result, "rowcount", 0) or 0), cutoff, text))
    if any(line.count for line in lines):  # a day that removed nothing: only its run row
        audit(
            session,
            actor=actor,
            action="retention",
            table_name="retention_run",
            record_id=now.astimezone(STOCKHOLM).date().isoformat(),
            before=None,
            after={
                "removed": {line.table: line.count for line in lines},
                "cutoffs": {line.table: line.cutoff.isoformat() for line in lines},
            },
        )
    session.flush()
    return lines


def run_daily(
    engine: Engine, settings: Settings, *, worker: str, now: datetime | None = None
) -> RetentionRun | None:
    """Apply the rules once for today, unless another instance already did (None then).

    The run's row (primary key: the day) is inserted first, in the same transaction as the
    deletions: a second instance waits on it (PostgreSQL) or on the write lock (SQLite) and
    then finds the day taken; a run that fails leaves no row, and the next look runs again.
    """
    now = now or utcnow()
    day = now.astimezone(STOCKHOLM).date()
    with Session(engine) as look:  # the usual case, cheaply: today is done already
        if look.get(RetentionRun, day) is not None:
            return None
    with Session(engine, expire_on_commit=False) as session:
        # the insert comes first, before any read: on SQLite a transaction that read before
        # another committed could not write afterwards
        run = RetentionRun(day=day, worker=worker[:64], at=now)
        session.add(run)
        try:
            session.flush()
            lines = apply(session, settings, now=now)
            run.removed = {line.table: line.count for line in lines}
            session.add(run)
            session.commit()
        except (IntegrityError, OperationalError):  # the day is taken (or the database busy)
            session.rollback()
            return None
    return run


# --- what a person is told ------------------------------------------------------------------


def notice_for(session: Session, settings: Settings, user_id: int) -> RetentionNotice | None:
    """What retention removed of this Telegram account, or None (nothing, or never known)."""
    keys = user_keys(settings, user_id)
    return session.exec(
        select(RetentionNotice)
        .where(col(RetentionNotice.user_key).in_(keys))
        .order_by(col(RetentionNotice.removed_on).desc())
    ).first()
