"""kill -9 in the middle of /progress: the bot runs as its own process, polling the emulator."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.i18n import Tr
from emulator.testing import running_emulator
from outcomes.conversations import Conversation
from outcomes.models import Event
from tests.utils.botdriver import World
from tests.utils.pairs import make_pair
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def start_bot(tg, log: Path) -> subprocess.Popen[bytes]:
    """``python -m bot.run`` against the emulator, with the test's database and keys (env)."""
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            [
                sys.executable,
                "-m",
                "bot.run",
                "--base-url",
                tg.base_url,
                "--token",
                tg.token,
                "--no-rate-limiter",
                "--no-knowledge-warmup",
            ],
            cwd=ROOT,
            env=dict(os.environ),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def answers(db) -> list[dict]:
    with Session(db) as s:
        conv = s.get(Conversation, "p-1")
        return list(conv.data.get("answers", [])) if conv else []


async def test_sigkill_in_the_middle_of_progress(settings, db, tmp_path):
    pair = make_pair(db)
    sv = Tr("sv")
    log = tmp_path / "bot.log"
    async with running_emulator(rate_limits=False) as tg:
        world = World(tg, settings, db)
        bot = start_bot(tg, log)
        try:
            sara = await world.join(
                pair.pair, "participant", name="Sara", language_code="sv", within=60
            )  # the first answer waits for the bot to start
            await world.say(sara, "/progress")
            await world.press(sara, sv.label("🤝 Job interview"))  # a confirmed event
            await world.press(sara, sv.label("Today"))

            await world.say(sara, "/progress")
            await world.press(sara, sv.label("💼 New job"))
            await world.press(sara, sv.label("Full time"))  # acknowledged: the next question
            # the bot saves the next answer, then hangs while showing the question after it
            await tg.add_fault("delay", methods=["editMessageText"], delay_ms=60_000)
            await tg.press(sara.chat, sv.label("Yes"))
            await eventually(
                lambda: answers(db) == [{"e": "f", "r": "y"}],
                what="her answer saved before the bot hangs",
                within=20,
            )
            kill(bot)
            await tg.clear_faults()

            # while the bot is down she presses "Yes" again: the question is still on her screen
            on_screen = await world.last(sara)
            assert sv("Is the job in your field – your education or trade?") in on_screen["text"]
            pressed = await tg.press(sara.chat, sv.label("Yes"))
            bot = start_bot(tg, log)
            await world.answered(sara, pressed["callback_query_id"], within=60)
            now = await world.last(sara)  # she is where she was: the question after hers
            assert sv("Did the mentoring program help with this?") in now["text"]
            assert answers(db) == [{"e": "f", "r": "y"}]  # her answer kept, and only once
            [when] = await world.press(sara, sv.label("Yes"))
            assert sv("When did it happen?") in when["text"]
            [saved] = await world.press(sara, sv.label("Today"))
            assert saved["text"].startswith(sv("✅ Saved: {what}.", what=sv.label("💼 New job")))
        finally:
            if bot.poll() is None:
                kill(bot)
    with Session(db) as s:
        found = s.exec(select(Event).order_by(Event.recorded_at)).all()
    assert [(e.type, e.status) for e in found] == [
        ("interview_attended", "confirmed"),
        ("job_started", "confirmed"),
    ]
    assert (found[1].extent, found[1].relevant, found[1].program_contributed) == (
        "full_time",
        True,
        "yes",
    )
    assert "Sara" not in log.read_text()  # no names or message text in the bot's log
