"""A whole eight-month round for 50 pairs on a fake clock, through the emulator.

Everyone onboards from their invite link. The schedule then sends the baseline survey, seven
monthly check-ins to each side, two follow-up surveys and the result survey, with reminders.
Most people answer at once, some only after the first reminder (a survey half-answered first),
some never; the bot is restarted once, in the middle of a month's fan-out, with button presses
waiting for it. At the end:

- every expected message was sent exactly once: one per item to those who answered at once,
  two to the late ones, three (the message and two reminders) to those who never answer — in
  the chats and in the delivery records;
- the indicators computed in SQL from what the bot stored equal those computed by the
  reference implementation (``tests/utils/reference_indicators.py``) from the answers the
  simulated people gave.

People act through the in-process emulator (as the sandbox's users would) and the test waits for
the bot with a barrier: a message from a stranger, answered only after every earlier update was
handled (the bot handles updates one at a time).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import re
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.app import build_application
from bot.common import EVENT_TYPES
from bot.scheduler import SENDER_KEY, Sender
from core.settings import Settings
from core.vocab import Gender
from emulator.testing import EmulatorClient, polling, running_emulator
from outcomes import schedule
from outcomes.clock import STOCKHOLM, set_clock
from outcomes.indicators import compute_indicators, compute_mentor_indicators
from outcomes.invites import create_invites
from outcomes.models import Cohort, Mentor, Pair, Participant
from outcomes.schedule_models import Delivery, ScheduledItem
from tests.utils.reference_indicators import reference_indicators
from tests.utils.reference_mentor_indicators import reference_mentor_indicators
from tests.utils.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PAIRS = 50
START = date(2025, 2, 3)
END = date(2025, 10, 2)  # eight months
LANGS = ("sv", "en", "ar", "fa", "uk", "so", "ti")
SCHEDULED = ("📋", "🔔", "🗓")  # how every scheduled message (opening or reminder) begins
STEP_CHOICES = (
    "interview_attended",
    "cv_improved",
    "network_expanded",
    "reference_obtained",
    "workplace_visit",
    "swedish_improved",
    "learned_social_codes",
    "internship_started",
    "job_started",
)
WAVE_CODES = {"b": "baseline", "f1": "followup_1", "f2": "followup_2", "r": "result"}
MENTOR_WAVE_CODES = {"s": "mentor_start", "e": "mentor_end"}  # the mentors' own survey (ms:)
ITEMS = (
    "internship",
    "education_started",
    "cv_improved",
    "network_expanded",
    "reference_obtained",
    "workplace_visit",
    "learned_education_system",
    "learned_social_codes",
    "swedish_improved",
    "professional_swedish_improved",
)


# --- the simulated people -------------------------------------------------------------------


@dataclass
class Person:
    person: str  # pseudonymous id
    pair: str
    role: str
    lang: str
    behaviour: str  # prompt | late | never
    chat: int = 0
    seen: int = 0  # the last message id looked at
    tasks: list[Task] = field(default_factory=list)


class Task:
    """Something a person does with the bot, one button press per round."""

    mark: int  # only messages from here on

    def step(self, messages: list[dict[str, Any]]) -> tuple[int, str] | None:
        """(message id, callback data) to press now, or None when done."""
        raise NotImplementedError


def _buttons(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


def _newest(messages: list[dict[str, Any]], pattern: str, mark: int) -> tuple[int, list[str]]:
    for m in reversed(messages):
        if m["from_bot"] and m["message_id"] >= mark:
            found = [d for d in _buttons(m) if re.fullmatch(pattern, d)]
            if found:
                return m["message_id"], found
    return 0, []


class SurveyTask(Task):
    """Answer a survey from ``plan`` (question code -> answer code, "-" to skip)."""

    def __init__(
        self,
        wave: str,
        plan: dict[str, str],
        mark: int,
        limit: int | None = None,
        flow: str = "sv",
    ):
        self.code, self.plan, self.mark, self.left, self.flow = wave, plan, mark, limit, flow

    def step(self, messages: list[dict[str, Any]]) -> tuple[int, str] | None:
        if self.left == 0:
            return None
        pattern = rf"{self.flow}:{self.code}:[a-z]+:[-a-z0-9]+"
        message_id, found = _newest(messages, pattern, self.mark)
        if not message_id:
            return None
        question = found[0].split(":")[2]
        answer = self.plan[question]
        if question == "it":  # tick the planned items one by one, then Done
            done = next(d for d in found if re.fullmatch(r"sv:r:it:[0-9a-f]+", d))
            ticked, target = int(done.split(":")[3], 16), int(answer, 16)
            if ticked != target:
                bit = (ticked ^ target) & -(ticked ^ target)
                return message_id, f"sv:r:it:t{ticked ^ bit:x}"
            data = done
        else:
            data = f"{self.flow}:{self.code}:{question}:{answer}"
        if self.left is not None:
            self.left -= 1
        return message_id, data


class CheckinTask(Task):
    """Answer a check-in: met or not, then tick steps and save them."""

    def __init__(self, opening: int, item: int, met: bool, steps: list[str]):
        self.mark, self.item, self.met, self.steps = opening, item, met, list(steps)
        self.stage = "open"

    def step(self, messages: list[dict[str, Any]]) -> tuple[int, str] | None:
        if self.stage == "open":
            self.stage = "steps" if self.steps else "end"
            return self.mark, f"ci:o:{self.item}:{'y' if self.met else 'n'}"
        if self.stage == "steps":
            message_id, found = _newest(messages, r"ci:[0-9a-f]{6}:t:\d+", self.mark)
            nonce = found[0].split(":")[1]
            if self.steps:
                return message_id, f"ci:{nonce}:t:{EVENT_TYPES.index(self.steps.pop())}"
            self.stage = "save"
            return message_id, f"ci:{nonce}:d"
        if self.stage == "save":
            self.stage = "end"
            message_id, found = _newest(messages, r"ci:[0-9a-f]{6}:s", self.mark)
            return message_id, found[0]
        return None


# --- what people answer -----------------------------------------------------------------------


def mentor_survey_plan(rng: random.Random, wave: str) -> tuple[dict[str, str], dict[str, Any]]:
    """(question code -> button, the answers as stored) for one wave of the mentors' survey."""
    plan: dict[str, str] = {}
    answers: dict[str, Any] = {}
    codes = {"mc": "contact_newcomers", "mk": "integration_knowledge"}
    codes |= {"me": "integration_engagement"}
    if wave == "mentor_end":
        codes |= {"ms": "satisfaction"}
    for code, key in codes.items():
        plan[code] = "-" if rng.random() < 0.1 else str(rng.randint(1, 5))
        answers[key] = None if plan[code] == "-" else int(plan[code])
    if wave == "mentor_end":
        plan["ma"] = rng.choice("ynu-")
        answers["mentor_again"] = {"y": "yes", "n": "no", "u": "unsure"}.get(plan["ma"])
    return plan, answers


def survey_plan(rng: random.Random, wave: str) -> tuple[dict[str, str], dict[str, Any]]:
    """(question code -> button, the answers as the spec stores them) for one survey."""
    if wave in MENTOR_WAVE_CODES.values():
        return mentor_survey_plan(rng, wave)
    plan: dict[str, str] = {}
    answers: dict[str, Any] = {}
    result = wave == "result"
    employment = rng.choices(["n", "p", "f"], [5, 3, 2] if result else [8, 1, 1])[0]
    plan["emp"] = employment
    answers["employment"] = {"n": "none", "p": "part_time", "f": "full_time"}[employment]
    employed = employment != "n"
    if employed:
        plan["rel"] = rng.choice("yn-")
        if plan["rel"] != "-":
            answers["job_relevant"] = plan["rel"] == "y"
    interviews = rng.randint(0, 6 if result else 3)
    plan["int"] = str(interviews)
    answers["interviews_last_2_months"] = interviews
    if rng.random() < 0.15:
        plan["con"] = "-"  # skipped: stored as no answer
    else:
        plan["con"] = str(rng.randint(0, 10))
        answers["professional_contacts"] = int(plan["con"])
    if not result:
        return plan, answers
    if employed:
        plan["chg"] = rng.choice("yn")
        answers["job_changed"] = plan["chg"] == "y"
    ticked = {item: rng.random() < 0.3 for item in ITEMS}
    plan["it"] = f"{sum(1 << i for i, item in enumerate(ITEMS) if ticked[item]):x}"
    answers["items"] = ticked
    contributed: dict[str, str] = {}
    for code, key, asked in (
        ("cj", "job", employed),
        ("ci", "internship", ticked["internship"]),
        ("ce", "education_started", ticked["education_started"]),
    ):
        if asked:
            plan[code] = rng.choice("ynu")
            contributed[key] = {"y": "yes", "n": "no", "u": "unsure"}[plan[code]]
    if contributed:
        answers["program_contributed"] = contributed
    plan["sat"] = str(rng.randint(1, 5))
    answers["satisfaction"] = int(plan["sat"])
    return plan, answers


# --- the bot, its restarts, and waiting for it ------------------------------------------------


class Bot:
    """The running bot (replaced on restart) and the sender the test drives."""

    def __init__(self, tg: EmulatorClient, settings: Settings, engine: Engine) -> None:
        self.tg, self.settings, self.engine = tg, settings, engine
        self.stack: contextlib.AsyncExitStack | None = None
        self.sender: Sender | None = None
        self.stranger = tg.emulator.create_user("Stranger", language_code="en").user_id

    async def start(self, worker: str) -> None:
        app = build_application(
            self.settings,
            base_url=self.tg.base_url,
            token=self.tg.token,
            rate_limiter=False,
            engine=self.engine,
        )
        self.stack = contextlib.AsyncExitStack()
        await self.stack.enter_async_context(polling(app))
        background, task = app.bot_data.pop(SENDER_KEY)
        background.stop()
        await task
        self.sender = Sender(app.bot, self.engine, self.settings, worker=worker, rate=None)

    async def stop(self) -> None:
        assert self.stack is not None
        await self.stack.aclose()

    async def barrier(self) -> None:
        """Wait until the bot handled every update sent so far."""
        em = self.tg.emulator
        chat = em.state.chat(em.bot(), self.stranger, create=True)
        assert chat is not None
        before = len(chat.messages)
        em.user_sends(self.stranger, "hello?")
        deadline = asyncio.get_running_loop().time() + 30
        while len(chat.messages) < before + 2:
            assert asyncio.get_running_loop().time() < deadline, "the bot stopped answering"
            await chat.signal.wait(chat.signal.version, 1.0)


def _sent_or_done(task: asyncio.Task[Any], em: Any, messages: int) -> bool:
    """The task has ended, or the emulator has had ``messages`` sendMessage calls."""
    return task.done() or em.state.stats.methods["sendMessage"] >= messages


@contextlib.asynccontextmanager
async def fake_clock(start: datetime) -> AsyncIterator[list[datetime]]:
    now = [start.astimezone(UTC)]
    set_clock(lambda: now[0])
    try:
        yield now
    finally:
        set_clock(None)


def _make_round(engine: Engine, rng: random.Random) -> tuple[list[Person], list[dict[str, Any]]]:
    """The cohort and 50 pairs; the people, and the records the reference needs."""
    records: list[dict[str, Any]] = [
        {
            "kind": "cohort",
            "id": "r1",
            "name": "Round 1",
            "start": START.isoformat(),
            "end": END.isoformat(),
        }
    ]
    people: list[Person] = []
    with Session(engine) as session:
        session.add(Cohort(id="r1", name="Round 1", start=START, end=END))
        for i in range(PAIRS):
            gender = "man" if i % 4 == 0 else "woman"
            session.add(Participant(id=f"p{i}", cohort="r1", gender=Gender(gender)))
            session.add(Mentor(id=f"m{i}", cohort="r1"))
            records.append({"kind": "participant", "id": f"p{i}", "cohort": "r1", "gender": gender})
        session.flush()
        for i in range(PAIRS):
            session.add(Pair(id=f"pr{i}", mentor=f"m{i}", participant=f"p{i}", matched_on=START))
        session.commit()
    for i in range(PAIRS):
        # participants: 35 answer at once, 8 late, 7 never; mentors: 40, 5, 5
        p_kind = "prompt" if i < 35 else "late" if i < 43 else "never"
        m_kind = "prompt" if i % 10 < 8 else "late" if i % 10 == 8 else "never"
        people.append(Person(f"p{i}", f"pr{i}", "participant", LANGS[i % 7], p_kind))
        people.append(Person(f"m{i}", f"pr{i}", "mentor", LANGS[(i + 3) % 7], m_kind))
    rng.shuffle(people)
    return people, records


# --- the round ------------------------------------------------------------------------------


async def test_a_whole_round_every_message_once_and_indicators_match(settings, db) -> None:
    rng = random.Random(2025)
    people, records = _make_round(db, rng)
    answers_given: dict[tuple[str, str], dict[str, Any]] = {}
    survey_plans: dict[tuple[str, str], dict[str, str]] = {}
    events: dict[tuple[str, int, str], date] = {}  # (participant, month, type) -> day saved
    expected: Counter[tuple[str, str]] = Counter()  # (person, item key) -> messages
    sent: Counter[tuple[str, str]] = Counter()  # the scheduled messages that arrived

    async with (
        running_emulator(rate_limits=False) as tg,
        fake_clock(datetime(2025, 2, 3, 9, tzinfo=STOCKHOLM)) as now,
    ):
        em = tg.emulator
        bot = Bot(tg, settings, db)
        await bot.start("first")

        def press_next() -> int:
            """Everyone with something to do presses their next button; how many did."""
            pressed = 0
            for p in people:
                while p.tasks:
                    task = p.tasks[0]
                    action = task.step(em.transcript(p.chat, after=task.mark - 1))
                    if action is None:
                        p.tasks.pop(0)
                        continue
                    em.user_presses(p.chat, message_id=action[0], callback_data=action[1])
                    pressed += 1
                    break
            return pressed

        async def rounds() -> None:
            """Press, let the bot catch up, again, until nobody has anything left to do."""
            while press_next():
                await bot.barrier()

        def scan(today: date) -> None:
            """Count the scheduled messages that arrived, and decide what people do."""
            for p in people:
                new = em.transcript(p.chat, after=p.seen)
                for message in new:
                    if not message["from_bot"]:
                        continue
                    text = (message["text"] or "").lstrip("\u200f")
                    data = _buttons(message)
                    if text.startswith(SCHEDULED) and data:
                        sent[(p.person, _key(data))] += 1
                        _react(
                            p,
                            message,
                            data,
                            today,
                            rng,
                            expected,
                            answers_given,
                            survey_plans,
                            events,
                            db,
                        )
                p.seen = max([m["message_id"] for m in new] or [p.seen])

        # -- everyone opens their invite link and agrees ---------------------------------------
        with Session(db) as session:
            tokens = {}
            for pair in {p.pair for p in people}:
                issued = create_invites(session, pair_id=pair, actor="staff:sim", settings=settings)
                for role, invite in issued.items():
                    tokens[(pair, str(role))] = invite.token
            session.commit()
        for p in people:
            p.chat = em.create_user(p.person, language_code=p.lang).user_id
            em.user_sends(p.chat, f"/start {tokens[(p.pair, p.role)]}")
        await bot.barrier()
        for p in people:
            token = tokens[(p.pair, p.role)]
            em.user_presses(
                p.chat,
                message_id=em.transcript(p.chat)[-1]["message_id"],
                callback_data=f"ob:y:{p.lang}:{token}",
            )
        await bot.barrier()
        scan(now[0].astimezone(STOCKHOLM).date())  # the baseline survey came with the welcome
        await rounds()

        # -- the round: jump to each moment something is due -----------------------------------
        restarted = False
        while True:
            with Session(db) as session:
                next_due = session.exec(
                    select(func.min(ScheduledItem.due_at)).where(ScheduledItem.state == "pending")
                ).one()
                if next_due is None:
                    break
                now[0] = max(now[0], next_due)
                due_now = session.exec(
                    select(func.count())
                    .select_from(ScheduledItem)
                    .where(ScheduledItem.state == "pending", ScheduledItem.due_at <= now[0])
                ).one()
            today = now[0].astimezone(STOCKHOLM).date()
            if not restarted and today > date(2025, 4, 15) and due_now >= 60:
                # restart in the middle of a month's fan-out, as a redeploy would
                restarted = True
                old = bot.sender
                assert old is not None
                old.pacer = type(old.pacer)(40)  # paced, so that the stop cuts it mid-way
                before = em.state.stats.methods["sendMessage"]
                fanout = asyncio.create_task(old.run_once())
                await eventually(
                    functools.partial(_sent_or_done, fanout, em, before + 5),
                    what="five messages of the fan-out sent",
                    within=30,
                )
                assert not fanout.done(), f"the fan-out ended before the cut: {fanout.result()}"
                old.stop()
                cut = await fanout
                await bot.stop()
                assert cut["released"] > 0, cut
                assert cut["sent"] > 0, cut
                scan(today)
                press_next()  # people answer while the bot is down; it reads them on start
                await bot.start("second")
                await bot.barrier()
            await bot.sender.drain()  # type: ignore[union-attr]
            scan(today)
            await rounds()
        await bot.stop()
        stats = await tg.stats()

    assert restarted
    assert sent == expected, {
        k: (sent[k], expected[k]) for k in sent.keys() | expected.keys() if sent[k] != expected[k]
    }
    with Session(db) as session:
        deliveries = Counter()
        for d, item in session.exec(
            select(Delivery, ScheduledItem).where(Delivery.item_id == ScheduledItem.id)
        ):
            assert d.outcome == "sent"
            deliveries[(item.person, _item_key(item))] += 1
        assert deliveries == expected, {
            k: (deliveries[k], expected[k])
            for k in deliveries.keys() | expected.keys()
            if deliveries[k] != expected[k]
        }
        assert (
            session.exec(
                select(func.count())
                .select_from(ScheduledItem)
                .where(ScheduledItem.state.in_(("pending", "claimed")))
            ).one()
            == 0
        )  # type: ignore[attr-defined]
    assert stats["too_many_requests"] == 0

    # -- the indicators from what was stored = the reference from what was answered ----------
    for (participant, wave), answers in answers_given.items():
        if wave in MENTOR_WAVE_CODES.values():
            continue  # the mentors' survey: compared below
        records.append(
            {
                "kind": "survey",
                "participant": participant,
                "wave": wave,
                "answered_on": "2025-01-01",
                "answers": answers,
            }
        )
    for n, ((participant, _month, event_type), day) in enumerate(sorted(events.items())):
        records.append(
            {
                "kind": "event",
                "id": f"e{n:04d}",
                "participant": participant,
                "type": event_type,
                "occurred_on": day.isoformat(),
                "source": "participant",
            }
        )
    with Session(db) as session:
        for basis in ("measured", "enrolled"):
            for by in (None, "gender"):
                got = compute_indicators(session, basis=basis, by=by)  # type: ignore[arg-type]
                want = reference_indicators(records, basis=basis, by=by)
                assert got["total"] == want["total"], (basis, by)
                assert got["groups"] == want["groups"], (basis, by)
        measured = compute_indicators(session)["total"]["measured"]
    assert measured == sum(1 for (_p, wave) in answers_given if wave == "result")
    assert 30 <= measured < PAIRS  # the late ones answered, those who never answer did not

    # -- the mentors' indicators from what was stored = the reference from what was answered -
    mentor_rows = [
        {"person": person, "wave": wave, "status": "complete", **answers}
        for (person, wave), answers in answers_given.items()
        if wave in MENTOR_WAVE_CODES.values()
    ]
    for row in mentor_rows:
        row.setdefault("satisfaction", None)
        row.setdefault("mentor_again", None)
    mentors = [{"id": f"m{i}", "cohort": "r1"} for i in range(PAIRS)]
    with Session(db) as session:
        got_mentors = compute_mentor_indicators(session)
    assert got_mentors == reference_mentor_indicators(mentors, mentor_rows, None)
    assert 35 <= got_mentors["total"]["measured"] < PAIRS


def _key(data: list[str]) -> str:
    """The schedule item a scheduled message is for, from its buttons."""
    for d in data:
        if d.startswith("ci:o:"):
            return "checkin:" + d.split(":")[2]
        if d.startswith("sv:"):
            return WAVE_CODES[d.split(":")[1]]
        if d.startswith("ms:"):
            return MENTOR_WAVE_CODES[d.split(":")[1]]
    raise AssertionError(data)


def _item_key(item: ScheduledItem) -> str:
    return f"checkin:{item.id}" if item.kind == "checkin" else item.kind


def _react(
    p: Person,
    message: dict[str, Any],
    data: list[str],
    today: date,
    rng: random.Random,
    expected: Counter[tuple[str, str]],
    answers_given: dict[tuple[str, str], dict[str, Any]],
    survey_plans: dict[tuple[str, str], dict[str, str]],
    events: dict[tuple[str, int, str], date],
    engine: Engine,
) -> None:
    """A person got a scheduled message: count it as expected, and plan what they do."""
    key = _key(data)
    first = (p.person, key) not in expected
    if p.behaviour == "never":
        expected[(p.person, key)] = 3
        return
    expected[(p.person, key)] = 1 if p.behaviour == "prompt" else 2
    if key.startswith("checkin:"):
        if p.behaviour == "late" and first:
            return  # answers the reminder
        item_id = int(key.split(":")[1])
        met = rng.random() < 0.7
        steps = rng.sample(STEP_CHOICES, rng.choice([0, 0, 0, 0, 0, 0, 1, 2]))
        with Session(engine) as session:
            item = session.get(ScheduledItem, item_id)
            assert item is not None
            pair = session.get(Pair, item.pair)
            assert pair is not None
            start, end = schedule.window(session, pair.participant)
            last = min(schedule.add_months(start, item.sequence) - timedelta(days=1), end)
            for step in steps:
                events.setdefault((pair.participant, item.sequence, step), min(today, last))
        p.tasks.append(CheckinTask(message["message_id"], item_id, met, steps))
        return
    wave = key
    if first:
        plan, answers = survey_plan(rng, wave)
        survey_plans[(p.person, wave)] = plan
        answers_given[(p.person, wave)] = answers
    plan = survey_plans[(p.person, wave)]
    limit = 1 if (p.behaviour == "late" and first) else None
    mentor = wave in MENTOR_WAVE_CODES.values()
    codes = MENTOR_WAVE_CODES if mentor else WAVE_CODES
    p.tasks.append(
        SurveyTask(
            next(k for k, v in codes.items() if v == wave),
            plan,
            message["message_id"],
            limit,
            flow="ms" if mentor else "sv",
        )
    )
