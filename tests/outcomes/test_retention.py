"""Retention on a fake clock: exactly the rows past their time go, and nothing else."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from core.settings import Settings
from outcomes import retention
from outcomes.clock import set_clock
from outcomes.contacts import Contact, Invite, PersonRole
from outcomes.conversations import Conversation
from outcomes.models import AuditLog, Cohort, Mentor, Pair, Participant
from outcomes.retention_models import RetentionNotice, RetentionRun
from outcomes.schedule_models import Delivery, ScheduledItem
from outcomes.survey_skips import SurveySkip
from stegvis.cli import build_cli
from tests.utils.botdriver import snapshot
from tests.utils.factories import connect

NOW = datetime(2026, 3, 1, 11, 0, tzinfo=UTC)  # 12:00 in Stockholm
CUTOFF = date(2025, 12, 1)  # 90 days before 1 March 2026
RETENTION_TABLES = ("retention_run", "retention_notice", "auditlog")


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    now = [NOW]
    set_clock(lambda: now[0])
    try:
        yield now
    finally:
        set_clock(None)


def _world(engine: Engine, settings: Settings) -> None:
    """Pairs whose rounds ended before, on and after the cut-off, each with everything kept."""
    with Session(engine) as s:
        s.add(Cohort(id="old", name="Old", start=date(2025, 1, 1), end=date(2025, 9, 1)))
        s.add(Cohort(id="now", name="Now", start=date(2025, 9, 1), end=date(2026, 6, 1)))
        # p-a: the old round (pair open: its end is the cohort's); p-b: a pair that ended the
        # day before the cut-off; p-c: one that ended on it; p-d: a running round.
        # m-a mentors p-a (old) and p-d (running): her round has not ended.
        for person, cohort in (("p-a", "old"), ("p-b", "now"), ("p-c", "now"), ("p-d", "now")):
            s.add(Participant(id=person, cohort=cohort, gender="woman"))
        for person, cohort in (("m-a", "old"), ("m-b", "now"), ("m-c", "now")):
            s.add(Mentor(id=person, cohort=cohort))
        s.flush()
        s.add(Pair(id="pa", mentor="m-a", participant="p-a", matched_on=date(2025, 1, 5)))
        s.add(
            Pair(
                id="pb",
                mentor="m-b",
                participant="p-b",
                matched_on=date(2025, 9, 5),
                ended_on=CUTOFF - timedelta(days=1),
            )
        )
        s.add(
            Pair(
                id="pc",
                mentor="m-c",
                participant="p-c",
                matched_on=date(2025, 9, 5),
                ended_on=CUTOFF,
            )
        )
        s.add(Pair(id="pd", mentor="m-a", participant="p-d", matched_on=date(2025, 9, 5)))
        s.flush()
        user = 1000
        for pair, people in (
            ("pa", ("p-a",)),
            ("pb", ("p-b", "m-b")),
            ("pc", ("p-c", "m-c")),
            ("pd", ("p-d", "m-a")),
        ):
            for person in people:
                user += 1
                role = PersonRole.mentor if person.startswith("m") else PersonRole.participant
                connect(s, settings, user=user, person=person, pair=pair, role=role)
                s.add(Conversation(person=person, flow="menu", step="start", nonce="abcd", data={}))
                s.add(SurveySkip(person=person, wave="baseline", question="q1"))
                s.add(
                    Invite(
                        pair=pair,
                        role=role,
                        token_hash=f"{person:0>64}",
                        created_by="staff:test",
                        expires_at=NOW,
                    )
                )
        item = ScheduledItem(
            pair="pd", role="participant", person="p-d", kind="checkin", sequence=1, due_at=NOW
        )
        s.add(item)
        s.flush()
        year_ago = datetime(2025, 3, 1, 11, 0, tzinfo=UTC)
        for attempt, started in enumerate(
            (year_ago - timedelta(seconds=1), year_ago, NOW - timedelta(days=1)), start=1
        ):
            s.add(Delivery(item_id=item.id, attempt=attempt, started_at=started, outcome="sent"))
        s.commit()


def _people(s: Session, model: type) -> set[str]:
    return set(s.exec(select(col(model.person))).all())


def test_exactly_the_rows_past_their_time_go(db, settings, clock) -> None:
    _world(db, settings)
    before = snapshot(db, skip=("bot_processed_update", *RETENTION_TABLES))
    with Session(db) as s:
        planned = {line.table: line for line in retention.plan(s, settings)}
    assert {t: line.count for t, line in planned.items()} == {
        "contact": 3,  # p-a, p-b, m-b
        "invite": 3,
        "bot_conversation": 3,
        "bot_survey_skip": 3,
        "delivery": 1,
    }
    assert planned["contact"].cutoff == CUTOFF
    assert planned["delivery"].cutoff == datetime(2025, 3, 1, 11, 0, tzinfo=UTC)
    assert snapshot(db, skip=("bot_processed_update", *RETENTION_TABLES)) == before  # a plan

    with Session(db) as s:
        lines = retention.apply(s, settings)
        s.commit()
    assert [(line.table, line.count) for line in lines] == [
        (t, line.count) for t, line in planned.items()
    ]
    kept = {"p-c", "m-c", "p-d", "m-a"}
    with Session(db) as s:
        assert _people(s, Contact) == kept
        assert _people(s, Conversation) == kept
        assert _people(s, SurveySkip) == kept
        assert {i.pair for i in s.exec(select(Invite))} == {"pc", "pd"}
        assert sorted(d.attempt for d in s.exec(select(Delivery))) == [2, 3]
        # the outcome records stay as they were
        assert len(s.exec(select(Participant)).all()) == 4
        assert len(s.exec(select(Pair)).all()) == 4
        [entry] = s.exec(select(AuditLog).where(AuditLog.action == "retention")).all()
        assert entry.after["removed"] == {t: line.count for t, line in planned.items()}
        assert entry.after["cutoffs"]["contact"] == "2025-12-01"
        assert "p-a" not in str(entry.after)
        assert "p-b" not in str(entry.after)
        notices = s.exec(select(RetentionNotice)).all()
        assert sorted((n.role, n.round_ended_on, n.removed_on) for n in notices) == [
            ("mentor", CUTOFF - timedelta(days=1), date(2026, 3, 1)),
            ("participant", date(2025, 9, 1), date(2026, 3, 1)),
            ("participant", CUTOFF - timedelta(days=1), date(2026, 3, 1)),
        ]
        assert all(
            n.removed == {"contact": 1, "invite": 1, "bot_conversation": 1, "bot_survey_skip": 1}
            for n in notices
        )
    after = snapshot(db, skip=("bot_processed_update", *RETENTION_TABLES))
    for table in set(before) - {"contact", "invite", "bot_conversation", "bot_survey_skip"}:
        if table != "delivery":
            assert after[table] == before[table], table

    # one day later only p-c and m-c's round crosses the line: their pair ended on the cut-off
    clock[0] = NOW + timedelta(days=1)
    with Session(db) as s:
        counts = {line.table: line.count for line in retention.plan(s, settings)}
    assert counts["contact"] == 2
    assert counts["invite"] == 2
    assert counts["delivery"] == 1


def test_the_daily_run_claims_its_day_once(db, settings, clock) -> None:
    _world(db, settings)
    first = retention.run_daily(db, settings, worker="a")
    assert first is not None
    assert first.removed["contact"] == 3
    assert retention.run_daily(db, settings, worker="b") is None  # the same day: taken
    clock[0] = NOW + timedelta(days=1)
    second = retention.run_daily(db, settings, worker="b")
    assert second is not None
    assert second.removed["contact"] == 2
    with Session(db) as s:
        runs = s.exec(select(RetentionRun).order_by(col(RetentionRun.day))).all()
        assert [(r.day, r.worker) for r in runs] == [
            (date(2026, 3, 1), "a"),
            (date(2026, 3, 2), "b"),
        ]
        assert len(s.exec(select(AuditLog).where(AuditLog.action == "retention")).all()) == 2


def test_settings_change_the_cutoffs(db, settings, clock, monkeypatch) -> None:
    _world(db, settings)
    longer = settings.model_copy(
        update={"retention_contact_days": 200, "retention_delivery_months": 13}
    )
    with Session(db) as s:
        counts = {line.table: line.count for line in retention.plan(s, longer)}
    # 200 days before 1 March 2026 is 12 August 2025: only p-a's round (1 September) is not
    # old enough either; nothing of the contacts goes, conversation state still does
    assert counts["contact"] == 0
    assert counts["invite"] == 0
    assert counts["bot_conversation"] == 3
    assert counts["delivery"] == 0


def test_months_before_keeps_the_end_of_a_month() -> None:
    moment = datetime(2026, 3, 31, 8, 0, tzinfo=UTC)
    assert retention.months_before(moment, 1) == datetime(2026, 2, 28, 8, 0, tzinfo=UTC)
    assert retention.months_before(moment, 12) == datetime(2025, 3, 31, 8, 0, tzinfo=UTC)
    assert retention.months_before(moment, 14) == datetime(2025, 1, 31, 8, 0, tzinfo=UTC)


def test_instances_at_the_same_moment_apply_it_once(db, settings, clock) -> None:
    _world(db, settings)
    start = threading.Barrier(3)
    runs: list[RetentionRun | None] = []

    def instance(name: str) -> None:
        start.wait()
        runs.append(retention.run_daily(db, settings, worker=name))

    threads = [threading.Thread(target=instance, args=(f"w{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done = [r for r in runs if r is not None]
    assert len(runs) == 3
    assert len(done) == 1
    assert done[0].removed["contact"] == 3
    with Session(db) as s:
        assert len(s.exec(select(RetentionRun)).all()) == 1
        assert len(s.exec(select(AuditLog).where(AuditLog.action == "retention")).all()) == 1
        assert len(s.exec(select(RetentionNotice)).all()) == 3


def test_the_command_says_what_would_go_then_removes_it(db, settings, clock) -> None:
    _world(db, settings)
    cli = CliRunner()
    dry = cli.invoke(build_cli(), ["retention", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    rows = {ln.split()[0]: ln.split()[1:] for ln in dry.stdout.splitlines()[1:-1]}
    assert rows["contact"][:2] == ["3", "2025-12-01"]
    assert rows["delivery"][:4] == ["1", "2025-03-01", "11:00", "UTC"]
    assert "nothing was removed" in dry.stdout
    with Session(db) as s:
        assert len(s.exec(select(Contact)).all()) == 7
    done = cli.invoke(build_cli(), ["retention", "--json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["dry_run"] is False
    assert {t["table"]: t["count"] for t in report["tables"]}["contact"] == 3
    with Session(db) as s:
        assert _people(s, Contact) == {"p-c", "m-c", "p-d", "m-a"}
        [entry] = s.exec(select(AuditLog).where(AuditLog.action == "retention")).all()
        assert entry.actor == "cli"
