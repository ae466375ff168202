"""Pair health: which pairs need a call, and a pair's timeline.

    items, total = pair_health(session, cohort="c-2026", flag="no_meeting_45d", sort="last_meeting")
    timeline = pair_timeline(session, "pair-1")

Every pair gets its last meeting, the last check-in its participant answered, the steps so far
and these flags (``FLAGS``):

* ``no_meeting_45d`` — no meeting logged in the last 45 days, or none since matching when that
  is more than 45 days ago (the last meeting, else ``matched_on``, is before today − 45 days);
* ``checkins_unanswered`` — the last two check-ins sent to the participant went unanswered (sent:
  at least one delivery made; one that is still within its reminders counts as unanswered so far;
  a cancelled one is left out);
* ``blocked`` — the last message the schedule delivered to the participant or to the mentor was
  refused because they blocked the bot;
* ``ended`` — ``ended_on`` is today or earlier, or the pair's cohort (the round) has ended.

Decisions: the two follow-up flags (``no_meeting_45d``, ``checkins_unanswered``) are for pairs
that are still running — an ended pair needs no call, it shows ``ended``. "Steps so far" are the
participant's confirmed events other than ``job_ended``. "Today" is the program's time zone's.
The page, the API (``GET /api/v1/pairs/health``) and the tests all call :func:`pair_health`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, get_args

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col

from core.vocab import EventStatus, EventType
from outcomes.clock import STOCKHOLM
from outcomes.clock import today as program_today
from outcomes.errors import Invalid
from outcomes.models import AuditLog, Cohort, Event, Meeting, Pair, Participant, Survey
from outcomes.schedule import ONE_OFF_KINDS
from outcomes.schedule_models import Delivery, ScheduledItem
from outcomes.service import get
from outcomes.types import table_of

Flag = Literal["no_meeting_45d", "checkins_unanswered", "blocked", "ended"]
FLAGS: tuple[str, ...] = get_args(Flag)
Sort = Literal["flags", "pair", "matched_on", "last_meeting", "last_checkin_answered", "steps"]
SORTS: tuple[str, ...] = get_args(Sort)
NO_MEETING_DAYS = 45

_PAIR = table_of(Pair)
_PART = table_of(Participant)
_MEET = table_of(Meeting)
_ITEM = table_of(ScheduledItem)
_DELIV = table_of(Delivery)
_EVENT = table_of(Event)
_COHORT = table_of(Cohort)


@dataclass(frozen=True)
class PairHealth:
    """One pair as the pairs page and ``GET /api/v1/pairs/health`` show it."""

    pair: str
    cohort: str
    mentor: str
    participant: str
    matched_on: date
    ended_on: date | None
    last_meeting: date | None
    last_checkin_answered: date | None
    steps: int
    flags: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        def iso(d: date | None) -> str | None:
            return d.isoformat() if d else None

        return {
            "pair": self.pair,
            "flags": list(self.flags),
            "last_meeting": iso(self.last_meeting),
            "last_checkin_answered": iso(self.last_checkin_answered),
            "steps": self.steps,
            "cohort": self.cohort,
            "mentor": self.mentor,
            "participant": self.participant,
            "matched_on": iso(self.matched_on),
            "ended_on": iso(self.ended_on),
        }


def _checkins(item: Any, pair_id: Any, *conditions: Any) -> Any:
    return and_(
        item.c.pair == pair_id,
        item.c.role == "participant",
        item.c.kind == "checkin",
        *conditions,
    )


def _columns(day: date) -> dict[str, ColumnElement[Any]]:
    """Per pair (correlated to ``pair``): the facts and the flags, as SQL."""
    p = _PAIR.c
    m = _MEET.alias("m")
    last_meeting = (
        select(func.max(m.c.held_on)).where(m.c.pair == p.id).correlate(_PAIR).scalar_subquery()
    )
    a = _ITEM.alias("a")
    last_answer = (
        select(func.max(a.c.updated_at))
        .where(_checkins(a, p.id, a.c.state == "answered"))
        .correlate(_PAIR)
        .scalar_subquery()
    )
    s = _ITEM.alias("s")
    last_answered_seq = (
        select(func.max(s.c.sequence))
        .where(_checkins(s, p.id, s.c.state == "answered"))
        .correlate(_PAIR)
        .scalar_subquery()
    )
    u = _ITEM.alias("u")
    unanswered_since = (
        select(func.count())
        .select_from(u)
        .where(
            _checkins(
                u,
                p.id,
                u.c.attempt >= 1,
                u.c.state != "cancelled",
                u.c.state != "answered",
                u.c.sequence > func.coalesce(last_answered_seq, -1),
            )
        )
        .correlate(_PAIR)
        .scalar_subquery()
    )

    def latest_delivery_detail(role: str) -> Any:
        d = _DELIV.alias(f"d_{role}")
        i = _ITEM.alias(f"i_{role}")
        return (
            select(d.c.detail)
            .select_from(d.join(i, i.c.id == d.c.item_id))
            .where(i.c.pair == p.id, i.c.role == role, d.c.outcome.in_(("sent", "unreachable")))
            .order_by(d.c.id.desc())
            .limit(1)
            .correlate(_PAIR)
            .scalar_subquery()
        )

    e = _EVENT.alias("e")
    steps = (
        select(func.count())
        .select_from(e)
        .where(
            e.c.participant == p.participant,
            e.c.status == EventStatus.confirmed.value,
            e.c.type != EventType.job_ended.value,
        )
        .correlate(_PAIR)
        .scalar_subquery()
    )
    ended = or_(and_(p.ended_on.is_not(None), p.ended_on <= day), _COHORT.c.end < day)
    running = ~ended
    since = day - timedelta(days=NO_MEETING_DAYS)
    blocked = or_(
        func.coalesce(latest_delivery_detail("participant"), "") == "blocked",
        func.coalesce(latest_delivery_detail("mentor"), "") == "blocked",
    )
    return {
        "last_meeting": last_meeting,
        "last_answer": last_answer,
        "steps": steps,
        "no_meeting_45d": and_(running, func.coalesce(last_meeting, p.matched_on) < since),
        "checkins_unanswered": and_(running, unanswered_since >= 2),
        "blocked": blocked,
        "ended": ended,
    }


def _flag01(condition: ColumnElement[Any]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def _health_query(cohort: str | None, day: date, pair: str | None = None) -> Any:
    c = _columns(day)
    p = _PAIR.c
    return (
        select(
            p.id.label("pair"),
            _PART.c.cohort.label("cohort"),
            p.mentor,
            p.participant,
            p.matched_on,
            p.ended_on,
            c["last_meeting"].label("last_meeting"),
            c["last_answer"].label("last_answer"),
            c["steps"].label("steps"),
            *(_flag01(c[name]).label(f"f_{name}") for name in FLAGS),
        )
        .select_from(
            _PAIR.join(_PART, _PART.c.id == p.participant).join(
                _COHORT, _COHORT.c.id == _PART.c.cohort
            )
        )
        .where(*([_PART.c.cohort == cohort] if cohort is not None else []))
        .where(*([p.id == pair] if pair is not None else []))
        .subquery("health")
    )


def flag_counts(
    session: Session, *, cohort: str | None = None, day: date | None = None
) -> dict[str, int]:
    """How many pairs have each flag (and ``all``: how many pairs there are)."""
    h = _health_query(cohort, day or program_today()).c
    row = session.execute(
        select(func.count().label("all"), *(func.sum(h[f"f_{n}"]).label(n) for n in FLAGS))
    ).one()
    return {name: int(getattr(row, name) or 0) for name in ("all", *FLAGS)}


def pair_health(
    session: Session,
    *,
    cohort: str | None = None,
    flag: str | None = None,
    sort: str = "flags",
    descending: bool | None = None,
    limit: int = 50,
    offset: int = 0,
    day: date | None = None,
    pair: str | None = None,
) -> tuple[list[PairHealth], int]:
    """One page of pairs with their health, and how many pairs match in all.

    ``pair`` keeps that one pair; ``flag`` keeps the pairs with that flag; ``sort`` is one of ``SORTS`` (``flags``: the most
    flags first); ``descending`` defaults to newest / most first for dates, steps and flags.
    Ties are broken by the pair's id.
    """
    if flag is not None and flag not in FLAGS:
        raise Invalid(f"unknown flag {flag!r}; expected one of {', '.join(FLAGS)}")
    if sort not in SORTS:
        raise Invalid(f"unknown sort {sort!r}; expected one of {', '.join(SORTS)}")
    inner = _health_query(cohort, day or program_today(), pair)
    h = inner.c
    where = [h[f"f_{flag}"] == 1] if flag is not None else []
    total = int(session.execute(select(func.count()).select_from(inner).where(*where)).scalar_one())
    if descending is None:
        descending = sort != "pair"
    if sort == "flags":
        key: Any = sum((h[f"f_{name}"] for name in FLAGS), literal(0))
    elif sort == "last_checkin_answered":
        key = h.last_answer
    else:
        key = h[sort]
    # missing dates sort as the oldest: last when newest first, first when oldest first
    nulls = key.is_(None)
    order = [nulls.asc() if descending else nulls.desc(), key.desc() if descending else key.asc()]
    rows = session.execute(
        select(inner).where(*where).order_by(*order, h.pair).limit(limit).offset(offset)
    ).mappings()
    items = [
        PairHealth(
            pair=r["pair"],
            cohort=r["cohort"],
            mentor=r["mentor"],
            participant=r["participant"],
            matched_on=r["matched_on"],
            ended_on=r["ended_on"],
            last_meeting=r["last_meeting"],
            last_checkin_answered=_day(r["last_answer"]),
            steps=int(r["steps"] or 0),
            flags=[name for name in FLAGS if r[f"f_{name}"]],
        )
        for r in rows
    ]
    return items, total


def _day(value: Any) -> date | None:
    """A timestamp read back by a raw SELECT (a string on SQLite) as the program's date."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        local: date = value.astimezone(STOCKHOLM).date()
        return local
    return value if isinstance(value, date) else None


def health_of(session: Session, pair_id: str, *, day: date | None = None) -> PairHealth:
    """One pair's health (``NotFound`` when there is no such pair)."""
    get(session, Pair, pair_id)
    items, _ = pair_health(session, pair=pair_id, day=day, limit=1)
    return items[0]


# --- a pair's timeline ------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened to a pair, for its page: newest first."""

    day: date
    kind: Literal["matched", "ended", "meeting", "event", "survey", "checkin"]
    record: Any  # the Meeting, Event, Survey or ScheduledItem (None for matched / ended)
    history: list[AuditLog] = field(default_factory=list)  # an event's corrections, oldest first


def pair_timeline(session: Session, pair_id: str) -> list[TimelineEntry]:
    """Meetings, events (voided ones too, with their history), surveys and check-ins of a pair."""
    pair = get(session, Pair, pair_id)
    entries: list[TimelineEntry] = [TimelineEntry(pair.matched_on, "matched", None)]
    if pair.ended_on is not None:
        entries.append(TimelineEntry(pair.ended_on, "ended", None))
    meetings = session.execute(select(Meeting).where(col(Meeting.pair) == pair_id)).scalars()
    entries += [TimelineEntry(m.held_on, "meeting", m) for m in meetings]
    events = list(
        session.execute(select(Event).where(col(Event.participant) == pair.participant)).scalars()
    )
    history: dict[str, list[AuditLog]] = {}
    if events:
        for row in session.execute(
            select(AuditLog)
            .where(
                col(AuditLog.table_name) == "event",
                col(AuditLog.record_id).in_([e.id for e in events]),
            )
            .order_by(col(AuditLog.id))
        ).scalars():
            history.setdefault(row.record_id, []).append(row)
    entries += [TimelineEntry(e.occurred_on, "event", e, history.get(e.id, [])) for e in events]
    surveys = session.execute(
        select(Survey).where(col(Survey.participant) == pair.participant)
    ).scalars()
    entries += [TimelineEntry(s.answered_on, "survey", s) for s in surveys]
    first_sent = (
        select(_DELIV.c.item_id, func.min(_DELIV.c.started_at).label("sent"))
        .where(_DELIV.c.item_id.in_(select(_ITEM.c.id).where(_ITEM.c.pair == pair_id)))
        .group_by(_DELIV.c.item_id)
        .subquery()
    )
    items = session.execute(
        select(ScheduledItem, first_sent.c.sent)
        .join(first_sent, first_sent.c.item_id == ScheduledItem.id)
        .where(
            col(ScheduledItem.pair) == pair_id,
            col(ScheduledItem.kind).not_in(ONE_OFF_KINDS),
        )
    ).all()
    entries += [
        TimelineEntry(_day(sent) or pair.matched_on, "checkin", item) for item, sent in items
    ]
    order = {"ended": 0, "event": 1, "meeting": 2, "survey": 3, "checkin": 4, "matched": 5}
    entries.sort(key=lambda e: (e.day, -order[e.kind], _record_key(e)), reverse=True)
    return entries


def _record_key(entry: TimelineEntry) -> str:
    record = entry.record
    return str(getattr(record, "id", "")) if record is not None else ""
