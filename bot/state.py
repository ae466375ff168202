"""Each update handled once, and the conversation a person is in, both in the database.

Every handler does its database work through ``once``::

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        \"\"\"The person pressed a button of this flow.\"\"\"
        await deliver(update, context, await once(update, context, _work))

    def _work(turn: Turn) -> Outcome:        # runs in a worker thread, in one transaction
        conv = turn.conversation             # where the person is (None: no conversation)
        turn.begin("progress", "type")       # start a flow (a fresh nonce), or
        turn.move("attr", extent="part")     # go on, or
        turn.end()                           # finish
        return say(turn.tr("Saved."))

``once`` inserts the update's id into ``bot_processed_update`` first, in the same transaction as
everything ``_work`` writes, and commits both together: a duplicate update finds its id and is
dropped (``None``: nothing is sent), and an update whose work failed left no trace and may come
again. ``peek`` runs a read-only look (no dedupe) before slow async work such as a knowledge
search. The person is always the sender, found by the keyed hash of their Telegram user id, so a
handler never takes a person or pair from button data. Both run in the bot's own database threads
(``in_db_thread``), apart from the default pool that knowledge searches use.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col
from telegram import Update
from telegram.ext import ContextTypes

from bot.i18n import Tr, pick_language
from bot.replies import Reply
from core.settings import Settings
from outcomes.clock import today, utcnow
from outcomes.contacts import Contact, find_by_user
from outcomes.conversations import Conversation, ProcessedUpdate

log = logging.getLogger(__name__)
T = TypeVar("T")
P = ParamSpec("P")
DEPS_KEY = "stegvis"
PRUNE_EVERY = 5000  # update ids: now and then, forget the handled ids older than two weeks
DB_THREADS = 4
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


@dataclass(frozen=True)
class BotDeps:
    """What handlers need besides the update: settings, the database, the bot's id, and the
    flows registered to start when someone joins (``bot/hooks.py``)."""

    settings: Settings
    engine: Engine
    bot_id: int
    after_join: tuple[AfterJoin, ...] = ()


def deps(context: ContextTypes.DEFAULT_TYPE) -> BotDeps:
    """The dependencies ``build_application`` put into ``bot_data``."""
    found = context.bot_data[DEPS_KEY]
    assert isinstance(found, BotDeps)
    return found


@dataclass
class Turn:
    """One update's view of the world, inside its transaction."""

    session: Session
    settings: Settings
    contact: Contact | None
    language_code: str | None
    user_id: int | None
    chat_id: int | None
    today: date = field(default_factory=today)
    _conversation: Conversation | None = None
    _loaded: bool = False

    @property
    def lang(self) -> str:
        """The person's language: chosen, else their Telegram client's."""
        if self.contact is not None:
            return self.contact.language
        return pick_language(self.language_code)

    @property
    def tr(self) -> Tr:
        return Tr(self.lang)

    @property
    def person(self) -> str:
        assert self.contact is not None
        return self.contact.person

    @property
    def role(self) -> str:
        assert self.contact is not None
        return str(self.contact.role)

    @property
    def actor(self) -> str:
        """How the audit log names this person's bot actions (``bot:mentor:m-1``)."""
        return f"bot:{self.role}:{self.person}"

    @property
    def conversation(self) -> Conversation | None:
        """The conversation the person is in, or None."""
        if not self._loaded:
            self._loaded = True
            if self.contact is not None:
                self._conversation = self.session.get(Conversation, self.contact.person)
        return self._conversation

    def in_flow(self, flow: str, nonce: str | None = None) -> Conversation | None:
        """The conversation if it is ``flow`` (and, given a nonce, that very instance)."""
        conv = self.conversation
        if conv is None or conv.flow != flow or (nonce is not None and conv.nonce != nonce):
            return None
        return conv

    def begin(self, flow: str, step: str, **data: Any) -> Conversation:
        """Start a flow (replacing any other conversation) with a fresh nonce."""
        conv = self.conversation
        if conv is None:
            conv = Conversation(person=self.person, flow=flow, step=step, nonce="", data={})
        conv.flow, conv.step, conv.nonce = flow, step, secrets.token_hex(3)
        conv.data = dict(data)
        conv.updated_at = utcnow()
        self.session.add(conv)
        self._conversation, self._loaded = conv, True
        return conv

    def move(self, step: str, **data: Any) -> Conversation:
        """Go to ``step`` of the current flow, adding ``data``."""
        conv = self.conversation
        assert conv is not None, "move() needs a conversation; begin() one first"
        conv.step = step
        conv.data = {**conv.data, **data}  # a new dict, so that the JSON column is saved
        conv.updated_at = utcnow()
        self.session.add(conv)
        return conv

    def end(self) -> None:
        """Leave the conversation."""
        conv = self.conversation
        if conv is not None:
            self.session.delete(conv)
        self._conversation, self._loaded = None, True


AfterJoin = Callable[[Turn], list[Reply]]
"""A flow that starts when someone joins (``bot/hooks.py``)."""


def _turn(session: Session, deps_: BotDeps, update: Update) -> Turn:
    user = update.effective_user
    chat = update.effective_chat
    contact = find_by_user(session, deps_.settings, user.id) if user is not None else None
    return Turn(
        session=session,
        settings=deps_.settings,
        contact=contact,
        language_code=user.language_code if user is not None else None,
        user_id=user.id if user is not None else None,
        chat_id=chat.id if chat is not None else None,
    )


def _once_sync(deps_: BotDeps, update: Update, work: Callable[[Turn], T]) -> T | None:
    with Session(deps_.engine, expire_on_commit=False) as session:
        session.add(ProcessedUpdate(bot_id=deps_.bot_id, update_id=update.update_id))
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            log.info("update %s was handled before; dropped", update.update_id)
            return None
        try:
            result = work(_turn(session, deps_, update))
            session.commit()
        except BaseException:
            session.rollback()
            raise
        return result


def _db_threads() -> ThreadPoolExecutor:
    """The bot's own worker threads for database work, apart from the default pool (which the
    knowledge base's searches use), so that slow searches never hold up an update."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=DB_THREADS, thread_name_prefix="bot-db")
        return _executor


async def in_db_thread(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a blocking database function in the bot's database threads."""
    work = partial(function, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_db_threads(), work)


async def once(
    update: Update, context: ContextTypes.DEFAULT_TYPE, work: Callable[[Turn], T]
) -> T | None:
    """Run ``work`` for this update exactly once: ``None`` when it was handled before."""
    found = deps(context)
    result = await in_db_thread(_once_sync, found, update, work)
    if update.update_id % PRUNE_EVERY == 0:
        await in_db_thread(prune_processed, found.engine)
    return result


def _peek_sync(deps_: BotDeps, update: Update, look: Callable[[Turn], T]) -> T:
    with Session(deps_.engine, expire_on_commit=False) as session:
        try:
            return look(_turn(session, deps_, update))
        finally:
            session.rollback()


async def peek(update: Update, context: ContextTypes.DEFAULT_TYPE, look: Callable[[Turn], T]) -> T:
    """A read-only look at the sender's world (nothing is written, the update is not marked)."""
    return await in_db_thread(_peek_sync, deps(context), update, look)


def was_handled(engine: Engine, bot_id: int, update_id: int) -> bool:
    """Whether an update was handled already."""
    with Session(engine) as session:
        return session.get(ProcessedUpdate, (bot_id, update_id)) is not None


def prune_processed(engine: Engine, *, keep_days: int = 14) -> int:
    """Forget handled update ids older than ``keep_days`` (Telegram keeps updates for 24 hours)."""
    cutoff = utcnow() - timedelta(days=keep_days)
    with Session(engine) as session:
        result = session.exec(delete(ProcessedUpdate).where(col(ProcessedUpdate.at) < cutoff))
        session.commit()
        return int(result.rowcount or 0)
