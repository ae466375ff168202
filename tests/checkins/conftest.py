"""Fixtures for check-ins and surveys: a fake clock, and the real bot on the emulator with a
sender the test drives itself (the bot's own background sender is stopped)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from telegram.ext import Application

from bot.app import build_application
from bot.scheduler import SENDER_KEY, Sender
from core.settings import Settings
from emulator.config import UserSpec
from emulator.testing import polling, running_emulator
from outcomes.clock import STOCKHOLM, set_clock
from outcomes.models import Cohort
from outcomes.schedule_models import ScheduledItem
from tests.utils.botdriver import Message, Person, World, buttons
from tests.utils.factories import add_pairs, connect


class FakeClock:
    """The time ``outcomes.clock`` reports: set and moved by the test."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment.astimezone(UTC)

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment in Stockholm time."""
    return datetime(year, month, day, hour, minute, tzinfo=STOCKHOLM)


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    """A fake clock at Monday 3 February 2025, 10:00 in Stockholm."""
    fake = FakeClock(local(2025, 2, 3).astimezone(UTC))
    set_clock(fake)
    try:
        yield fake
    finally:
        set_clock(None)


@dataclass
class Running:
    world: World
    app: Application  # type: ignore[type-arg]
    sender: Sender


@contextlib.asynccontextmanager
async def bot_on_emulator(
    settings: Settings,
    engine: Engine,
    *,
    worker: str = "test",
    rate_limits: bool = False,
    **emulator: Any,
) -> AsyncIterator[Running]:
    """The real bot polling the emulator (limits off unless asked: then the bot has PTB's
    ``AIORateLimiter`` too); the test drives the sender."""
    async with running_emulator(rate_limits=rate_limits, **emulator) as tg:
        app = build_application(
            settings, base_url=tg.base_url, token=tg.token, rate_limiter=rate_limits, engine=engine
        )
        async with polling(app):
            background, task = app.bot_data.pop(SENDER_KEY)
            background.stop()
            await task
            sender = Sender(app.bot, engine, settings, worker=worker, rate=None)
            yield Running(World(tg, settings, engine), app, sender)


@pytest.fixture
async def running(settings: Settings, db: Engine, clock: FakeClock) -> AsyncIterator[Running]:
    async with bot_on_emulator(settings, db) as r:
        yield r


def with_data(messages: list[Message], prefix: str) -> list[Message]:
    """The bot's messages that have a button whose data starts with ``prefix``."""
    return [
        m for m in messages if m["from_bot"] and any(d.startswith(prefix) for _l, d in buttons(m))
    ]


async def newest_with(world: World, person: Person, prefix: str) -> Message:
    """The newest bot message of the person's chat with such a button."""
    found = with_data(await world.tg.transcript(person.chat), prefix)
    assert found, f"no message with a {prefix!r} button"
    return found[-1]


def data_of(message: Message, prefix: str) -> list[str]:
    return [d for _l, d in buttons(message) if d.startswith(prefix)]


FIRST_USER = 500_000_001


def user_specs(n: int, first: int = FIRST_USER) -> list[UserSpec]:
    """Emulator users who have written to the bot before (so it may write to them)."""
    return [UserSpec(user_id=first + i, first_name=f"P{i}", language_code="sv") for i in range(n)]


def bound_participants(
    engine: Engine,
    settings: Settings,
    n: int,
    *,
    start: date,
    first: int = FIRST_USER,
    lang: str = "sv",
) -> list[str]:
    """``n`` pairs in one cohort whose participants are connected to users ``first``, …;
    returns the pair ids (``pair-0`` …, participants ``p-0`` …)."""
    with Session(engine) as session:
        session.add(Cohort(id="c-1", name="Round 1", start=start, end=start + timedelta(days=240)))
        pairs = add_pairs(session, "c-1", n, matched_on=start)
        for i, pair in enumerate(pairs):
            connect(session, settings, user=first + i, person=f"p-{i}", pair=pair, language=lang)
        session.commit()
    return pairs


def due_checkins(engine: Engine, pairs: list[str], due_at: datetime) -> None:
    """A first-month check-in due at ``due_at`` for the participant of each pair."""
    with Session(engine) as session:
        for pair in pairs:
            session.add(
                ScheduledItem(
                    pair=pair,
                    role="participant",
                    person="p-" + pair[5:],
                    kind="checkin",
                    sequence=1,
                    due_at=due_at,
                )
            )
        session.commit()


async def bot_messages(world: World, chat_id: int, prefix: str = "ci:o:") -> list[Message]:
    """The bot's scheduled messages in a chat (those with a ``prefix`` button)."""
    return with_data(await world.tg.transcript(chat_id), prefix)
