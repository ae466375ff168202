"""An announcement to N people through the emulator at Telegram's default limits: messages/s,
none lost, none doubled; then one cancelled half-way, the rest recorded as cancelled.

Run:  .venv/bin/python benchmarks/announcement_fanout.py [--n 2000] [--database-url URL]
      (about 75 s for 2,000 at Telegram's ~30 messages/s, and half of that again for the
      cancelled one)

The real sender (``bot/scheduler.py`` ``Sender.announce_once``) of the real bot (PTB with
``AIORateLimiter``, default pacing 28/s) sends each recipient of ``outcomes/announcements.py`` its
version (the person's language, else Swedish with a note). Everyone has written to the bot
before; languages are spread over the eight. Checks: every chat got exactly one message, every
recipient is recorded as delivered, no 429 was given up; for the cancelled one: no chat got it
twice, delivered + cancelled = N, and the delivered are exactly the chats that got it. The fake
clock stands at 10:00 in Stockholm. The database is a temporary SQLite file unless
``--database-url`` names another (an empty database; its tables are created).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from collections import Counter
from pathlib import Path

from checkin_fanout import FIRST_USER, NOW, connect_mentors, counting_retries
from checkin_fanout import populate as connected_participants
from sqlalchemy import Engine
from sqlmodel import Session

from bot.app import build_application
from bot.scheduler import DEFAULT_RATE, Sender
from core.settings import Settings
from emulator.config import EmulatorConfig, UserSpec
from emulator.testing import running_emulator
from outcomes import announcements as ann
from outcomes.clock import set_clock
from outcomes.db import make_engine, migrate

TEXTS = {"sv": "Jobbmässa på torsdag kl. 14 i Folkets hus!", "en": "Job fair on Thursday at 2 pm!"}


def populate(engine: Engine, settings: Settings, people: int) -> list[int]:
    """``people // 2`` pairs, mentor and participant connected; returns their user ids."""
    pairs = people // 2
    connected_participants(engine, settings, pairs)
    connect_mentors(engine, settings, pairs)
    return [FIRST_USER + j for j in range(2 * pairs)]


def announce(engine: Engine) -> int:
    with Session(engine) as session:
        row = ann.create_announcement(
            session,
            ann.AnnouncementCreate(cohort="c1", audience="cohort", texts=TEXTS),
            actor="bench",
        )
        session.commit()
        assert row.id is not None
        return row.id


def counts(engine: Engine, announcement: int) -> dict[str, int]:
    with Session(engine) as session:
        return ann.announcement_counts(session, announcement)


async def run(engine: Engine, settings: Settings, users: list[int], rate: float) -> bool:
    n = len(users)
    config = EmulatorConfig(
        users=[UserSpec(user_id=u, first_name=f"U{u}", started=True) for u in users]
    )
    ok = True
    with counting_retries() as counter:
        async with running_emulator(config) as tg:  # Telegram's default limits
            app = build_application(
                settings, base_url=tg.base_url, token=tg.token, rate_limiter=True, engine=engine
            )
            stats = tg.emulator.state.stats
            async with app:  # initialised, not polling: only the sender runs
                print(f"1. to {n} people, sender paced at {rate}/s, AIORateLimiter")
                first = announce(engine)
                sender = Sender(app.bot, engine, settings, worker="bench-1", rate=rate)
                started = time.perf_counter()
                await sender.drain()
                elapsed = time.perf_counter() - started
                per_chat = Counter(stats.messages_per_chat)
                once = per_chat == Counter(dict.fromkeys(users, 1))
                recorded = counts(engine, first)
                speed = n / elapsed
                print(
                    f"  delivered {recorded['delivered']} of {n} in {elapsed:.1f} s: {speed:.1f} msg/s"
                )
                print(
                    f"  every chat exactly one: {once} (with 0: {n - len(per_chat)}, "
                    f"with 2+: {sum(1 for v in per_chat.values() if v > 1)})"
                )
                print(
                    f"  429 answers {stats.too_many_requests}; retried {counter.retries}; "
                    f"given up {counter.given_up}; target >= 27 msg/s: "
                    f"{'met' if speed >= 27 else 'MISSED'}"
                )
                ok = once and recorded["delivered"] == n and counter.given_up == 0

                print(f"2. another to the same {n}, cancelled when half have it")
                second = announce(engine)
                before = Counter(stats.messages_per_chat)
                sender = Sender(app.bot, engine, settings, worker="bench-2", rate=rate)
                going = asyncio.create_task(sender.drain())
                # the emulator's counters have no event to wait on: look every 50 ms
                while sum(stats.messages_per_chat.values()) - sum(before.values()) < n // 2:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
                with Session(engine) as session:
                    ann.cancel_announcement(session, second, actor="bench")
                    session.commit()
                cancelled_at = time.perf_counter()
                await going
                tail = time.perf_counter() - cancelled_at
                got = Counter(stats.messages_per_chat) - before
                recorded = counts(engine, second)
                print(f"  counts: {recorded}")
                print(
                    f"  after the cancel: {recorded['delivered'] - n // 2} more went out "
                    f"(in flight) in {tail:.2f} s; no chat twice: {set(got.values()) <= {1}}"
                )
                ok = (
                    ok
                    and set(got.values()) <= {1}
                    and recorded["delivered"] == len(got)
                    and recorded["delivered"] + recorded["cancelled"] == n
                    and recorded["pending"] == 0
                )
    return ok


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=2000, help="people (default 2000)")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--rate", type=float, default=DEFAULT_RATE, help="the sender's pacing")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    set_clock(lambda: NOW)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'announce.db'}"
        settings = Settings(data_dir=Path(tmp), database_url=url)
        engine = make_engine(url)
        migrate(engine)
        users = populate(engine, settings, args.n)
        print(f"Announcements to {len(users)} people, database {engine.dialect.name}")
        ok = await run(engine, settings, users, args.rate)
        engine.dispose()
    print("all checks held" if ok else "SOME CHECKS FAILED")


if __name__ == "__main__":
    asyncio.run(main())
