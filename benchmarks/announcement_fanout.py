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
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert
from sqlmodel import Session

from bot.app import build_application
from bot.scheduler import DEFAULT_RATE, Sender
from core.languages import LANGUAGES
from core.settings import Settings
from emulator.config import EmulatorConfig, UserSpec
from emulator.testing import running_emulator
from outcomes import announcements as ann
from outcomes.clock import STOCKHOLM, set_clock
from outcomes.contacts import Contact, encrypt_chat_id, user_key
from outcomes.db import make_engine, migrate
from outcomes.models import Cohort, Mentor, Pair, Participant
from outcomes.types import table_of

FIRST_USER = 610_000_001
NOW = datetime(2025, 3, 24, 10, 0, tzinfo=STOCKHOLM).astimezone(UTC)
TEXTS = {"sv": "Jobbmässa på torsdag kl. 14 i Folkets hus!", "en": "Job fair on Thursday at 2 pm!"}


def populate(engine: Engine, settings: Settings, people: int) -> list[int]:
    """``people // 2`` pairs, mentor and participant connected; returns their user ids."""
    start = date(2025, 2, 1)
    pairs = people // 2
    with engine.begin() as conn:
        conn.execute(
            insert(table_of(Cohort)),
            [{"id": "c1", "name": "Fan-out", "start": start, "end": start + timedelta(days=240)}],
        )
        for lo in range(0, pairs, 1000):
            ids = range(lo, min(pairs, lo + 1000))
            conn.execute(
                insert(table_of(Participant)),
                [{"id": f"p{i}", "cohort": "c1", "gender": "woman"} for i in ids],
            )
            conn.execute(insert(table_of(Mentor)), [{"id": f"m{i}", "cohort": "c1"} for i in ids])
            conn.execute(
                insert(table_of(Pair)),
                [
                    {"id": f"pr{i}", "mentor": f"m{i}", "participant": f"p{i}", "matched_on": start}
                    for i in ids
                ],
            )
            conn.execute(
                insert(table_of(Contact)),
                [
                    {
                        "person": f"{role[0]}{i}",
                        "role": role,
                        "pair": f"pr{i}",
                        "user_key": user_key(settings, FIRST_USER + 2 * i + k),
                        "chat_enc": encrypt_chat_id(settings, FIRST_USER + 2 * i + k),
                        "language": LANGUAGES[(2 * i + k) % len(LANGUAGES)],
                        "consent": "given",
                        "consented_at": NOW,
                        "updated_at": NOW,
                    }
                    for i in ids
                    for k, role in enumerate(("participant", "mentor"))
                ],
            )
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


async def run(engine: Engine, settings: Settings, users: list[int], rate: float) -> bool:
    n = len(users)
    config = EmulatorConfig(
        users=[UserSpec(user_id=u, first_name=f"U{u}", started=True) for u in users]
    )
    counter = RetryCounter()
    limiter_log = logging.getLogger("telegram.ext.AIORateLimiter")
    limiter_log.setLevel(logging.INFO)
    limiter_log.addHandler(counter)
    limiter_log.propagate = False
    ok = True
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
    limiter_log.removeHandler(counter)
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
