"""Group meetings through the emulator (the real PTB bot): a kick-off for 30 pairs invites all 60
people once in their languages, answers and a change of mind show in the counts, the reminder
goes to the yes-sayers only, the day before and never at night, the check-in code marks
attendance and gives the pair a Meeting, and a restart half-way doubles nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.main import create_app
from bot.scheduler import Sender
from core.languages import LANGUAGES
from emulator.testing import EmulatorUser
from outcomes import group_meetings as gm
from outcomes.contacts import PersonRole
from outcomes.models import Cohort, Meeting
from outcomes.schedule_models import Delivery, ScheduledItem
from outcomes.tokens import create_token
from tests.checkins.conftest import (
    FIRST_USER,
    FakeClock,
    Running,
    bot_on_emulator,
    local,
    user_specs,
    with_data,
)
from tests.utils.botdriver import Person, World, buttons
from tests.utils.factories import add_pairs, connect
from tests.utils.pairs import make_pair
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e

N = 30  # pairs
START = date(2025, 2, 1)
STARTS = local(2025, 2, 6, 17, 30)  # Thursday 17:30; planned on Monday 3 February 10:00


def _lang(i: int) -> str:
    return LANGUAGES[i % len(LANGUAGES)]


def _people(engine, settings) -> list[Person]:
    """30 pairs of cohort c-1, both sides connected, in all eight languages (participant i is
    user FIRST_USER + i, mentor i is FIRST_USER + N + i); one more connected pair in c-2."""
    with Session(engine) as session:
        session.add(Cohort(id="c-1", name="Round 1", start=START, end=START + timedelta(days=240)))
        session.add(Cohort(id="c-2", name="Round 2", start=START, end=START + timedelta(days=240)))
        add_pairs(session, "c-1", N, matched_on=START)
        add_pairs(session, "c-2", 1, matched_on=START, first=N)
        for i in range(N + 1):
            for offset, role, person in (
                (0, PersonRole.participant, f"p-{i}"),
                (N + 1, PersonRole.mentor, f"m-{i}"),
            ):
                uid = FIRST_USER + offset + i
                connect(
                    session,
                    settings,
                    user=uid,
                    person=person,
                    role=role,
                    pair=f"pair-{i}",
                    language=_lang(i + offset),
                )
        session.commit()
    people = []
    for offset in (0, N + 1):
        for i in range(N + 1):
            uid = FIRST_USER + offset + i
            people.append(Person(EmulatorUser(uid, uid, f"U{uid}"), _lang(i + offset)))
    return people


def _api(db, settings) -> tuple[TestClient, dict[str, str]]:
    with Session(db) as session:
        _row, secret = create_token(session, name="staff-1", role="staff", actor="test")
        session.commit()
    client = TestClient(create_app(settings, engine=db), raise_server_exceptions=False)
    return client, {"Authorization": f"Bearer {secret}"}


async def _invitations(world: World, person: Person) -> list[dict]:
    return [
        m
        for m in with_data(await world.tg.transcript(person.chat), "gm:")
        if world.text(person, "Will you come? You can change your answer until the meeting starts.")
        in m["text"]
    ]


async def _reminders(world: World, person: Person) -> list[dict]:
    return [
        m
        for m in await world.tg.transcript(person.chat)
        if m["from_bot"] and world.text(person, "🔔 A reminder: see you tomorrow!") in m["text"]
    ]


async def test_a_kickoff_for_30_pairs_from_invitation_to_attendance(
    settings, db, clock: FakeClock
) -> None:
    async with bot_on_emulator(settings, db, users=user_specs(2 * (N + 1))) as r:
        world = r.world
        people = _people(db, settings)
        participants, mentors = people[:N], people[N + 1 : 2 * N + 1]
        outsiders = [people[N], people[-1]]  # the pair of cohort c-2
        client, staff = _api(db, settings)
        body = {
            "cohort": "c-1",
            "kind": "kickoff",
            "starts_at": STARTS.isoformat(),
            "place": "Stadsbiblioteket, Odengatan 63",
            "note": {"sv": "Ta med dig en vän!", "en": "Bring a friend!"},
        }
        created = client.post("/api/v1/group-meetings", json=body, headers=staff)
        assert created.status_code == 201, created.text
        meeting = created.json()
        mid = meeting["id"]
        assert meeting["counts"] == {
            "invited": 60,
            "yes": 0,
            "no": 0,
            "no_answer": 60,
            "attended": 0,
        }

        # a restart half-way: the first sender stops mid fan-out, a new one sends the rest
        first = Sender(r.app.bot, db, settings, worker="before", rate=40, batch=60)
        methods = world.tg.emulator.state.stats.methods
        running = asyncio.create_task(first.run_once())
        await eventually(lambda: methods["sendMessage"] >= 5, what="the fan-out began")
        first.stop()
        counts = await running
        assert 0 < counts["sent"] < 60
        after = Sender(r.app.bot, db, settings, worker="after", rate=None)
        assert (await after.drain())["sent"] == 60 - counts["sent"]
        assert (await after.drain())["sent"] == 0  # nothing left, nothing again

        for person in participants + mentors:  # once each, in their language
            invitations = await _invitations(world, person)
            assert len(invitations) == 1, person
            labels = [label for label, _d in buttons(invitations[0])]
            assert labels == [world.label(person, "I'll come"), world.label(person, "I can't")]
        note_en = (await _invitations(world, next(p for p in people if p.lang == "en")))[0]
        assert "Bring a friend!" in note_en["text"]
        note_ar = (await _invitations(world, next(p for p in people if p.lang == "ar")))[0]
        assert "Ta med dig en vän!" in note_ar["text"]  # no Arabic note: the Swedish one
        for person in outsiders:
            assert await _invitations(world, person) == []

        # answers: 20 participants and 10 mentors say yes, 5 participants no; one changes mind
        yes, no = f"gm:{mid}:y", f"gm:{mid}:n"
        for person in participants[:20] + mentors[:10]:
            await world.press(person, data=yes)
        for person in participants[20:25]:
            await world.press(person, data=no)
        changed = await world.press(participants[0], data=no)  # changes her mind
        assert world.text(participants[0], "Thanks for letting us know.") in changed[0]["text"]
        await world.press(participants[0], data=no)  # and presses it again
        got = client.get(f"/api/v1/group-meetings/{mid}", headers=staff).json()
        assert got["counts"] == {"invited": 60, "yes": 29, "no": 6, "no_answer": 25, "attended": 0}

        # the reminder: the day before, never at night, to the 29 yes-sayers only
        with Session(db) as session:
            due = {
                i.due_at
                for i in session.exec(
                    select(ScheduledItem).where(ScheduledItem.kind == gm.REMINDER)
                )
            }
        assert len(due) == 1
        [remind_at] = due
        local_due = remind_at.astimezone(STARTS.tzinfo)
        assert local_due.date() == STARTS.date() - timedelta(days=1)
        assert 8 <= local_due.hour < 21
        clock.set(local(2025, 2, 5, 7, 0))  # the night before that: nothing
        assert (await after.drain())["sent"] == 0
        clock.set(remind_at)
        sent = await after.drain()
        assert sent["sent"] == 29
        yes_sayers = participants[1:20] + mentors[:10]
        for person in participants + mentors:
            assert len(await _reminders(world, person)) == (1 if person in yes_sayers else 0)
        assert (await after.drain())["sent"] == 0

        # at the meeting: the check-in code, as plain text, as /code, in Arabic-Indic digits
        code = got["code"]
        clock.set(STARTS + timedelta(minutes=5))
        replies = await world.say(participants[1], code)
        assert world.text(participants[1], "✅ Welcome! You are checked in.") in replies[0]["text"]
        replies = await world.say(participants[2], f"/code {code}")
        assert world.text(participants[2], "✅ Welcome! You are checked in.") in replies[0]["text"]
        arabic = code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
        replies = await world.say(mentors[3], arabic)
        assert world.text(mentors[3], "✅ Welcome! You are checked in.") in replies[0]["text"]
        await world.say(participants[1], code)  # twice: still once
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        replies = await world.say(participants[4], wrong)
        assert "✅" not in replies[0]["text"]
        replies = await world.say(outsiders[0], code)  # another cohort's person
        assert "✅" not in replies[0]["text"]
        # answers are closed once it has started
        closed = await world.press(participants[29], data=yes)
        assert (
            world.text(
                participants[29], "This meeting has already started, so the answers are closed."
            )
            in closed[-1]["text"]
        )

        got = client.get(f"/api/v1/group-meetings/{mid}", headers=staff).json()
        assert got["counts"] == {"invited": 60, "yes": 29, "no": 6, "no_answer": 25, "attended": 3}
        with Session(db) as session:
            kickoffs = session.exec(select(Meeting).where(Meeting.kind == "kickoff")).all()
            assert sorted(m.pair for m in kickoffs) == ["pair-1", "pair-2"]  # participants' pairs
            assert {m.held_on for m in kickoffs} == {STARTS.date()}
            deliveries = session.exec(select(Delivery)).all()
            assert len(deliveries) == 60 + 29
            assert len({d.item_id for d in deliveries}) == len(deliveries)
        client.close()


def test_the_reminder_is_the_day_before_and_never_at_night() -> None:
    tz = STARTS.tzinfo
    for starts, expected in (
        (local(2025, 3, 6, 17, 30), local(2025, 3, 5, 17, 30)),
        (local(2025, 3, 6, 7, 30), local(2025, 3, 5, 8, 0)),
        (local(2025, 3, 6, 22, 0), local(2025, 3, 5, 20, 0)),
        (local(2025, 3, 30, 12, 0), local(2025, 3, 29, 12, 0)),  # over the change to summer time
    ):
        got = gm.reminder_time(starts.astimezone(UTC))
        assert got.astimezone(tz) == expected, starts
        assert isinstance(got, datetime)


async def test_someone_who_joins_after_the_planning_is_invited_too(
    running: Running, clock: FakeClock
) -> None:
    world, engine = running.world, running.world.engine
    ids = make_pair(engine, start=START)
    with Session(engine) as session:
        data = gm.GroupMeetingCreate(
            cohort=ids.cohort, kind="workshop_networking", starts_at=STARTS, place="Zoom"
        )
        meeting = gm.plan(session, data, actor="staff:test")
        session.commit()
        assert gm.counts(session, meeting.id).invited == 0  # nobody was connected yet
    mentor = await world.join(ids.pair, "mentor", name="Erik", language_code="uk")
    await running.sender.drain()
    [invitation] = await _invitations(world, mentor)
    assert world.label(mentor, "Workshop: networking and LinkedIn") in invitation["text"]
    await world.press(mentor, data=f"gm:{meeting.id}:y")
    with Session(engine) as session:
        assert gm.counts(session, meeting.id).model_dump() == {
            "invited": 1,
            "yes": 1,
            "no": 0,
            "no_answer": 0,
            "attended": 0,
        }
