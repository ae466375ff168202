"""Due check-ins and surveys: planned per pair, claimed atomically, delivered at most once.

The schedule lives in the database, so a restart, a crash or a second bot instance neither loses
nor doubles a send: senders claim due rows atomically (``FOR UPDATE SKIP LOCKED`` on PostgreSQL;
SQLite serialises writers), write a ``Delivery`` row for the attempt *before* sending (unique per
attempt), and a claim whose sender died is taken over when its lease runs out. A delivery left in
``sending`` by a dead sender is counted as made (at most once, never twice).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, Row, and_, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from outcomes.audit import audit
from outcomes.clock import STOCKHOLM, utcnow
from outcomes.errors import Invalid, NotFound
from outcomes.models import Cohort, Pair, Participant
from outcomes.schedule_models import Delivery, ScheduledItem
from outcomes.types import table_of

QUIET_FROM = time(21, 0)
QUIET_UNTIL = time(8, 0)
SEND_AT = time(10, 0)  # the local time of day planned sends go out
REMINDER_OFFSETS = (timedelta(days=3), timedelta(days=7))  # after the first send
MIN_REMINDER_GAP = timedelta(days=2)  # at least this long after the message before
LEASE = timedelta(minutes=5)
RETRY_AFTER = timedelta(minutes=10)
OPEN_STATES = ("pending", "claimed")
ONE_OFF_KINDS = ("group_invite", "group_reminder")  # sent once, never reminded: state ``sent``


@dataclass(frozen=True)
class Claim:
    """A due item a sender now holds: deliver attempt ``attempt + 1`` of it."""

    id: int
    pair: str
    role: str
    person: str
    kind: str
    sequence: int
    attempt: int

    @property
    def is_reminder(self) -> bool:
        return self.attempt > 0


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (clamped to the month's last day)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def allowed_time(moment: datetime, tz: ZoneInfo = STOCKHOLM) -> datetime:
    """``moment``, or the next 08:00 local time when it falls between 21:00 and 08:00."""
    local = moment.astimezone(tz)
    if local.time() >= QUIET_FROM:
        local = datetime.combine(local.date() + timedelta(days=1), QUIET_UNTIL, tz)
    elif local.time() < QUIET_UNTIL:
        local = datetime.combine(local.date(), QUIET_UNTIL, tz)
    return local.astimezone(moment.tzinfo)


def is_quiet(moment: datetime, tz: ZoneInfo = STOCKHOLM) -> bool:
    """True between 21:00 and 08:00 local time, when nothing is sent."""
    local_time = moment.astimezone(tz).time()
    return local_time >= QUIET_FROM or local_time < QUIET_UNTIL


def _at(day: date, tz: ZoneInfo = STOCKHOLM) -> datetime:
    return datetime.combine(day, SEND_AT, tz)


def window(session: Session, participant_id: str) -> tuple[date, date]:
    """A participant's program window: joined_on/left_on, else the cohort's start/end."""
    participant = session.get(Participant, participant_id)
    if participant is None:
        raise NotFound(f"participant {participant_id!r} does not exist")
    cohort = session.get(Cohort, participant.cohort)
    assert cohort is not None
    return participant.joined_on or cohort.start, participant.left_on or cohort.end


def planned_items(
    start: date, end: date, onboarded: datetime, role: str
) -> list[tuple[str, int, datetime]]:
    """(kind, sequence, due) for one person of a pair whose window is ``start``–``end``."""
    items: list[tuple[str, int, datetime]] = []
    result_due = _at(end - timedelta(days=13))  # the last two weeks of the window
    if role == "participant":
        items.append(("baseline", 0, onboarded))
        for kind, months in (("followup_1", 2), ("followup_2", 5)):
            due = _at(add_months(start, months))
            if due < result_due and due >= onboarded - timedelta(days=14):
                items.append((kind, 0, max(due, onboarded)))
        items.append(("result", 0, max(result_due, onboarded)))
    else:  # the mentors' own survey (issue 13): the morning after they join (not on top of
        # the welcome), and in the last two weeks of the round
        items.append(
            ("mentor_start", 0, _at(onboarded.astimezone(STOCKHOLM).date() + timedelta(days=1)))
        )
        items.append(("mentor_end", 0, max(result_due, onboarded)))
    month = 1
    while True:
        due = _at(add_months(start, month) - timedelta(days=7))  # the last week of each month
        if due >= result_due or due.date() > end:
            break
        if due >= onboarded:
            items.append(("checkin", month, due))
        month += 1
    return [(kind, seq, allowed_time(due)) for kind, seq, due in items]


def plan_person(
    session: Session, *, pair_id: str, role: str, person: str, onboarded: datetime | None = None
) -> int:
    """Plan every check-in and survey of one person of a pair; existing items are kept.

    Returns the number of items added.
    """
    pair = session.get(Pair, pair_id)
    if pair is None:
        raise NotFound(f"pair {pair_id!r} does not exist")
    start, end = window(session, pair.participant)
    existing = set(
        session.execute(
            select(col(ScheduledItem.kind), col(ScheduledItem.sequence)).where(
                col(ScheduledItem.pair) == pair_id, col(ScheduledItem.role) == role
            )
        ).tuples()
    )
    added = 0
    for kind, sequence, due in planned_items(start, end, onboarded or utcnow(), role):
        if (kind, sequence) in existing:
            continue
        session.add(
            ScheduledItem(
                pair=pair_id, role=role, person=person, kind=kind, sequence=sequence, due_at=due
            )
        )
        added += 1
    session.flush()
    return added


def claim_rows(
    engine: Engine, table: Any, returning: Sequence[Any], *, worker: str, limit: int, now: datetime
) -> list[Row[Any]]:
    """Atomically take up to ``limit`` rows of a queue ``table`` (``state``, ``due_at``,
    ``claimed_by``, ``claimed_until``, ``updated_at``) that are due or whose lease ran out,
    for ``LEASE``, and return their ``returning`` columns: the oldest first; on PostgreSQL rows
    another sender is taking are skipped, not waited for."""
    t = table
    due = or_(
        and_(t.c.state == "pending", t.c.due_at <= now),
        and_(t.c.state == "claimed", t.c.claimed_until < now),
    )
    pick = select(t.c.id).where(due).order_by(t.c.due_at, t.c.id).limit(limit)
    if engine.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    stmt = (
        update(t)
        .where(t.c.id.in_(pick.scalar_subquery()))
        .values(state="claimed", claimed_by=worker, claimed_until=now + LEASE, updated_at=now)
        .returning(*returning)
    )
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("SELECT 1"))  # open the transaction before the write
        return list(conn.execute(stmt).all())


def claim_due(
    engine: Engine, *, worker: str, limit: int = 100, now: datetime | None = None
) -> list[Claim]:
    """Atomically take up to ``limit`` due items (none during quiet hours)."""
    now = now or utcnow()
    if is_quiet(now):
        return []
    t = table_of(ScheduledItem)
    returning = (t.c.id, t.c.pair, t.c.role, t.c.person, t.c.kind, t.c.sequence, t.c.attempt)
    rows = claim_rows(engine, t, returning, worker=worker, limit=limit, now=now)
    return sorted((Claim(*row) for row in rows), key=lambda c: c.id)


def begin_delivery(session: Session, claim: Claim) -> bool:
    """Record that attempt ``claim.attempt + 1`` is being sent; False when it was already made.

    Commit this before sending: the unique (item, attempt) row is what prevents a double send.
    """
    attempt = claim.attempt + 1
    try:
        with session.begin_nested():
            session.add(Delivery(item_id=claim.id, attempt=attempt))
        return True
    except IntegrityError:
        # a sender died after starting this attempt: count it as made, move on
        finish_delivery(session, claim, outcome="sent", detail="taken over after a crash")
        return False


def begin_deliveries(session: Session, claims: list[Claim]) -> list[bool]:
    """``begin_delivery`` for many claims at once (one statement when none was made before)."""
    if not claims:
        return []
    try:
        with session.begin_nested():
            session.execute(
                insert(table_of(Delivery)),
                [
                    {
                        "item_id": c.id,
                        "attempt": c.attempt + 1,
                        "started_at": utcnow(),
                        "outcome": "sending",
                    }
                    for c in claims
                ],
            )
        return [True] * len(claims)
    except IntegrityError:  # some were taken over after a crash: one by one
        return [begin_delivery(session, claim) for claim in claims]


def finish_delivery(
    session: Session,
    claim: Claim,
    *,
    outcome: str,
    detail: str | None = None,
    now: datetime | None = None,
) -> None:
    """Close an attempt: ``sent`` plans the next reminder, ``failed`` retries the same attempt later,
    ``unreachable`` cancels the item (the person blocked the bot or the chat is gone)."""
    finish_deliveries(session, [(claim, outcome, detail)], now=now)


def finish_deliveries(
    session: Session, results: list[tuple[Claim, str, str | None]], *, now: datetime | None = None
) -> None:
    """``finish_delivery`` for many attempts: (claim, outcome, detail) each, in one flush."""
    if not results:
        return
    now = now or utcnow()
    ids = [claim.id for claim, _o, _d in results]
    items = {
        i.id: i
        for i in session.execute(
            select(ScheduledItem).where(col(ScheduledItem.id).in_(ids))
        ).scalars()
    }
    deliveries = {
        (d.item_id, d.attempt): d
        for d in session.execute(select(Delivery).where(col(Delivery.item_id).in_(ids))).scalars()
    }
    for claim, outcome, detail in results:
        item = items.get(claim.id)
        if item is None:
            continue
        attempt = claim.attempt + 1
        delivery = deliveries.get((claim.id, attempt))
        if outcome == "failed":
            if delivery is not None and delivery.outcome == "sending":
                session.delete(delivery)
            item.state, item.due_at = "pending", now + RETRY_AFTER
        else:
            if delivery is not None:
                delivery.outcome, delivery.sent_at, delivery.detail = outcome, now, detail
            if item.state in ("answered", "cancelled"):
                pass
            elif outcome == "unreachable":
                item.state = "cancelled"
            elif item.kind in ONE_OFF_KINDS:
                item.attempt, item.state = attempt, "sent"
            else:
                item.attempt = attempt
                first_delivery = deliveries.get((claim.id, 1))
                first = (
                    now
                    if attempt == 1
                    else (first_delivery.sent_at if first_delivery else None) or now
                )
                if attempt <= len(REMINDER_OFFSETS):
                    item.state = "pending"
                    # never two reminders back to back (a sender that was down catches up)
                    due = max(first + REMINDER_OFFSETS[attempt - 1], now + MIN_REMINDER_GAP)
                    item.due_at = allowed_time(due)
                else:
                    item.state = "expired"
        item.claimed_by = item.claimed_until = None
        item.updated_at = now
        session.add(item)
    session.flush()


def mark_answered(session: Session, *, pair: str, role: str, kind: str, sequence: int = 0) -> bool:
    """The person answered: no more reminders for this item. False when there was no open item."""
    item = session.execute(
        select(ScheduledItem).where(
            col(ScheduledItem.pair) == pair,
            col(ScheduledItem.role) == role,
            col(ScheduledItem.kind) == kind,
            col(ScheduledItem.sequence) == sequence,
        )
    ).scalar_one_or_none()
    if item is None or item.state in ("answered", "cancelled"):
        return False
    item.state, item.updated_at = "answered", utcnow()
    session.add(item)
    session.flush()
    return True


def cancel_person(session: Session, person: str) -> int:
    """Nothing more to someone who left, declined or deleted themselves; returns items cancelled."""
    t = table_of(ScheduledItem)
    result = session.exec(
        update(t)
        .where(t.c.person == person, t.c.state.in_(OPEN_STATES))
        .values(state="cancelled", updated_at=utcnow())
    )
    return int(result.rowcount or 0)


def cancel_pair(session: Session, pair: str) -> int:
    """Cancel every open item of a pair (the pair ended)."""
    t = table_of(ScheduledItem)
    result = session.exec(
        update(t)
        .where(t.c.pair == pair, t.c.state.in_(OPEN_STATES))
        .values(state="cancelled", updated_at=utcnow())
    )
    return int(result.rowcount or 0)


def pair_schedule(session: Session, pair: str) -> list[ScheduledItem]:
    """A pair's schedule, soonest first."""
    return list(
        session.execute(
            select(ScheduledItem)
            .where(col(ScheduledItem.pair) == pair)
            .order_by(col(ScheduledItem.due_at), col(ScheduledItem.id))
        ).scalars()
    )


def move_item(
    session: Session, *, item_id: int, due_at: datetime, actor: str | None = None
) -> ScheduledItem:
    """Staff move a pending item to another time (shifted out of quiet hours); audited when
    ``actor`` is given."""
    item = session.get(ScheduledItem, item_id)
    if item is None:
        raise NotFound(f"scheduled item {item_id} does not exist")
    if item.state not in ("pending",):
        raise Invalid(f"only a pending item can be moved; this one is {item.state}")
    if due_at.tzinfo is None:
        raise Invalid("give the time with a time zone, e.g. 2025-03-01T10:00:00+01:00")
    before = item.due_at
    item.due_at = allowed_time(due_at)
    item.updated_at = utcnow()
    session.add(item)
    if actor is not None and item.due_at != before:
        audit(
            session,
            actor=actor,
            action="move",
            table_name="scheduled_item",
            record_id=str(item_id),
            before={"due_at": before},
            after={"due_at": item.due_at},
        )
    session.flush()
    return item
