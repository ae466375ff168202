"""kill -9 in the middle of a webhook update: nothing of it was stored, Telegram (the emulator)
delivers it again to the restarted instance, and it is handled once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.i18n import Tr
from emulator.testing import running_emulator
from outcomes.models import Event
from tests.utils.botdriver import World
from tests.utils.deployment import WEBHOOK_PATH, Instance, instance_env
from tests.utils.pairs import make_pair
from tests.utils.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.deploy]


def events(db) -> list[Event]:
    with Session(db) as session:
        return list(session.exec(select(Event)).all())


async def test_an_update_killed_before_its_commit_comes_again_and_is_saved_once(
    settings, db, pg_url: str, tmp_path: Path
) -> None:
    pair = make_pair(db)
    sv = Tr("sv")
    async with running_emulator(rate_limits=False, webhook_retry_seconds=0.1) as tg:
        world = World(tg, settings, db)
        hooks = tmp_path / "hooks"
        instance = Instance(env={}, log=tmp_path / "instance.log", hooks=hooks)
        instance.env = instance_env(
            database_url=pg_url,
            data_dir=settings.data_dir,
            token=tg.token,
            bot_api=tg.base_url,
            webhook_url=f"{instance.url}{WEBHOOK_PATH}",
        )
        settings.secret("hmac_key")  # the keys file, shared with the instance
        await asyncio.to_thread(instance.start)
        try:
            sara = await world.join(pair.pair, "participant", name="Sara", within=30)
            await world.say(sara, "/progress")
            await world.press(sara, sv.label("🤝 Job interview"))

            (hooks / "hold").touch()  # the next update stops just before its commit
            pressed = await tg.press(sara.chat, sv.label("Today"))
            held = hooks / f"held-{pressed['update_id']}"
            await eventually(held.exists, what="the press held before its commit", within=20)
            await eventually((hooks / "ready").exists, what="nothing else half done")
            instance.kill()
            assert events(db) == []  # its transaction died with the process

            for name in ("hold", "ready", held.name):
                (hooks / name).unlink()
            # Telegram delivers the update again, to the new process
            await asyncio.to_thread(instance.start)
            await world.answered(sara, pressed["callback_query_id"], within=30)
            done = sv("✅ Saved: {what}.", what=sv.label("🤝 Job interview"))
            assert (await world.last(sara))["text"].startswith(done)
            texts = [m["text"] for m in await tg.transcript(sara.chat) if m["from_bot"]]
            assert sum(t.startswith(done) for t in texts) == 1
        finally:
            instance.kill()
        stats = await tg.stats()
    assert [(e.type, e.status) for e in events(db)] == [("interview_attended", "confirmed")]
    assert stats["webhook_errors"] >= 1  # the killed delivery failed and was tried again
