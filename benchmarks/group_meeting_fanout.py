"""A kick-off for N pairs through the emulator: planning time, time to the first invitation,
throughput at Telegram's default limits, none lost, none doubled.

Run:  .venv/bin/python benchmarks/group_meeting_fanout.py [--n 500] [--database-url URL]
      (2 × N invitations: about 40 s for 500 pairs at ~28 messages/s)

Both sides of N pairs are connected to the bot (eight languages in turn). The staff plan a
kick-off (``outcomes/group_meetings.plan``, one transaction: a row and two schedule items per
person), and the real bot (``bot/app.py``: PTB with ``AIORateLimiter``, polling the emulator,
its own background sender as in production) sends the invitations. Printed: the planning
transaction's time, the time from its commit to the first invitation on the emulator, messages/s
over the whole fan-out, and whether every chat got exactly one invitation and every delivery is
recorded as sent.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checkin_fanout import FIRST_USER, NOW, connect_mentors, populate  # noqa: E402

from bot.app import build_application  # noqa: E402
from core.settings import Settings  # noqa: E402
from emulator.config import EmulatorConfig, UserSpec  # noqa: E402
from emulator.testing import polling, running_emulator  # noqa: E402
from outcomes import group_meetings as gm  # noqa: E402
from outcomes.clock import set_clock  # noqa: E402
from outcomes.db import make_engine, migrate  # noqa: E402
from outcomes.schedule_models import Delivery  # noqa: E402


async def run(engine, settings: Settings, n: int) -> bool:
    people = 2 * n
    users = [
        UserSpec(user_id=FIRST_USER + i, first_name=f"U{i}", started=True) for i in range(people)
    ]
    async with running_emulator(EmulatorConfig(users=users)) as tg:
        app = build_application(
            settings, base_url=tg.base_url, token=tg.token, rate_limiter=True, engine=engine
        )
        async with polling(app):  # the bot with its own background sender
            started = time.perf_counter()
            with Session(engine) as session:
                data = gm.GroupMeetingCreate(
                    cohort="c1", kind="kickoff", starts_at=NOW + timedelta(days=3), place="Hall"
                )
                meeting = gm.plan(session, data, actor="staff:bench")
                session.commit()
                mid = meeting.id
            planned = time.perf_counter()
            methods = tg.emulator.state.stats.methods
            # the emulator's counters signal nothing: look every 10 ms (a benchmark, not a test)
            while methods["sendMessage"] == 0:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            first = time.perf_counter()
            while methods["sendMessage"] < people:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            done = time.perf_counter()
            await asyncio.sleep(1.0)  # anything doubled would arrive now
            stats = await tg.stats()
    per_chat = Counter(stats["messages_per_chat"].values())
    once = per_chat == Counter({1: people})
    with Session(engine) as session:
        recorded = session.exec(
            select(func.count()).select_from(Delivery).where(Delivery.outcome == "sent")
        ).one()
        counts = gm.counts(session, mid)
    rate = people / (done - first)
    print(f"  planning (one transaction, {counts.invited} invited): {planned - started:.2f} s")
    print(f"  commit to the first invitation: {first - planned:.2f} s (target: under 60 s)")
    print(f"  {people} invitations in {done - first:.1f} s: {rate:.1f} messages/s")
    print(f"  every chat exactly one invitation: {once}; recorded as sent: {recorded}")
    print(f"  429 answers {stats['too_many_requests']}")
    return once and recorded == people and counts.invited == people and first - planned < 60


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=500, help="pairs (default 500)")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args()
    set_clock(lambda: NOW)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'group.db'}"
        settings = Settings(data_dir=Path(tmp), database_url=url)
        engine = make_engine(url)
        migrate(engine)
        populate(engine, settings, args.n)
        connect_mentors(engine, settings, args.n)
        print(f"A kick-off for {args.n} pairs ({2 * args.n} people), {engine.dialect.name}")
        ok = await run(engine, settings, args.n)
        engine.dispose()
    print("all checks held" if ok else "SOME CHECKS FAILED")


if __name__ == "__main__":
    asyncio.run(main())
