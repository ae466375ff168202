"""Webhook throughput: updates/s and latency of one ``stegvis serve`` instance, and of two
behind nginx, on PostgreSQL, against the emulator with every rate limit off.

Run:  .venv/bin/python benchmarks/webhook_bench.py [--people 100] [--each 10]
          [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

``--people`` connected participants each send ``--each`` ``/help`` messages one after the
other (the next once the bot's answer is in the chat), all people at once; the emulator
delivers up to 40 updates at a time (setWebhook's default ``max_connections``), one per chat.
Each update is handled to its end before the webhook answers: a transaction that records the
update id and reads the person, then the reply sent to the emulator. Latency: from the
person's message to the bot's answer in the chat. A private database is created on the server
for the run and dropped after it; the instances are real processes (``stegvis serve
--no-rate-limiter``, the knowledge warm-up off), nginx is Debian's, with
``deploy/nginx.conf.template`` (access log off).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from core.settings import Settings  # noqa: E402
from emulator.config import UserSpec  # noqa: E402
from emulator.core import Emulator  # noqa: E402
from emulator.testing import running_emulator  # noqa: E402
from outcomes.db import make_engine, migrate  # noqa: E402
from outcomes.models import Cohort  # noqa: E402
from tests.utils.deployment import (  # noqa: E402
    WEBHOOK_PATH,
    Instance,
    Nginx,
    instance_env,
    nginx_binary,
)
from tests.utils.factories import add_pairs, connect  # noqa: E402

FIRST_USER = 800_000_001


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def people(url: str, settings: Settings, n: int) -> None:
    """``n`` connected participants of one running cohort."""
    engine = make_engine(url)
    start = datetime.now(UTC).date() - timedelta(days=10)
    with Session(engine) as session:
        session.add(Cohort(id="c-b", name="Bench", start=start, end=start + timedelta(days=240)))
        for i, pair in enumerate(add_pairs(session, "c-b", n, matched_on=start, prefix="b")):
            connect(session, settings, user=FIRST_USER + i, person=f"bp-{i}", pair=pair)
        session.commit()
    engine.dispose()


async def person(emulator: Emulator, chat: int, each: int, latencies: list[float]) -> None:
    for _ in range(each):
        began = time.perf_counter()
        sent = emulator.user_sends(chat, "/help")
        while True:
            version = emulator.chat_version(chat)
            if any(
                m["from_bot"] and m["message_id"] > sent["message_id"]
                for m in emulator.transcript(chat, after=sent["message_id"])
            ):
                break
            await emulator.wait_chat_change(chat, version, 30)
        latencies.append(time.perf_counter() - began)


async def measure(label: str, url: str, folder: Path, n: int, each: int, two: bool) -> None:
    settings = Settings(data_dir=folder / "data", database_url=url)
    settings.secret("hmac_key")  # the keys file the instances share
    users = [UserSpec(user_id=FIRST_USER + i, first_name=f"B{i}") for i in range(n)]
    async with running_emulator(rate_limits=False, users=users) as tg:
        instances = [
            Instance(env={}, log=folder / f"instance-{i}.log") for i in range(2 if two else 1)
        ]
        proxy = Nginx(folder / "nginx", upstreams=[i.port for i in instances]) if two else None
        target = proxy.url if proxy is not None else instances[0].url
        for instance in instances:
            instance.env = instance_env(
                database_url=url,
                data_dir=settings.data_dir,
                token=tg.token,
                bot_api=tg.base_url,
                webhook_url=f"{target}{WEBHOOK_PATH}",
            )
        try:
            if proxy is not None:
                proxy.start()
            await asyncio.gather(*(asyncio.to_thread(i.start) for i in instances))
            await asyncio.gather(*(person(tg.emulator, FIRST_USER + i, 1, []) for i in range(n)))
            latencies: list[float] = []
            began = time.perf_counter()
            await asyncio.gather(
                *(person(tg.emulator, FIRST_USER + i, each, latencies) for i in range(n))
            )
            elapsed = time.perf_counter() - began
        finally:
            for instance in instances:
                instance.stop()
            if proxy is not None:
                proxy.stop()
    count = len(latencies)
    print(  # noqa: T201
        f"{label:<26} {count:>6} updates  {count / elapsed:7.1f} updates/s  "
        f"p50 {statistics.median(latencies) * 1000:6.1f} ms  "
        f"p95 {percentile(latencies, 95) * 1000:6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--each", type=int, default=10)
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    if nginx_binary() is None:
        sys.exit("nginx is not installed: apt-get install nginx")
    server = make_engine(args.database_url, isolation_level="AUTOCOMMIT")
    print(f"{args.people} people x {args.each} updates each, rate limits off")  # noqa: T201
    for label, two in (("one instance", False), ("two instances + nginx", True)):
        name = f"stegvis_bench_{secrets.token_hex(3)}"
        with server.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = server.url.set(database=name).render_as_string(hide_password=False)
        try:
            engine = make_engine(url)
            migrate(engine)
            engine.dispose()
            with tempfile.TemporaryDirectory() as tmp:
                settings = Settings(data_dir=Path(tmp) / "data", database_url=url)
                people(url, settings, args.people)
                asyncio.run(measure(label, url, Path(tmp), args.people, args.each, two))
        finally:
            with server.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


if __name__ == "__main__":
    main()
