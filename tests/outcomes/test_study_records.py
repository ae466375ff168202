"""Study records (spec/study.md): the three import kinds by the importer's rules, deleting a study,
and a participant's register data in the privacy export and erasure."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from outcomes.errors import Conflict, Invalid
from outcomes.importer import ImportRejected, import_jsonl
from outcomes.privacy import erase_person, export_person
from outcomes.study_models import (
    RegisterMonth,
    RegisterPerson,
    Study,
    StudyCreate,
    StudyUpdate,
)
from outcomes.study_service import create_study, delete_study, update_study
from tests.outcomes.test_importer import dump
from tests.utils.factories import line

BASE = [
    line("cohort", id="c1", name="R1", start="2025-01-01", end="2025-06-30"),
    line("cohort", id="c2", name="R2", start="2025-01-01", end="2025-06-30"),
    line("participant", id="p1", cohort="c1", gender="woman"),
    line("participant", id="p2", cohort="c2", gender="man", arm="control"),
]
STUDY = [
    line("study", id="rise", name="RISE", cohorts=["c1", "c2"]),
    line(
        "register_person",
        id="r1",
        study="rise",
        group="intervention",
        participant="p1",
        gender="woman",
        birth_year=1985,
        citizenship="SY",
        county="Stockholm",
        education_level="tertiary",
        arrival_period="2016-2018",
        employed_at_start=False,
        start_month="2025-01",
    ),
    line("register_person", id="x1", study="rise", group="external_control", gender="woman"),
    line("register_month", person="r1", month="2025-02", employed=True, income=21000),
    line("register_month", person="x1", month="2025-02", employed=False),
]


def run(engine: Engine, lines: list[str]) -> Any:
    with Session(engine) as session:
        report = import_jsonl(session, lines, actor="test")
        session.commit()
    return report


def count(engine: Engine, model: Any) -> int:
    with Session(engine) as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_study_file_imports_and_a_second_import_changes_nothing(db: Engine) -> None:
    report = run(db, BASE + STUDY)
    assert report.created["study"] == 1
    assert report.created["register_person"] == 2
    assert report.created["register_month"] == 2
    with Session(db) as s:
        study = s.get(Study, "rise")
        assert study is not None
        assert (study.cohorts, study.alpha, study.power, study.register_end_month) == (
            ["c1", "c2"],
            0.05,
            0.8,
            7,
        )
        assert study.primary == ["got_job", "job_or_steps", "network_expanded"]
    before = dump(db)
    again = run(db, BASE + STUDY)
    assert again.unchanged["register_month"] == 2
    assert again.created["register_month"] == 0
    assert dump(db) == before


def test_a_later_line_replaces_an_earlier_one(db: Engine) -> None:
    run(db, BASE + STUDY)
    report = run(
        db,
        [
            line("study", id="rise", name="RISE", cohorts=["c1"], primary=["got_job"], alpha=0.1),
            line("register_month", person="r1", month="2025-02", employed=False),
            line("register_month", person="r1", month="2025-03", employed=True),
        ],
    )
    assert (report.updated["study"], report.updated["register_month"]) == (1, 1)
    assert report.created["register_month"] == 1
    with Session(db) as s:
        study = s.get(Study, "rise")
        assert (study.cohorts, study.primary, study.alpha) == (["c1"], ["got_job"], 0.1)
        month = s.get(RegisterMonth, ("r1", "2025-02"))
        assert month is not None
        assert month.employed is False
        assert month.income is None


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (line("study", id="s2", name="S", cohorts=["c9"]), "'cohorts' refers to cohort 'c9'"),
        (line("study", id="s2", name="S", cohorts=[]), "'cohorts'"),
        (line("study", id="s2", name="S", cohorts=["c1"], primary=["jobs"]), "'primary.0'"),
        (line("study", id="s2", name="S", cohorts=["c1"], alpha=1.5), "'alpha'"),
        (
            line("register_person", id="r9", study="rise", group="intervention"),
            "missing field 'participant'",
        ),
        (
            line("register_person", id="r9", study="rise", group="intervention", participant="p7"),
            "'participant' refers to participant 'p7'",
        ),
        (
            line(
                "register_person",
                id="r9",
                study="rise",
                group="external_control",
                participant="p1",
            ),
            "an external control is no participant",
        ),
        (
            line("register_person", id="r9", study="nope", group="external_control"),
            "'study' refers to study 'nope'",
        ),
        (
            line("register_person", id="r9", study="rise", group="control"),
            "bad value 'control' for 'group'",
        ),
        (
            line(
                "register_person",
                id="r9",
                study="rise",
                group="external_control",
                start_month="2025-1",
            ),
            "bad month '2025-1' for 'start_month' (expected YYYY-MM)",
        ),
        (
            line(
                "register_person",
                id="r9",
                study="rise",
                group="external_control",
                citizenship="Syria",
            ),
            "'citizenship'",
        ),
        (
            line("register_month", person="r1", month="2025-13", employed=True),
            "bad month '2025-13' for 'month' (expected YYYY-MM)",
        ),
        (
            line("register_month", person="r1", month="2025/02", employed=True),
            "bad month '2025/02'",
        ),
        (
            line("register_month", person="ghost", month="2025-02", employed=True),
            "'person' refers to register person 'ghost'",
        ),
        (line("register_month", person="r1", month="2025-04"), "missing field 'employed'"),
        (
            line("register_month", person="r1", month="2025-04", employed=True, income=-5),
            "'income'",
        ),
    ],
)
def test_a_bad_study_line_is_named_and_nothing_is_written(db: Engine, bad: str, words: str) -> None:
    lines = [*BASE, *STUDY, bad]
    with Session(db) as session, pytest.raises(ImportRejected) as info:
        import_jsonl(session, lines, actor="test")
    errors = [(e.line, e.reason) for e in info.value.errors]
    assert len(errors) == 1, errors
    assert errors[0][0] == len(lines)
    assert words in errors[0][1], errors
    assert count(db, Study) == 0
    assert count(db, RegisterPerson) == 0


def test_a_register_person_may_refer_to_a_participant_stored_earlier(db: Engine) -> None:
    run(db, BASE)
    run(db, STUDY)
    assert count(db, RegisterMonth) == 2


def test_deleting_a_study_deletes_its_register_rows_only(db: Engine) -> None:
    run(db, BASE + STUDY)
    run(
        db,
        [
            line("study", id="other", name="Other", cohorts=["c2"]),
            line("register_person", id="y1", study="other", group="external_control"),
            line("register_month", person="y1", month="2025-02", employed=True),
        ],
    )
    with Session(db) as s:
        report = delete_study(s, "rise", actor="test")
        s.commit()
    assert report == {"register_persons": 2, "register_months": 2}
    assert count(db, Study) == 1
    with Session(db) as s:
        assert [r.id for r in s.execute(select(RegisterPerson)).scalars()] == ["y1"]
        assert s.get(RegisterMonth, ("y1", "2025-02")) is not None


def test_staff_create_and_edit_a_study_by_the_same_rules(db: Engine) -> None:
    run(db, BASE)
    with Session(db) as s:
        create_study(s, StudyCreate(id="s1", name="S", cohorts=["c1"]), actor="test")
        s.commit()
        with pytest.raises(Conflict):
            create_study(s, StudyCreate(id="s1", name="S", cohorts=["c1"]), actor="test")
        with pytest.raises(Invalid, match="c9"):
            create_study(s, StudyCreate(id="s2", name="S", cohorts=["c9"]), actor="test")
        with pytest.raises(Invalid, match="c9"):
            update_study(s, "s1", StudyUpdate(cohorts=["c1", "c9"]), actor="test")
        s.rollback()
        update_study(s, "s1", StudyUpdate(cohorts=["c1", "c2"], power=0.9), actor="test")
        s.commit()
    with Session(db) as s:
        study = s.get(Study, "s1")
        assert (study.cohorts, study.power) == (["c1", "c2"], 0.9)


def test_a_participants_register_data_is_exported_and_erased(db: Engine, settings) -> None:
    # an external control whose register id happens to be a participant's id: not that person
    namesake = [
        line("register_person", id="p1", study="rise", group="external_control"),
        line("register_month", person="p1", month="2025-02", employed=True),
    ]
    run(db, BASE + STUDY + namesake)
    with Session(db) as s:
        doc = export_person(s, settings, "p1")
        assert [r["id"] for r in doc["register"]] == ["r1"]
        assert doc["register"][0]["months"] == [
            {"person": "r1", "month": "2025-02", "employed": True, "income": 21000}
        ]
        # a register person's id is no participant's: the ``person`` column rule must not match
        assert "register_month" not in doc["other"]
        report = erase_person(s, person="p1", actor="test")
        s.commit()
    assert report.register_rows_deleted == 2
    with Session(db) as s:
        left = sorted(r.id for r in s.execute(select(RegisterPerson)).scalars())
        assert left == ["p1", "x1"]
        assert s.get(RegisterMonth, ("p1", "2025-02")) is not None
        assert s.get(RegisterMonth, ("r1", "2025-02")) is None
