"""Drive the real bot through the emulator, as people would: invite, onboard, chat, press.

    async with running_bot(settings, db) as world:
        ids = make_pair(db)
        amal = await world.join(ids.pair, "participant", language_code="ar")
        reply = await world.say(amal, "/progress")
        await world.press(amal, world.label(amal, "🤝 Job interview"))

``say`` waits for the bot's new messages; ``press`` waits until the button is answered (the bot
answers a button after its replies are on screen) and returns what changed: new messages and the
pressed message as it is now.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Engine, select
from sqlmodel import Session

from bot.app import build_application
from bot.i18n import Tr
from core.settings import Settings
from emulator.testing import EmulatorClient, EmulatorUser, polling, running_emulator
from outcomes.contacts import PersonRole
from outcomes.invites import create_invites
from outcomes.tables import metadata

Message = dict[str, Any]


@dataclass(frozen=True)
class Person:
    user: EmulatorUser
    lang: str

    @property
    def chat(self) -> int:
        return self.user.chat_id


def buttons(message: Message) -> list[tuple[str, str]]:
    """(label, callback_data) of every inline button of a message."""
    markup = message.get("reply_markup") or {}
    return [
        (b["text"], b.get("callback_data", ""))
        for row in markup.get("inline_keyboard", [])
        for b in row
    ]


class World:
    """The emulator, the running bot, and helpers to act as its users."""

    def __init__(self, tg: EmulatorClient, settings: Settings, engine: Engine) -> None:
        self.tg = tg
        self.settings = settings
        self.engine = engine

    def invite(self, pair: str) -> dict[str, str]:
        """Fresh invite tokens for a pair, by role."""
        with Session(self.engine) as session:
            issued = create_invites(
                session, pair_id=pair, actor="staff:test", settings=self.settings
            )
            session.commit()
        return {str(role): inv.token for role, inv in issued.items()}

    async def user(self, name: str = "Ada", language_code: str | None = "sv") -> Person:
        user = await self.tg.create_user(name, language_code=language_code)
        return Person(user, language_code or "sv")

    async def say(
        self, person: Person, text: str, *, count: int = 1, within: float = 10
    ) -> list[Message]:
        """The person writes; the bot's ``count`` new messages."""
        await self.tg.send(person.chat, text)
        return await self.tg.wait_for_reply(person.chat, count=count, timeout=within)

    async def press(
        self,
        person: Person,
        label: str | None = None,
        *,
        data: str | None = None,
        message_id: int | None = None,
        within: float = 10,
    ) -> list[Message]:
        """Press a button (by label: the newest message that has it); messages new or changed."""
        before = {m["message_id"]: m for m in await self.tg.transcript(person.chat)}
        if data is not None and message_id is None:
            message_id = next(
                m["message_id"]
                for m in reversed(list(before.values()))
                if any(d == data for _l, d in buttons(m))
            )
        pressed = await self.tg.press(person.chat, label, message_id=message_id, callback_data=data)
        query_id = pressed["callback_query_id"]
        await self.answered(person, query_id, within=within)
        after = await self.tg.transcript(person.chat)
        return [m for m in after if m["from_bot"] and before.get(m["message_id"]) != m]

    async def answered(
        self, person: Person, query_id: str, *, within: float = 10
    ) -> dict[str, Any]:
        """Wait until the bot answered a button press; the answer (its toast)."""
        return await self.tg.wait_for_answer(person.chat, query_id, timeout=within)

    async def join(
        self,
        pair: str,
        role: str,
        *,
        name: str = "Ada",
        language_code: str | None = "sv",
        choose: str | None = None,
        within: float = 10,
    ) -> Person:
        """A person opens their invite link and agrees (choosing another language if given)."""
        token = self.invite(pair)[role]
        return await self.join_with(
            token, name=name, language_code=language_code, choose=choose, within=within
        )

    async def join_with(
        self,
        token: str,
        *,
        name: str = "Ada",
        language_code: str | None = "sv",
        choose: str | None = None,
        within: float = 10,
    ) -> Person:
        person = await self.user(name, language_code)
        await self.say(person, f"/start {token}", within=within)
        lang = person.lang if choose is None else choose
        if choose is not None:
            await self.press(person, data=f"ob:l:{choose}:{token}")
        await self.press(person, data=f"ob:y:{lang}:{token}")
        return Person(person.user, lang)

    async def toast(self, person: Person) -> str | None:
        """The text of the bot's answer to the person's last button press."""
        answers = (await self.tg.chat(person.chat)).get("callback_answers", [])
        return answers[-1]["text"] if answers else None

    def label(self, person: Person, msgid: str) -> str:
        """A button label as this person sees it."""
        return Tr(person.lang).label(msgid)

    def text(self, person: Person, msgid: str, **values: Any) -> str:
        """A message as this person sees it."""
        return str(Tr(person.lang)(msgid, **values))

    async def last(self, person: Person) -> Message:
        """The newest bot message in the person's chat."""
        return [m for m in await self.tg.transcript(person.chat) if m["from_bot"]][-1]

    async def wait(
        self, person: Person, condition: Callable[[list[Message]], Any], within: float = 10
    ) -> list[Message]:
        return await self.tg.wait_for(person.chat, condition, timeout=within)


def snapshot(
    engine: Engine, *, skip: tuple[str, ...] = ("bot_processed_update",)
) -> dict[str, list[str]]:
    """Every row of every table (but ``skip``), as sorted JSON strings: compare two of them."""
    out: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for table in metadata().sorted_tables:
            if table.name in skip:
                continue
            rows = conn.execute(select(table)).mappings().all()
            out[table.name] = sorted(json.dumps(dict(r), default=str, sort_keys=True) for r in rows)
    return out


def changed(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, Any]:
    """The tables whose rows differ, with the rows gone and the rows new."""
    diff = {}
    for name in set(before) | set(after):
        old, new = set(before.get(name, [])), set(after.get(name, []))
        if old != new:
            diff[name] = {"gone": sorted(old - new), "new": sorted(new - old)}
    return diff


async def download(world: World, message: Message) -> bytes:
    """The file of a document message the bot sent."""
    file_id = message["media"]["document"]["file_id"]
    async with httpx.AsyncClient(base_url=world.tg.root_url) as http:
        response = await http.get(f"/_emulator/files/{file_id}")
        response.raise_for_status()
        return response.content


def inject_callback(world: World, person: Person, message_id: int, data: str) -> str:
    """A button press with any data, as a modified client could send it; the query id."""
    emulator = world.tg.emulator
    bot = emulator.bot(None)
    with emulator.state.lock:
        chat = emulator.state.chat(bot, person.chat)
        message = chat.messages[message_id]
        query_id = str(5_000_000_000_000_000_000 + emulator.state.next_callback_id)
        emulator.state.next_callback_id += 1
        from emulator.state import CallbackRecord

        bot.callbacks[query_id] = CallbackRecord(chat.chat_id, message_id, data)
        payload = {
            "id": query_id,
            "from": chat.user.to_api(),
            "message": message.to_api(chat, bot.user_api()),
            "chat_instance": "1",
            "data": data,
        }
        bot.updates.push({"update_id": bot.new_update_id(), "callback_query": payload})
    bot.updates.signal.notify()
    return query_id


class Recorder:
    """Keeps every update the emulator queues for the bot, to deliver them all again later."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.updates: list[dict[str, Any]] = []
        self._queue = world.tg.emulator.bot(None).updates
        self._push = self._queue.push

        def push(update: dict[str, Any], *, twice: bool = False) -> None:
            self.updates.append(json.loads(json.dumps(update)))
            self._push(update, twice=twice)

        self._queue.push = push  # type: ignore[method-assign]

    def replay(self) -> int:
        """Deliver every recorded update once more (as Telegram does after a lost answer)."""
        emulator = self.world.tg.emulator
        with emulator.state.lock:
            self._queue.redeliver.extend(json.loads(json.dumps(u)) for u in self.updates)
        self._queue.signal.notify()
        return len(self.updates)


@contextlib.asynccontextmanager
async def running_bot(settings: Settings, engine: Engine, **emulator: Any) -> AsyncIterator[World]:
    """The emulator on loopback and the real bot polling it, in this event loop.

    The knowledge base is the real one over a few materials with fake embeddings
    (``tests/utils/knowledge.py``), so that no test builds the full index by accident.
    """
    from tests.utils.knowledge import installed_knowledge

    with installed_knowledge():
        async with running_emulator(rate_limits=False, **emulator) as tg:
            app = build_application(
                settings, base_url=tg.base_url, token=tg.token, rate_limiter=False, engine=engine
            )
            async with polling(app):
                yield World(tg, settings, engine)


ROLES = (PersonRole.mentor.value, PersonRole.participant.value)
