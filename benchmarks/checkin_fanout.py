"""A month's check-ins to N participants through the emulator: throughput, none lost, none doubled.

Run:  .venv/bin/python benchmarks/checkin_fanout.py [--n 10000] [--database-url URL]
      (about 6 minutes for 10,000 at Telegram's ~30 messages/s; --n 600 for a quick look)

The real sender (``bot/scheduler.py``) of the real bot (``bot/app.py``: PTB with
``AIORateLimiter``) claims the due check-ins from the database and sends each person the opening
message in their language. Two runs, each on a fresh emulator whose users have all written to
the bot before:

1. Telegram's default limits (30 messages/s per bot, 1/s per chat) and the sender's default
   pacing: messages/s achieved (target >= 27), every chat got exactly one check-in (none lost,
   none doubled), every 429 the emulator answered was retried by AIORateLimiter (none given up),
   and each delivery is recorded as sent in the database.
2. Limits off, no rate limiter, no pacing: the bot's own ceiling in messages/s (database claim,
   at-most-once delivery record, Bot API call, outcome record).

The fake clock stands at 10:00 in Stockholm (nothing is sent between 21:00 and 08:00). The
database is a temporary SQLite file unless ``--database-url`` names another (PostgreSQL: an
empty database; its tables are created).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, func, insert
from sqlmodel import Session, SQLModel, select

from bot.app import build_application
from bot.scheduler import DEFAULT_RATE, Sender
from core.languages import LANGUAGES
from core.settings import Settings
from emulator.config import EmulatorConfig, UserSpec
from emulator.testing import EmulatorClient, running_emulator
from outcomes.clock import STOCKHOLM, set_clock
from outcomes.contacts import Contact, encrypt_chat_id, user_key
from outcomes.db import make_engine, migrate
from outcomes.models import Cohort, Mentor, Pair, Participant
from outcomes.schedule_models import Delivery, ScheduledItem

FIRST_USER = 600_000_001
NOW = datetime(2025, 3, 24, 10, 0, tzinfo=STOCKHOLM).astimezone(UTC)


def table(model: type[SQLModel]) -> Table:
    """The Core table of a SQLModel class, for bulk inserts."""
    found: Table = model.__table__  # type: ignore[attr-defined]
    return found


def populate(engine: Engine, settings: Settings, n: int) -> None:
    """A cohort of ``n`` pairs whose participants are connected to the bot."""
    start = date(2025, 2, 1)
    chunk = 2000
    with engine.begin() as conn:
        conn.execute(
            insert(table(Cohort)),
            [{"id": "c1", "name": "Fan-out", "start": start, "end": start + timedelta(days=240)}],
        )
        for lo in range(0, n, chunk):
            ids = range(lo, min(n, lo + chunk))
            conn.execute(
                insert(table(Participant)),
                [
                    {"id": f"p{i}", "cohort": "c1", "gender": "woman", "arm": "intervention"}
                    for i in ids
                ],
            )
            conn.execute(insert(table(Mentor)), [{"id": f"m{i}", "cohort": "c1"} for i in ids])
            conn.execute(
                insert(table(Pair)),
                [
                    {"id": f"pr{i}", "mentor": f"m{i}", "participant": f"p{i}", "matched_on": start}
                    for i in ids
                ],
            )
            people = [(f"p{i}", "participant", f"pr{i}", FIRST_USER + i, i) for i in ids]
            conn.execute(insert(table(Contact)), contact_rows(settings, people))


def contact_rows(
    settings: Settings, people: Iterable[tuple[str, str, str, int, int]]
) -> list[dict[str, Any]]:
    """Contact rows of people connected to the bot with consent: (person, role, pair, user id,
    language number — the languages in turn)."""
    return [
        {
            "person": person,
            "role": role,
            "pair": pair,
            "user_key": user_key(settings, user),
            "chat_enc": encrypt_chat_id(settings, user),
            "language": LANGUAGES[k % len(LANGUAGES)],
            "consent": "given",
            "consented_at": NOW,
            "updated_at": NOW,
        }
        for person, role, pair, user, k in people
    ]


def connect_mentors(engine: Engine, settings: Settings, n: int) -> None:
    """The mentors of ``populate``'s pairs connected too (users after the participants')."""
    people = [(f"m{i}", "mentor", f"pr{i}", FIRST_USER + n + i, i + 3) for i in range(n)]
    with engine.begin() as conn:
        conn.execute(insert(table(Contact)), contact_rows(settings, people))


def plan_checkins(engine: Engine, n: int, sequence: int) -> None:
    """Month ``sequence``'s check-in, due now, for every participant."""
    with engine.begin() as conn:
        for lo in range(0, n, 2000):
            conn.execute(
                insert(table(ScheduledItem)),
                [
                    {
                        "pair": f"pr{i}",
                        "role": "participant",
                        "person": f"p{i}",
                        "kind": "checkin",
                        "sequence": sequence,
                        "due_at": NOW,
                        "attempt": 0,
                        "state": "pending",
                        "updated_at": NOW,
                    }
                    for i in range(lo, min(n, lo + 2000))
                ],
            )


class RetryCounter(logging.Handler):
    """Counts AIORateLimiter's retries after a 429, and the requests it gave up on."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.retries = 0
        self.given_up = 0

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Rate limit hit. Retrying"):
            self.retries += 1
        elif message.startswith("Rate limit hit after maximum"):
            self.given_up += 1


@contextlib.contextmanager
def counting_retries() -> Iterator[RetryCounter]:
    """AIORateLimiter's log counted (and kept off the screen) while inside."""
    counter = RetryCounter()
    limiter_log = logging.getLogger("telegram.ext.AIORateLimiter")
    limiter_log.setLevel(logging.INFO)
    limiter_log.addHandler(counter)
    limiter_log.propagate = False
    try:
        yield counter
    finally:
        limiter_log.removeHandler(counter)


async def fan_out(
    engine: Engine,
    settings: Settings,
    n: int,
    sequence: int,
    *,
    limits: bool,
    rate: float | None,
    batch: int,
    concurrency: int,
) -> bool:
    """One fan-out of ``n`` check-ins; prints the figures, returns whether all checks held."""
    plan_checkins(engine, n, sequence)
    users = [UserSpec(user_id=FIRST_USER + i, first_name=f"P{i}", started=True) for i in range(n)]
    config = EmulatorConfig(users=users)
    config.limits.enabled = limits
    with counting_retries() as counter:
        async with running_emulator(config) as tg:
            app = build_application(
                settings, base_url=tg.base_url, token=tg.token, rate_limiter=limits, engine=engine
            )
            async with app:  # initialised, not polling: only the sender runs
                sender = Sender(
                    app.bot,
                    engine,
                    settings,
                    worker=f"bench-{sequence}",
                    rate=rate,
                    batch=batch,
                    concurrency=concurrency,
                )
                started = time.perf_counter()
                counts = await sender.drain()
                elapsed = time.perf_counter() - started
            return await report(tg, engine, n, sequence, counts, elapsed, counter, limits)


async def report(
    tg: EmulatorClient,
    engine: Engine,
    n: int,
    sequence: int,
    counts: Counter[str],
    elapsed: float,
    counter: RetryCounter,
    limits: bool,
) -> bool:
    stats = await tg.stats()
    per_chat = Counter(stats["messages_per_chat"].values())
    exactly_once = per_chat == Counter({1: n}) and len(stats["messages_per_chat"]) == n
    with Session(engine) as session:
        recorded = session.exec(
            select(func.count())
            .select_from(Delivery)
            .join(ScheduledItem, Delivery.item_id == ScheduledItem.id)  # type: ignore[arg-type]
            .where(ScheduledItem.sequence == sequence, Delivery.outcome == "sent")
        ).one()
    rate = n / elapsed
    print(f"  sent {counts['sent']} of {n} in {elapsed:.1f} s: {rate:.1f} messages/s")
    print(
        f"  every chat exactly one check-in: {exactly_once} "
        f"(chats with 0: {n - len(stats['messages_per_chat'])}, "
        f"with 2+: {sum(v for k, v in per_chat.items() if k > 1)})"
    )
    print(f"  deliveries recorded as sent: {recorded} of {n}")
    ok = exactly_once and recorded == n and counts["sent"] == n
    if limits:
        too_many = stats["too_many_requests"]
        print(
            f"  429 answers {too_many}; retried by AIORateLimiter {counter.retries}; "
            f"given up {counter.given_up}; sendMessage calls {stats['methods'].get('sendMessage')}"
        )
        retried_all = counter.given_up == 0 and counter.retries == too_many
        print(
            f"  no 429 left unretried: {retried_all}; target >= 27 messages/s: "
            f"{'met' if rate >= 27 else 'MISSED'}"
        )
        ok = ok and retried_all
    other = {k: v for k, v in counts.items() if k not in ("sent", "claimed")}
    if other:
        print(f"  other outcomes: {other}")
    return ok


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=10_000, help="participants (default 10000)")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument(
        "--rate",
        type=float,
        default=DEFAULT_RATE,
        help=f"the sender's pacing with limits on (default {DEFAULT_RATE}/s)",
    )
    parser.add_argument("--batch", type=int, default=60, help="items claimed at a time")
    parser.add_argument("--concurrency", type=int, default=16, help="sends in flight")
    parser.add_argument("--skip-limited", action="store_true", help="only the ceiling run")
    parser.add_argument(
        "--unpaced",
        action="store_true",
        help="also a run with the limits on and the sender unpaced (AIORateLimiter "
        "alone meets the 429s)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    set_clock(lambda: NOW)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'fanout.db'}"
        settings = Settings(data_dir=Path(tmp), database_url=url)
        engine = make_engine(url)
        migrate(engine)
        populate(engine, settings, args.n)
        print(f"Check-ins to {args.n} participants, database {engine.dialect.name}")
        ok = True
        if not args.skip_limited:
            print(f"1. Telegram's default limits, AIORateLimiter, sender paced at {args.rate}/s")
            ok = (
                await fan_out(
                    engine,
                    settings,
                    args.n,
                    1,
                    limits=True,
                    rate=args.rate,
                    batch=args.batch,
                    concurrency=args.concurrency,
                )
                and ok
            )
        if args.unpaced:
            print("1b. Telegram's default limits, AIORateLimiter only (the sender unpaced)")
            ok = (
                await fan_out(
                    engine,
                    settings,
                    args.n,
                    3,
                    limits=True,
                    rate=None,
                    batch=args.batch,
                    concurrency=args.concurrency,
                )
                and ok
            )
        print("2. Limits off, no rate limiter, no pacing: the bot's own ceiling")
        ok = (
            await fan_out(
                engine,
                settings,
                args.n,
                2,
                limits=False,
                rate=None,
                batch=args.batch,
                concurrency=args.concurrency,
            )
            and ok
        )
        engine.dispose()
    print("all checks held" if ok else "SOME CHECKS FAILED")


if __name__ == "__main__":
    asyncio.run(main())
