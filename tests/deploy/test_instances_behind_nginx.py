"""nginx in front of two ``stegvis serve`` instances, the emulator in webhook mode: 2,000
updates from 200 people while one instance is killed with SIGKILL and started again.

Every update's effect is stored once, every person gets every reply once (their transcripts
are all alike), and the 200 check-ins due meanwhile go out once, sent by both instances.

The kill comes in the middle of the run with updates in flight: the instance holds the updates
it gets from then on just before their commit (``tests/utils/instance.py``), and is killed once
nothing it committed still waits for its replies and its sender is between rounds. What no
webhook can promise is left out that way: a reply lost between its commit and its send (see
``bot/runner.py``); the rest — transactions cut off, connections reset under nginx,
re-delivery to the other instance or to the restarted one — is what is tested.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from bot.i18n import Tr
from core.settings import Settings
from core.vocab import Gender
from emulator.config import UserSpec
from emulator.core import Emulator
from emulator.testing import running_emulator
from outcomes.clock import STOCKHOLM, set_clock
from outcomes.contacts import Contact
from outcomes.conversations import ProcessedUpdate
from outcomes.models import Cohort, Event
from outcomes.schedule import is_quiet
from outcomes.schedule_models import Delivery, ScheduledItem
from tests.utils.botdriver import World
from tests.utils.deployment import (
    WEBHOOK_PATH,
    Instance,
    Nginx,
    instance_env,
    nginx_binary,
)
from tests.utils.factories import add_pairs, connect
from tests.utils.instance import CLOCK_ENV
from tests.utils.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.deploy, pytest.mark.slow, pytest.mark.timeout(900)]

PEOPLE = 200  # each sends 10 updates
SILENT = 200  # people with a check-in due, who write nothing
FIRST_SILENT = 700_000_001
sv = Tr("sv")
INTERVIEW, CV = sv.label("🤝 Job interview"), sv.label("📄 Better CV or letter")


def clock_offset() -> timedelta:
    """Zero by day; at night (no check-ins 21-08) the clock of the instances moves to noon."""
    now = datetime.now(UTC)
    if not is_quiet(now):
        return timedelta(0)
    noon = datetime.combine(now.astimezone(STOCKHOLM).date(), datetime.min.time(), STOCKHOLM)
    return noon.replace(hour=12) - now


def silent_people(engine: Engine, settings: Settings, due_at: datetime) -> None:
    """``SILENT`` connected participants, each with a first check-in due at ``due_at``."""
    start = due_at.date() - timedelta(days=40)
    with Session(engine) as session:
        session.add(Cohort(id="c-s", name="Silent", start=start, end=start + timedelta(days=240)))
        add_pairs(session, "c-s", SILENT, matched_on=start, prefix="s")
        for i in range(SILENT):
            connect(session, settings, user=FIRST_SILENT + i, person=f"sp-{i}", pair=f"spair-{i}")
            session.add(
                ScheduledItem(
                    pair=f"spair-{i}",
                    role="participant",
                    person=f"sp-{i}",
                    kind="checkin",
                    sequence=1,
                    due_at=due_at,
                )
            )
        session.commit()


def active_pairs(engine: Engine, start: datetime) -> list[str]:
    """``PEOPLE`` pairs whose participants will join through the bot."""
    day = start.date() - timedelta(days=3)
    with Session(engine) as session:
        session.add(Cohort(id="c-a", name="Active", start=day, end=day + timedelta(days=240)))
        pairs = add_pairs(session, "c-a", PEOPLE, matched_on=day, prefix="a", gender=Gender.man)
        session.commit()
    return pairs


def checkin_deliveries(engine: Engine) -> list[tuple[int, str]]:
    """(item, outcome) of every delivery of the silent people's check-ins."""
    with Session(engine) as session:
        rows = session.exec(
            select(Delivery.item_id, Delivery.outcome)
            .join(ScheduledItem, col(ScheduledItem.id) == col(Delivery.item_id))
            .where(col(ScheduledItem.person).startswith("sp-"))
        ).all()
    return [(item, outcome) for item, outcome in rows]


class Person:
    """One of the 200: acts through the in-process emulator and waits for the bot's answers."""

    def __init__(self, emulator: Emulator, chat: int, token: str) -> None:
        self.emulator, self.chat, self.token = emulator, chat, token

    def bot_messages(self) -> list[dict[str, Any]]:
        return [m for m in self.emulator.transcript(self.chat) if m["from_bot"]]

    async def until(self, condition: Callable[[], Any], what: str) -> Any:
        deadline = time.monotonic() + 240
        while True:
            version = self.emulator.chat_version(self.chat)
            found = condition()
            if found:
                return found
            if time.monotonic() > deadline or self.emulator.closing:
                raise AssertionError(f"chat {self.chat}: {what} did not happen")
            await self.emulator.wait_chat_change(self.chat, version, 5)

    async def say(self, text: str) -> None:
        sent = self.emulator.user_sends(self.chat, text)
        await self.until(
            lambda: any(m["message_id"] > sent["message_id"] for m in self.bot_messages()),
            f"an answer to {text!r}",
        )

    async def press(self, *, label: str | None = None, data: str | None = None) -> None:
        message_id = None
        if data is not None:
            message_id = next(
                m["message_id"]
                for m in reversed(self.bot_messages())
                for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
                for b in row
                if b.get("callback_data") == data
            )
        pressed = self.emulator.user_presses(
            self.chat, button_text=label, callback_data=data, message_id=message_id
        )
        query = pressed["callback_query_id"]

        def answered() -> bool:
            answers = self.emulator.chat_view(self.chat)["callback_answers"]
            return any(a["callback_query_id"] == query for a in answers)

        await self.until(answered, f"an answer to the button {label or data!r}")

    async def run(self) -> None:
        """Ten updates: join (2), a job interview (3), a better CV (3), /help twice."""
        sent = self.emulator.user_sends(self.chat, f"/start {self.token}")
        agree = f"ob:y:sv:{self.token}"
        await self.until(
            lambda: any(
                b.get("callback_data") == agree
                for m in self.bot_messages()
                if m["message_id"] > sent["message_id"]
                for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
                for b in row
            ),
            "the invitation's question",
        )
        await self.press(data=agree)
        for label in (INTERVIEW, CV):
            await self.say("/progress")
            await self.press(label=label)
            await self.press(label=sv.label("Today"))
        await self.say("/help")
        await self.say("/help")


async def test_2000_updates_through_nginx_with_an_instance_killed_and_restarted(
    settings: Settings, db: Engine, pg_url: str, tmp_path: Path
) -> None:
    if nginx_binary() is None:
        pytest.skip("nginx is not installed (apt-get install nginx; ./dev test does as root)")
    offset = clock_offset()
    set_clock(lambda: datetime.now(UTC) + offset)
    try:
        await _run(settings, db, pg_url, tmp_path, offset)
    finally:
        set_clock(None)


async def _run(
    settings: Settings, db: Engine, pg_url: str, tmp_path: Path, offset: timedelta
) -> None:
    now = datetime.now(UTC) + offset
    settings.secret("hmac_key")  # the keys file the instances share
    silent_people(db, settings, due_at=now - timedelta(minutes=1))
    pairs = active_pairs(db, now)
    users = [UserSpec(user_id=FIRST_SILENT + i, first_name=f"S{i}") for i in range(SILENT)]
    async with running_emulator(rate_limits=False, webhook_retry_seconds=0.1, users=users) as tg:
        world = World(tg, settings, db)
        tokens = [world.invite(pair)["participant"] for pair in pairs]
        people = [
            Person(tg.emulator, tg.emulator.create_user(f"P{i}", language_code="sv").user_id, t)
            for i, t in enumerate(tokens)
        ]
        a = Instance(env={}, log=tmp_path / "a.log", hooks=tmp_path / "hooks-a")
        b = Instance(env={}, log=tmp_path / "b.log")
        proxy = Nginx(tmp_path / "nginx", upstreams=[a.port, b.port])
        for instance in (a, b):
            instance.env = instance_env(
                database_url=pg_url,
                data_dir=settings.data_dir,
                token=tg.token,
                bot_api=tg.base_url,
                webhook_url=f"{proxy.url}{WEBHOOK_PATH}",
            ) | {CLOCK_ENV: str(offset.total_seconds())}
        run: asyncio.Future[Any] | None = None
        restart: asyncio.Future[None] | None = None
        try:
            proxy.start()
            await asyncio.gather(asyncio.to_thread(a.start), asyncio.to_thread(b.start))
            began = time.monotonic()
            run = asyncio.gather(*(p.run() for p in people))
            stats = tg.emulator.state.stats
            await eventually(  # halfway: kill A with updates in flight
                lambda: stats.webhook_deliveries >= 1000, what="1,000 updates", within=400
            )
            assert a.hooks is not None
            (a.hooks / "hold").touch()
            await eventually((a.hooks / "ready").exists, what="A holding", within=30)
            held = [int(f.name.split("-")[1]) for f in a.hooks.glob("held-*")]
            a.kill()
            for name in ("hold", "ready"):
                (a.hooks / name).unlink()
            restart = asyncio.ensure_future(asyncio.to_thread(a.start))  # B takes all meanwhile
            await run
            elapsed = time.monotonic() - began
            await restart  # A is back

            def all_sent() -> bool:
                made = checkin_deliveries(db)
                return len(made) >= SILENT and all(o != "sending" for _i, o in made)

            await eventually(all_sent, what="the due check-ins sent", within=120, every=0.2)
            silent = {
                i: [m for m in tg.emulator.transcript(FIRST_SILENT + i) if m["from_bot"]]
                for i in range(SILENT)
            }
            transcripts = [tuple(m["text"] for m in p.bot_messages()) for p in people]
            errors = stats.webhook_errors
        finally:
            if run is not None:
                run.cancel()
            for instance in (a, b):
                instance.kill()
            proxy.stop()
            if restart is not None:
                await asyncio.gather(restart, return_exceptions=True)
    print(  # noqa: T201 - the figures of the run, in the test's output
        f"\n2,000 updates in {elapsed:.1f} s through nginx; {len(held)} held at the kill, "
        f"{errors} deliveries failed and were tried again"
    )
    # every update's effect once: its id, the 200 joins, the 400 saved steps
    with Session(db) as session:
        handled = session.exec(select(func.count()).select_from(ProcessedUpdate)).one()
        joined = session.exec(
            select(func.count()).select_from(Contact).where(col(Contact.person).startswith("ap-"))
        ).one()
        saved = Counter((e.participant, e.type) for e in session.exec(select(Event)).all())
    assert handled == PEOPLE * 10
    assert joined == PEOPLE
    assert len(saved) == PEOPLE * 2
    assert set(saved.values()) == {1}
    assert {t for _p, t in saved} == {"interview_attended", "cv_improved"}
    # every reply once: 200 people, one script, 200 identical transcripts
    assert len(set(transcripts)) == 1, Counter(map(len, transcripts))
    [shown] = set(transcripts)
    assert sum(t.startswith(sv("✅ Saved: {what}.", what=INTERVIEW)) for t in shown) == 1
    assert sum(t.startswith(sv("✅ Saved: {what}.", what=CV)) for t in shown) == 1
    # the check-ins due in that window: one delivery each, and each person got one message
    deliveries = checkin_deliveries(db)
    assert len(deliveries) == len({item for item, _outcome in deliveries}) == SILENT
    assert {outcome for _item, outcome in deliveries} == {"sent"}
    assert sorted({len(messages) for messages in silent.values()}) == [1]
    # the updates cut off mid-transaction by the kill were handled again, by B or the new A
    assert held
    with Session(db) as session:
        again = session.exec(
            select(ProcessedUpdate.update_id).where(col(ProcessedUpdate.update_id).in_(held))
        ).all()
    assert sorted(again) == sorted(held)
