"""Handling an update once, atomically with what it wrote; conversation state in the database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select
from telegram import Chat, Message, Update, User
from telegram.ext import CallbackContext

from bot.app import build_application
from bot.state import once, peek, prune_processed, was_handled
from emulator.config import sandbox_token
from outcomes.contacts import PersonRole
from outcomes.conversations import Conversation, ProcessedUpdate
from outcomes.invites import create_invites, redeem
from outcomes.models import Event
from outcomes.schemas import EventCreate
from outcomes.service import record_event
from tests.utils.pairs import make_pair

TOKEN = sandbox_token("state-tests")
BOT_ID = int(TOKEN.split(":")[0])


@pytest.fixture
def context(settings, db):
    app = build_application(settings, token=TOKEN, engine=db, rate_limiter=False)
    return CallbackContext(app)


@pytest.fixture
def member(settings, db):
    """A participant bound to Telegram user 501."""
    pair = make_pair(db)
    with Session(db) as s:
        issued = create_invites(s, pair_id=pair.pair, actor="t", settings=settings)
        redeem(
            s,
            settings,
            token=issued[PersonRole.participant].token,
            user_id=501,
            chat_id=501,
            language="uk",
        )
        s.commit()
    return pair


def message_update(update_id: int, user_id: int = 501, text: str = "hi") -> Update:
    user = User(id=user_id, first_name="Olena", is_bot=False, language_code="uk")
    chat = Chat(id=user_id, type="private")
    return Update(update_id, message=Message(1, datetime.now(UTC), chat, from_user=user, text=text))


def _record(turn):
    record_event(
        turn.session,
        event=EventCreate(
            participant="p-1", type="cv_improved", occurred_on=turn.today, source="participant"
        ),
        actor=turn.actor,
    )
    return "saved"


async def test_an_update_is_handled_once(context, db, member):
    update = message_update(10)
    assert await once(update, context, _record) == "saved"
    assert await once(update, context, _record) is None
    with Session(db) as s:
        assert len(s.exec(select(Event)).all()) == 1
    assert was_handled(db, BOT_ID, 10)


async def test_failed_work_leaves_no_trace_and_may_come_again(context, db, member):
    update = message_update(11)

    def _half_then_fail(turn):
        _record(turn)
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        await once(update, context, _half_then_fail)
    assert not was_handled(db, BOT_ID, 11)
    with Session(db) as s:
        assert s.exec(select(Event)).all() == []
    assert await once(update, context, _record) == "saved"


async def test_the_sender_is_found_by_their_telegram_id(context, member):
    assert await peek(message_update(12), context, lambda t: (t.person, t.role, t.lang)) == (
        "p-1",
        "participant",
        "uk",
    )
    stranger = await peek(message_update(13, user_id=999), context, lambda t: (t.contact, t.lang))
    assert stranger == (None, "uk")  # not bound: language from the Telegram client


async def test_conversation_state_lives_in_the_database(context, db, member):
    def _start(turn):
        return turn.begin("progress", "type").nonce

    nonce = await once(message_update(20), context, _start)
    assert (
        await once(
            message_update(21), context, lambda t: t.move("ask", queue=["job_started"]).nonce
        )
        == nonce
    )
    with Session(db) as s:
        row = s.get(Conversation, "p-1")
        assert (row.flow, row.step, row.nonce, row.data) == (
            "progress",
            "ask",
            nonce,
            {"queue": ["job_started"]},
        )
    assert await once(message_update(22), context, _start) != nonce  # a new flow, a new nonce
    await once(message_update(23), context, lambda t: t.end())
    with Session(db) as s:
        assert s.get(Conversation, "p-1") is None


async def test_peek_writes_nothing(context, db, member):
    await peek(message_update(30), context, lambda t: t.begin("ask", "question"))
    with Session(db) as s:
        assert s.get(Conversation, "p-1") is None
        assert s.exec(select(ProcessedUpdate)).all() == []


async def test_old_update_ids_are_pruned(context, db, member):
    await once(message_update(40), context, lambda t: None)
    assert prune_processed(db, keep_days=1) == 0
    assert prune_processed(db, keep_days=-1) == 1
    assert not was_handled(db, BOT_ID, 40)


async def test_errors_are_logged_without_what_people_wrote(context, caplog):
    from bot.app import on_error

    try:
        raise ValueError("INSERT note='I got the job at Volvo'")
    except ValueError as exc:
        context.error = exc
    update = Update(99, message=None)
    with caplog.at_level("DEBUG"):
        await on_error(update, context)
    assert "update 99 failed: ValueError at test_state.py" in caplog.text
    assert "Volvo" not in caplog.text
