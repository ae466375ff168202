"""The sender: due check-ins, surveys and reminders, written from the bot's own process.

    install(app)                         # in build_application: starts with the bot, stops with it
    sender = Sender(app.bot, engine, settings)
    report = await sender.drain()        # send everything due now (tests, benchmarks)

Every few seconds the sender claims due items of the schedule (``outcomes/schedule.py``: an
atomic claim, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so a second bot instance never takes the
same item), builds each person's opening message in their language (``handlers/checkin.py``,
``handlers/survey.py``), and sends it:

1. the deliveries are recorded as begun and committed *before* the messages go out, a chunk of
   ``concurrency`` at a time (``begin_deliveries``): the (item, attempt) row is unique, so a
   restart, a crash or another instance can never send the same attempt twice;
2. the messages are sent through PTB (``AIORateLimiter`` retries 429s), paced at ``rate`` per
   second (a token bucket) so that a month's fan-out to thousands is spread over minutes and
   stays under Telegram's ~30 messages/s; the next chunk is begun while one is being sent;
3. ``finish_deliveries`` records the outcomes and plans the reminders (3 and 7 days later).

Stopping (``stop``, or the bot's ``post_stop`` on a restart) sends what was begun and gives the
rest of the claim back at once. A sender that dies between 1 and 3 leaves its claim to run out
(five minutes); the next claim finds those deliveries begun and counts them as made: at most
once, and at most two chunks at risk. A send whose answer is lost in a timeout is counted as made
too; the reminder covers the rare loss. A person who blocked the bot, left, or whose pair ended
gets nothing more; a survey already finished is not reminded of.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select
from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.alongside import run_alongside
from bot.announce import announcement_text
from bot.handlers import checkin, group_meeting, mentor_survey, survey
from bot.ptb import BotApplication
from bot.replies import Reply
from bot.send import Recipient, send_to_person
from bot.state import DEPS_KEY, BotDeps, Turn
from core.settings import Settings
from outcomes import announcements, group_meetings, schedule
from outcomes.clock import today, utcnow
from outcomes.contacts import Contact, decrypt_chat_id
from outcomes.models import Pair, Participant
from outcomes.schedule import Claim
from outcomes.schedule_models import ScheduledItem
from outcomes.types import table_of

log = logging.getLogger(__name__)

DEFAULT_RATE = 28.0  # messages/s: under Telegram's ~30/s, with room for the bot's own replies
BATCH = 60  # items claimed at a time (about two seconds of sending)
CONCURRENCY = 16  # sends in flight at once
INTERVAL = 2.0  # seconds between looks at the schedule when nothing is due
SENDER_KEY = "stegvis_sender"
SURVEY_KINDS = ("baseline", "followup_1", "followup_2", "result")
MENTOR_SURVEY_KINDS = ("mentor_start", "mentor_end")
ANNOUNCEMENT_BATCH = 300  # recipients claimed at a time (~10 s of sending: few pauses between)

Outcome = str  # sent | unreachable | failed | skipped | taken_over


Ready = tuple[announcements.Claim, Recipient, str]  # an announcement's claim, to whom, the text


class _WithId(Protocol):
    id: str


M = TypeVar("M", bound=_WithId)


@dataclass
class Prepared:
    """A claimed item and what to do with it: send ``reply`` to ``recipient``, or close it."""

    claim: Claim
    recipient: Recipient | None = None
    reply: Reply | None = None
    close: str | None = None  # why nothing is sent: answered | unreachable | ended


class Pacer:
    """At most ``rate`` sends per second on average (``None``: no pacing).

    A token bucket: the short pauses between batches (claiming, recording) are made up with a
    burst of at most half a second's worth, so the fan-out keeps its rate without ever going
    over Telegram's.
    """

    def __init__(self, rate: float | None, burst: float | None = None) -> None:
        self.rate = rate or 0.0
        self.burst = burst if burst is not None else max(1.0, self.rate / 2)
        self._tokens = self.burst
        self._stamp = time.monotonic()
        self._lock = asyncio.Lock()

    async def slot(self) -> None:
        if not self.rate:
            return
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)


def worker_name() -> str:
    """A name for this sender in the claims (host, process, random)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(3)}"


class Sender:
    """Claims due items of the schedule and sends them; see the module docstring."""

    def __init__(
        self,
        bot: Bot,
        engine: Engine,
        settings: Settings,
        *,
        worker: str | None = None,
        rate: float | None = DEFAULT_RATE,
        batch: int = BATCH,
        concurrency: int = CONCURRENCY,
        interval: float = INTERVAL,
    ) -> None:
        self.bot = bot
        self.engine = engine
        self.settings = settings
        self.worker = worker or worker_name()
        self.pacer = Pacer(rate)
        self.batch = batch
        self.interval = interval
        self.concurrency = concurrency
        self._stopping = asyncio.Event()
        self.totals: Counter[str] = Counter()

    # -- one round -------------------------------------------------------------------------

    async def run_once(self, now: datetime | None = None) -> Counter[str]:
        """Claim up to ``batch`` due items and deliver them; counts of what happened."""
        counts: Counter[str] = Counter()
        if self._stopping.is_set():
            return counts
        claims = await asyncio.to_thread(
            schedule.claim_due, self.engine, worker=self.worker, limit=self.batch, now=now
        )
        if not claims:
            return counts
        counts["claimed"] = len(claims)
        prepared = await asyncio.to_thread(self._prepare, claims)
        finished: list[tuple[Claim, str, str | None]] = []
        unsent: list[int] = []
        for item in prepared:
            if item.close is not None:
                counts["skipped" if item.close == "answered" else "unreachable"] += 1
        ready = [p for p in prepared if p.close is None]
        sending: asyncio.Task[None] | None = None
        for lo in range(0, len(ready), self.concurrency):
            chunk = ready[lo : lo + self.concurrency]
            if self._stopping.is_set():  # not begun: give them back for the next sender
                unsent.extend(p.claim.id for p in chunk)
                counts["released"] += len(chunk)
                continue
            # begun (committed) while the chunk before is still being sent
            began = await asyncio.to_thread(self._begin_many, [p.claim for p in chunk])
            if sending is not None:
                await sending
            if not all(began):
                counts["taken_over"] += began.count(False)
            go = [p for p, ok in zip(chunk, began, strict=True) if ok]
            sending = asyncio.create_task(self._send_all(go, finished, counts))
        if sending is not None:
            await sending
        await asyncio.to_thread(self._finish, finished, unsent)
        self.totals.update(counts)
        return counts

    async def _send_all(
        self,
        items: list[Prepared],
        finished: list[tuple[Claim, str, str | None]],
        counts: Counter[str],
    ) -> None:
        """Send begun deliveries, paced; every one of them is sent, even when stopping."""

        async def one(item: Prepared) -> None:
            assert item.recipient is not None
            assert item.reply is not None
            await self.pacer.slot()
            outcome, detail = await self._send(item.recipient, item.reply)
            finished.append((item.claim, outcome, detail))
            counts[outcome if detail is None else f"{outcome} ({detail})"] += 1

        await asyncio.gather(*(one(p) for p in items))

    async def drain(self, now: datetime | None = None) -> Counter[str]:
        """Send everything that is due (``now``, else the clock's time) until nothing is left:
        check-ins, surveys and reminders, and announcements (``announcement …`` counts)."""
        total: Counter[str] = Counter()
        while not self._stopping.is_set():
            counts = await self.run_once(now)
            counts.update(await self.announce_once(now))
            if not counts:
                break
            total.update(counts)
        return total

    # -- announcements (outcomes/announcements.py) -------------------------------------------

    async def announce_once(self, now: datetime | None = None) -> Counter[str]:
        """Send announcements until none is due, ``ANNOUNCEMENT_BATCH`` recipients claimed at a
        time, as ``run_once`` does for the schedule: each chunk is begun (``sending``,
        committed) before it goes out, so nothing is sent twice; one cancelled meanwhile is not
        begun. The next batch is claimed and prepared while the last chunk of one goes out, so
        the pacing keeps its rate across batches."""
        counts: Counter[str] = Counter()
        if self._stopping.is_set():
            return counts
        ready, claimed = await asyncio.to_thread(self._claim_announcements, now)
        counts.update(claimed)
        while ready:
            finished: list[tuple[announcements.Claim, str]] = []
            unsent: list[int] = []
            sending: asyncio.Task[None] | None = None
            upcoming: asyncio.Task[tuple[list[Ready], Counter[str]]] | None = None
            for lo in range(0, len(ready), self.concurrency):
                chunk = ready[lo : lo + self.concurrency]
                if self._stopping.is_set():
                    unsent.extend(claim.id for claim, _r, _t in chunk)
                    counts["announcement released"] += len(chunk)
                    continue
                began = await asyncio.to_thread(
                    self._begin_announcements, [c for c, _r, _t in chunk]
                )
                if sending is not None:
                    await sending
                go = [p for p in chunk if p[0].id in began]
                counts["announcement not begun (cancelled)"] += len(chunk) - len(go)
                sending = asyncio.create_task(self._send_announcements(go, finished, counts))
                if lo + self.concurrency >= len(ready) and not self._stopping.is_set():
                    upcoming = asyncio.create_task(
                        asyncio.to_thread(self._claim_announcements, now)
                    )
            if sending is not None:
                await sending
            await asyncio.to_thread(self._finish_announcements, finished, unsent)
            ready, claimed = await upcoming if upcoming is not None else ([], Counter())
            counts.update(claimed)
            if ready and self._stopping.is_set():  # claimed ahead, not begun: give them back
                await asyncio.to_thread(
                    self._finish_announcements, [], [claim.id for claim, _r, _t in ready]
                )
                counts["announcement released"] += len(ready)
                ready = []
        self.totals.update(counts)
        return counts

    def _claim_announcements(self, now: datetime | None) -> tuple[list[Ready], Counter[str]]:
        """Claim the next batch of recipients and prepare their messages (in a worker thread:
        its own counts, added up by the caller)."""
        counts: Counter[str] = Counter()
        claims = announcements.claim_due(
            self.engine, worker=self.worker, limit=max(self.batch, ANNOUNCEMENT_BATCH), now=now
        )
        if not claims:
            return [], counts
        counts["announcement claimed"] += len(claims)
        return self._prepare_announcements(claims, counts), counts

    def _prepare_announcements(
        self, claims: list[announcements.Claim], counts: Counter[str]
    ) -> list[Ready]:
        """Each claim's recipient and text; those no longer reachable are closed as blocked."""
        out: list[Ready] = []
        gone: list[int] = []
        with Session(self.engine, expire_on_commit=False) as session:
            texts = announcements.texts_of(session, {c.announcement for c in claims})
            contacts = {
                c.person: c
                for c in session.exec(
                    select(Contact).where(col(Contact.person).in_({c.person for c in claims}))
                )
            }
            for claim in claims:
                recipient = self._recipient(contacts.get(claim.person))
                if recipient is None or claim.announcement not in texts:
                    gone.append(claim.id)
                    continue
                out.append(
                    (claim, recipient, announcement_text(texts[claim.announcement], recipient.lang))
                )
            announcements.close_unreachable(session, gone)
            session.commit()
        counts["announcement blocked"] += len(gone)
        return out

    def _begin_announcements(self, claims: list[announcements.Claim]) -> set[int]:
        with Session(self.engine, expire_on_commit=False) as session:
            began = announcements.begin_sending(session, claims, worker=self.worker)
            session.commit()
            return began

    async def _send_announcements(
        self,
        items: list[Ready],
        finished: list[tuple[announcements.Claim, str]],
        counts: Counter[str],
    ) -> None:
        async def one(claim: announcements.Claim, recipient: Recipient, text: str) -> None:
            await self.pacer.slot()
            outcome, detail = await self._send(recipient, Reply(text))
            state = {"sent": "sent" if detail else "delivered", "unreachable": "blocked"}.get(
                outcome, "failed"
            )
            finished.append((claim, state))
            counts[f"announcement {state}"] += 1

        await asyncio.gather(*(one(*item) for item in items))

    def _finish_announcements(
        self, finished: list[tuple[announcements.Claim, str]], unsent: list[int]
    ) -> None:
        with Session(self.engine, expire_on_commit=False) as session:
            announcements.finish_sending(session, finished)
            announcements.release(session, unsent, self.worker)
            session.commit()

    def _prepare(self, claims: list[Claim]) -> list[Prepared]:
        """Who each item goes to and the message; items that need no message are closed."""
        day = today()
        out: list[Prepared] = []
        with Session(self.engine, expire_on_commit=False) as session:
            pairs = _by_id(session, Pair, {c.pair for c in claims})
            participants = _by_id(session, Participant, {p.participant for p in pairs.values()})
            contacts = {
                c.person: c
                for c in session.exec(
                    select(Contact).where(col(Contact.person).in_({c.person for c in claims}))
                )
            }
            for claim in claims:
                item = Prepared(claim)
                pair = pairs.get(claim.pair)
                participant = participants.get(pair.participant) if pair else None
                if (
                    pair is None
                    or participant is None
                    or participant.erased_on is not None
                    or (pair.ended_on is not None and pair.ended_on < day)
                    or (participant.left_on is not None and participant.left_on < day)
                ):
                    item.close = "ended"
                else:
                    item.recipient = self._recipient(contacts.get(claim.person))
                    if item.recipient is None:
                        item.close = "unreachable"
                    else:
                        item.reply = self._opening(session, claim, item.recipient.lang)
                        item.close = None if item.reply is not None else "answered"
                if item.close == "answered":
                    schedule.mark_answered(
                        session,
                        pair=claim.pair,
                        role=claim.role,
                        kind=claim.kind,
                        sequence=claim.sequence,
                    )
                elif item.close is not None:
                    schedule.finish_delivery(
                        session, claim, outcome="unreachable", detail=item.close
                    )
                out.append(item)
            session.commit()
        return out

    def _recipient(self, contact: Contact | None) -> Recipient | None:
        """Whom to write to (the chat id decrypted only now), or None: not connected."""
        if contact is None:
            return None
        chat_id = decrypt_chat_id(self.settings, contact.chat_enc)
        if chat_id is None:
            log.warning(
                "the contact of %s cannot be decrypted with the current key", contact.person
            )
            return None
        return Recipient(
            person=contact.person,
            chat_id=chat_id,
            lang=contact.language,
            role=str(contact.role),
            pair=contact.pair,
        )

    @staticmethod
    def _opening(session: Session, claim: Claim, lang: str) -> Reply | None:
        if claim.kind == "checkin":
            return checkin.opening(
                item_id=claim.id, role=claim.role, lang=lang, reminder=claim.is_reminder
            )
        if claim.kind in SURVEY_KINDS:
            return survey.opening(
                session,
                participant=claim.person,
                wave_name=claim.kind,
                lang=lang,
                reminder=claim.is_reminder,
            )
        if claim.kind in MENTOR_SURVEY_KINDS:
            return mentor_survey.opening(
                session,
                mentor=claim.person,
                wave_name=claim.kind,
                lang=lang,
                reminder=claim.is_reminder,
            )
        if claim.kind == group_meetings.INVITE:
            return group_meeting.opening(session, meeting_id=claim.sequence, lang=lang)
        if claim.kind == group_meetings.REMINDER:  # only to those who said yes
            return group_meeting.reminder(
                session, meeting_id=claim.sequence, person=claim.person, lang=lang
            )
        log.warning("scheduled item %s has an unknown kind %r", claim.id, claim.kind)
        return None

    async def _send(self, recipient: Recipient, reply: Reply) -> tuple[str, str | None]:
        """Send one message: (outcome, detail) for ``finish_delivery``."""
        try:
            message = await send_to_person(self.bot, recipient, reply.text, buttons=reply.buttons)
        except TimedOut as exc:
            if "pool timeout" in str(exc).lower():  # PTB: "Request was *not* sent"
                return "failed", "pool timeout"
            return "sent", "uncertain"  # it may have arrived: never send it twice
        except RetryAfter:
            return "failed", "rate limited"
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                return "unreachable", "chat not found"
            log.error("Telegram refused a scheduled message (%s)", type(exc).__name__)
            return "failed", "bad request"
        except NetworkError as exc:
            # An answer with an error status means it was not sent; a connection lost on the
            # way back may have been sent.
            uncertain = exc.__cause__ is not None and "Connect" not in type(exc.__cause__).__name__
            return ("sent", "uncertain") if uncertain else ("failed", "network")
        except TelegramError as exc:
            log.error("a scheduled message failed: %s", type(exc).__name__)
            return "failed", type(exc).__name__[:40]
        return ("sent", None) if message is not None else ("unreachable", "blocked")

    def _begin_many(self, claims: list[Claim]) -> list[bool]:
        """Record the deliveries as begun (committed before anything is sent); False: made."""
        with Session(self.engine, expire_on_commit=False) as session:
            began = schedule.begin_deliveries(session, claims)
            session.commit()
            return began

    def _finish(self, finished: list[tuple[Claim, str, str | None]], unsent: list[int]) -> None:
        with Session(self.engine, expire_on_commit=False) as session:
            schedule.finish_deliveries(session, finished)
            if unsent:
                release(session, unsent, self.worker)
            session.commit()

    # -- the loop --------------------------------------------------------------------------

    async def run(self) -> None:
        """Send what is due, then look again every ``interval`` seconds, until ``stop``."""
        while not self._stopping.is_set():
            try:
                await self.drain()
            except Exception:  # a database or network hiccup must not stop the sender
                log.exception("the scheduled sender failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.interval)

    def stop(self) -> None:
        """Finish the sends in flight, release the rest, and leave ``run``."""
        self._stopping.set()


def _by_id(session: Session, model: type[M], ids: set[str]) -> dict[str, M]:
    rows = session.exec(select(model).where(col(model.id).in_(ids)))
    return {row.id: row for row in rows}


def release(session: Session, item_ids: list[int], worker: str) -> int:
    """Give claimed items back (not sent: the sender is stopping), due at once for the next."""
    t = table_of(ScheduledItem)
    result = session.exec(
        update(t)
        .where(t.c.id.in_(item_ids), t.c.state == "claimed", t.c.claimed_by == worker)
        .values(state="pending", claimed_by=None, claimed_until=None, updated_at=utcnow())
    )
    return int(result.rowcount or 0)


# --- in the bot's process -------------------------------------------------------------------


def install(
    app: BotApplication,
    *,
    interval: float = INTERVAL,
    rate: float | None = DEFAULT_RATE,
) -> None:
    """Run a ``Sender`` alongside the bot: started after ``post_init``, stopped in ``post_stop``."""

    async def start(application: BotApplication) -> tuple[Sender, Coroutine[Any, Any, None]]:
        deps: BotDeps = application.bot_data[DEPS_KEY]
        sender = Sender(application.bot, deps.engine, deps.settings, rate=rate, interval=interval)
        return sender, sender.run()

    run_alongside(app, key=SENDER_KEY, name="stegvis-scheduled-sender", start=start)


def plan_after_join(turn: Turn) -> list[Reply]:
    """In ``bot.app.AFTER_JOIN``: plan the person's check-ins and surveys; a participant gets the
    baseline survey's first question right away (recorded as its first delivery)."""
    contact = turn.contact
    if contact is None or contact.pair is None:
        return []
    session: Session = turn.session
    role = str(contact.role)
    schedule.plan_person(
        session, pair_id=contact.pair, role=role, person=contact.person, onboarded=utcnow()
    )
    if role != "participant":
        return []
    item = session.exec(
        select(ScheduledItem).where(
            ScheduledItem.pair == contact.pair,
            ScheduledItem.role == role,
            ScheduledItem.kind == "baseline",
        )
    ).first()
    if item is None or item.id is None or item.state != "pending" or item.attempt != 0:
        return []
    reply = survey.opening(
        session,
        participant=contact.person,
        wave_name="baseline",
        lang=contact.language,
        reminder=False,
    )
    if reply is None:
        return []
    claim = Claim(item.id, item.pair, item.role, item.person, item.kind, item.sequence, 0)
    if not schedule.begin_delivery(session, claim):
        return []
    schedule.finish_delivery(session, claim, outcome="sent", detail="after joining")
    return [reply]
