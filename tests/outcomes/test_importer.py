"""The JSON Lines importer: every error class, all or nothing, idempotence, later lines win."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from core.vocab import INDICATORS, TARGET_KEYS
from outcomes.importer import ImportRejected, import_jsonl, iter_file
from outcomes.models import AuditLog, Cohort, Event, Participant, Survey
from outcomes.tables import metadata
from tests.utils.factories import line, make_cohort, make_participant, small_program


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order: a full picture to compare."""
    out = {}
    with engine.connect() as conn:
        for table in metadata().sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
    return out


def run(engine: Engine, lines: list[str]):
    with Session(engine) as session:
        report = import_jsonl(session, lines, actor="test")
        session.commit()
    return report


def rejected(engine: Engine, lines: list[str]) -> list[tuple[int, str]]:
    with Session(engine) as session, pytest.raises(ImportRejected) as info:
        import_jsonl(session, lines, actor="test")
    return [(e.line, e.reason) for e in info.value.errors]


COHORT = line("cohort", id="c1", name="R1", start="2025-01-01", end="2025-12-31")
PERSON = line("participant", id="p1", cohort="c1", gender="woman")


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (line("cohort_x", id="c2"), "unknown kind 'cohort_x'"),
        ('{"id": "c2", "name": "R2"}', "missing field 'kind'"),
        (line("cohort", id="c2", name="R2", start="2025-01-01"), "missing field 'end'"),
        (line("participant", id="p2", cohort="c1"), "missing field 'gender'"),
        (
            line(
                "event",
                participant="p1",
                type="cv_improved",
                occurred_on="2025-03-01",
                source="staff",
            ),
            "missing field 'id'",
        ),
        (
            line("participant", id="p2", cohort="c1", gender="woman", name="Amina"),
            "unknown field 'name'",
        ),
        (
            line("participant", id="p2", cohort="c1", gender="woman", phone="070"),
            "unknown field 'phone'",
        ),
        (line("participant", id="p2", cohort="c1", gender="f"), "bad value 'f' for 'gender'"),
        (
            line("participant", id="p2", cohort="c1", gender="woman", arm="placebo"),
            "bad value 'placebo' for 'arm'",
        ),
        (
            line(
                "event",
                id="e1",
                participant="p1",
                type="got_rich",
                occurred_on="2025-03-01",
                source="staff",
            ),
            "bad value 'got_rich' for 'type'",
        ),
        (
            line(
                "event",
                id="e1",
                participant="p1",
                type="cv_improved",
                occurred_on="2025-03-01",
                source="staff",
                status="deleted",
            ),
            "bad value 'deleted' for 'status'",
        ),
        (
            line("survey", participant="p1", wave="final", answered_on="2025-12-01", answers={}),
            "bad value 'final' for 'wave'",
        ),
        (
            line(
                "survey",
                participant="p1",
                wave="result",
                answered_on="2025-12-01",
                answers={"employment": "yes"},
            ),
            "answers.employment",
        ),
        (
            line(
                "survey",
                participant="p1",
                wave="result",
                answered_on="2025-12-01",
                answers={"items": {"flying": True}},
            ),
            "unknown field 'answers.items.flying'",
        ),
        (
            line(
                "event",
                id="e1",
                participant="p1",
                type="cv_improved",
                occurred_on="01/03/2025",
                source="staff",
            ),
            "bad date '01/03/2025' for 'occurred_on'",
        ),
        (
            line(
                "event",
                id="e1",
                participant="p1",
                type="cv_improved",
                occurred_on="2025-02-30",
                source="staff",
            ),
            "bad date '2025-02-30' for 'occurred_on'",
        ),
        (
            line("cohort", id="c2", name="R2", start="2025-01-01", end=20251231),
            "bad date 20251231 for 'end'",
        ),
        (
            line(
                "event",
                id="e1",
                participant="ghost",
                type="cv_improved",
                occurred_on="2025-03-01",
                source="staff",
            ),
            "refers to participant 'ghost', which does not exist",
        ),
        (
            line("pair", id="pr1", mentor="m-none", participant="p1", matched_on="2025-02-01"),
            "refers to mentor 'm-none'",
        ),
        (line("participant", id="p2", cohort="c9", gender="man"), "refers to cohort 'c9'"),
        (
            line("cohort", id="c2", name="R2", start="2025-06-01", end="2025-05-31"),
            "ends (2025-05-31) before it starts (2025-06-01)",
        ),
        (
            line(
                "participant",
                id="p2",
                cohort="c1",
                gender="man",
                joined_on="2025-05-01",
                left_on="2025-04-30",
            ),
            "ends (2025-04-30) before it starts (2025-05-01)",
        ),
        (
            line("participant", id="p2", cohort="c1", gender="man", joined_on="2026-02-01"),
            "the program window ends (2025-12-31) before it starts (2026-02-01)",
        ),
        (
            line(
                "pair",
                id="pr1",
                mentor="m1",
                participant="p1",
                matched_on="2025-05-01",
                ended_on="2025-04-01",
            ),
            "before it starts",
        ),
        ('{"kind": "cohort", "id": "c2",', "not valid JSON"),
        ("[1, 2, 3]", "a line must be a JSON object"),
        (
            line("meeting", pair="pr1", held_on="2025-02-01", meeting_kind="party", activities=[]),
            "bad value 'party'",
        ),
    ],
)
def test_every_kind_of_bad_line_is_named_with_its_number(db: Engine, bad: str, words: str) -> None:
    good = [COHORT, PERSON, line("mentor", id="m1", cohort="c1")]
    errors = rejected(db, [*good, bad])
    assert len(errors) == 1, errors
    number, reason = errors[0]
    assert number == 4
    assert words in reason, reason
    assert dump(db)["cohort"] == []


def test_a_file_with_one_bad_line_writes_nothing_and_names_that_line(db: Engine, session) -> None:
    make_cohort(session, id="c0")
    session.commit()
    before = dump(db)
    lines = small_program()
    lines[6] = lines[6].replace('"result"', '"resultat"')
    errors = rejected(db, lines)
    assert [e[0] for e in errors] == [7]
    assert dump(db) == before


def test_every_bad_line_is_reported_not_just_the_first(db: Engine) -> None:
    lines = [
        COHORT,
        "nope",
        PERSON,
        line("participant", id="p2", cohort="c1", gender="x"),
        "",
        "{}",
    ]
    errors = rejected(db, lines)
    assert [n for n, _ in errors] == [2, 4, 6]


def test_importing_the_same_file_twice_changes_nothing(db: Engine, tmp_path: Path) -> None:
    path = tmp_path / "round.jsonl"
    path.write_text("\n".join(small_program()) + "\n", encoding="utf-8")
    first = run(db, list(iter_file(str(path))))
    assert sum(first.created.values()) == 11
    after_first = dump(db)
    second = run(db, list(iter_file(str(path))))
    assert dump(db) == after_first
    assert sum(second.created.values()) == 0
    assert sum(second.updated.values()) == 0
    assert sum(second.unchanged.values()) == 11


def test_a_later_line_replaces_an_earlier_one(db: Engine) -> None:
    lines = [
        COHORT,
        PERSON,
        line("participant", id="p1", cohort="c1", gender="man", birth_year=1980),
        line(
            "survey",
            participant="p1",
            wave="result",
            answered_on="2025-12-01",
            answers={"employment": "none"},
        ),
        line(
            "survey",
            participant="p1",
            wave="result",
            answered_on="2025-12-05",
            answers={"employment": "full_time"},
        ),
        line(
            "event",
            id="e1",
            participant="p1",
            type="cv_improved",
            occurred_on="2025-03-01",
            source="staff",
        ),
        line(
            "event",
            id="e1",
            participant="p1",
            type="cv_improved",
            occurred_on="2025-03-01",
            source="staff",
            status="voided",
        ),
    ]
    report = run(db, lines)
    assert report.lines == 7
    assert report.created == {"cohort": 1, "participant": 1, "survey": 1, "event": 1}
    with Session(db) as s:
        person = s.get(Participant, "p1")
        assert (person.gender, person.birth_year) == ("man", 1980)
        surveys = s.exec(select(Survey)).scalars().all()
        assert [(x.answered_on.isoformat(), x.employment) for x in surveys] == [
            ("2025-12-05", "full_time")
        ]
        assert s.get(Event, "e1").status == "voided"


def test_a_changed_event_on_reimport_is_a_new_version_with_history(db: Engine) -> None:
    event = dict(
        id="e1",
        participant="p1",
        type="job_started",
        occurred_on="2025-03-01",
        source="import",
        attributes={"extent": "part_time"},
    )
    run(db, [COHORT, PERSON, line("event", **event)])
    report = run(
        db, [COHORT, PERSON, line("event", **{**event, "attributes": {"extent": "full_time"}})]
    )
    assert report.updated["event"] == 1
    assert report.unchanged["cohort"] == 1
    with Session(db) as s:
        row = s.get(Event, "e1")
        assert (row.extent, row.version) == ("full_time", 2)
        entry = s.exec(
            select(AuditLog).where(AuditLog.record_id == "e1", AuditLog.action == "import_update")
        ).scalar_one()
        assert entry.before["extent"] == "part_time"
        assert entry.after["extent"] == "full_time"


def test_a_corrected_file_updates_each_changed_record_and_only_those(db: Engine) -> None:
    first = [
        COHORT,
        PERSON,
        line("participant", id="p2", cohort="c1", gender="man"),
        line(
            "survey",
            participant="p1",
            wave="result",
            answered_on="2025-12-01",
            answers={"employment": "none"},
        ),
        line(
            "survey",
            participant="p2",
            wave="result",
            answered_on="2025-12-01",
            answers={"employment": "none"},
        ),
        *(
            line(
                "event",
                id=f"e{i}",
                participant="p1",
                type="cv_improved",
                occurred_on=f"2025-03-0{i}",
                source="staff",
            )
            for i in range(1, 5)
        ),
    ]
    run(db, first)
    corrected = list(first)
    corrected[2] = line("participant", id="p2", cohort="c1", gender="man", birth_year=1990)
    corrected[4] = line(
        "survey",
        participant="p2",
        wave="result",
        answered_on="2025-12-02",
        answers={"employment": "part_time", "job_relevant": True},
    )
    corrected[6] = line(
        "event",
        id="e2",
        participant="p1",
        type="cv_improved",
        occurred_on="2025-03-02",
        source="staff",
        status="voided",
    )
    corrected[8] = line(
        "event",
        id="e4",
        participant="p1",
        type="workplace_visit",
        occurred_on="2025-03-14",
        source="staff",
    )
    report = run(db, corrected)
    assert report.updated == {"cohort": 0, "participant": 1, "survey": 1, "event": 2}
    with Session(db) as s:
        assert s.get(Participant, "p1").birth_year is None
        assert s.get(Participant, "p2").birth_year == 1990
        by_person = {x.participant: x for x in s.exec(select(Survey)).scalars()}
        assert (by_person["p1"].employment, by_person["p1"].answered_on.isoformat()) == (
            "none",
            "2025-12-01",
        )
        assert (
            by_person["p2"].employment,
            by_person["p2"].job_relevant,
            by_person["p2"].answered_on.isoformat(),
        ) == ("part_time", True, "2025-12-02")
        events = {e.id: e for e in s.exec(select(Event)).scalars()}
        assert [(e.version, e.status, e.type) for _, e in sorted(events.items())] == [
            (1, "confirmed", "cv_improved"),
            (2, "voided", "cv_improved"),
            (1, "confirmed", "cv_improved"),
            (2, "confirmed", "workplace_visit"),
        ]
        audited = (
            s.exec(
                select(AuditLog)
                .where(AuditLog.action == "import_update")
                .order_by(AuditLog.record_id)
            )
            .scalars()
            .all()
        )
        assert [(a.record_id, a.before["status"], a.after["status"]) for a in audited] == [
            ("e2", "confirmed", "voided"),
            ("e4", "confirmed", "confirmed"),
        ]
        assert audited[1].before["type"] == "cv_improved"


def test_references_may_point_forward_in_the_file_or_to_stored_records(db: Engine, session) -> None:
    make_participant(session, id="stored", cohort=make_cohort(session, id="c0"))
    session.commit()
    lines = [
        line(
            "event",
            id="e1",
            participant="p1",
            type="cv_improved",
            occurred_on="2025-03-01",
            source="staff",
        ),
        line(
            "event",
            id="e2",
            participant="stored",
            type="cv_improved",
            occurred_on="2025-03-01",
            source="staff",
        ),
        PERSON,
        COHORT,
    ]
    report = run(db, lines)
    assert report.created["event"] == 2


def test_blank_lines_bom_and_crlf_are_tolerated(db: Engine, tmp_path: Path) -> None:
    path = tmp_path / "windows.jsonl"
    path.write_bytes(("\ufeff" + COHORT + "\r\n\r\n" + PERSON + "\r\n").encode("utf-8"))
    report = run(db, list(iter_file(str(path))))
    assert report.lines == 3
    assert report.created["participant"] == 1


def test_meetings_without_an_id_are_keyed_by_pair_day_and_kind(db: Engine) -> None:
    base = [
        COHORT,
        PERSON,
        line("mentor", id="m1", cohort="c1"),
        line("pair", id="pr1", mentor="m1", participant="p1", matched_on="2025-01-20"),
    ]
    meeting = line("meeting", pair="pr1", held_on="2025-02-03", activities=["cv"])
    run(db, [*base, meeting])
    second = run(db, [*base, meeting])
    assert second.unchanged["meeting"] == 1
    assert len(dump(db)["meeting"]) == 1


def test_an_event_for_an_imported_participant_keeps_its_attributes(db: Engine) -> None:
    run(
        db,
        [
            COHORT,
            PERSON,
            line(
                "event",
                id="e1",
                participant="p1",
                type="education_started",
                occurred_on="2025-03-01",
                source="participant",
                attributes={"relevant": False, "program_contributed": "unsure", "note": "SFI"},
            ),
        ],
    )
    with Session(db) as s:
        row = s.get(Event, "e1")
        assert (row.relevant, row.program_contributed, row.note) == (False, "unsure", "SFI")
        assert row.recorded_by == "import"


def test_targets_are_for_headline_and_contribution_indicators(db: Engine) -> None:
    """The other minor items (e.g. cv_improved) are indicators without a target."""
    bad = line(
        "cohort",
        id="c2",
        name="R2",
        start="2025-01-01",
        end="2025-12-31",
        targets={"cv_improved": 0.5},
    )
    ((number, reason),) = rejected(db, [bad])
    assert number == 1
    assert f"unknown target 'cv_improved'; known: {', '.join(sorted(TARGET_KEYS))}" in reason
    assert "cv_improved" in INDICATORS  # an indicator all the same


def test_targets_are_checked(db: Engine) -> None:
    bad = line(
        "cohort",
        id="c2",
        name="R2",
        start="2025-01-01",
        end="2025-12-31",
        targets={"job_or_steps": 1.5},
    )
    ((number, reason),) = rejected(db, [bad])
    assert number == 1
    assert "between 0 and 1" in reason
    good = json.loads(small_program()[0])
    assert good["targets"]["participants"] == 3
    run(db, [json.dumps(good)])
    with Session(db) as s:
        assert s.get(Cohort, "c1").targets["job_or_steps"] == 0.5
