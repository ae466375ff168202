"""Import edges an unlucky file has: deep nesting, undecodable bytes, control characters, dates
far off, lines too long. Each is a bad line with its number (nothing written) on both databases;
a date outside the person's window is only a warning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from core.settings import Settings
from outcomes.importer import ImportRejected, import_jsonl, iter_file
from outcomes.models import Cohort, Event
from tests.outcomes.test_importer import dump
from tests.utils.factories import jsonl, line

COHORT = line("cohort", id="c1", name="R1", start="2025-01-01", end="2025-12-31")
PERSON = line("participant", id="p1", cohort="c1", gender="woman")


def rejected(engine: Engine, lines) -> list[tuple[int, str]]:
    with Session(engine) as session, pytest.raises(ImportRejected) as info:
        import_jsonl(session, lines, actor="test")
    return [(e.line, e.reason) for e in info.value.errors]


def event(**fields) -> str:
    base = {
        "id": "e1",
        "participant": "p1",
        "type": "cv_improved",
        "occurred_on": "2025-03-01",
        "source": "staff",
    }
    return line("event", **{**base, **fields})


def test_a_line_nested_1000_deep_is_a_bad_line_with_its_number(db: Engine) -> None:
    for deep in ("[" * 1000 + "]" * 1000, '{"kind": "cohort", "x": ' + "[" * 100 + "]" * 100 + "}"):
        errors = rejected(db, [COHORT, deep, PERSON])
        assert [n for n, _ in errors] == [2]
        assert "nested more than" in errors[0][1]
    with Session(db) as s:
        assert s.exec(select(Cohort)).all() == []


def test_a_line_over_the_length_limit_is_a_bad_line(db: Engine) -> None:
    long_line = line("cohort", id="c2", name="R2", start="2025-01-01", end="2025-12-31")
    long_line = long_line[:-1] + ', "region": "' + "x" * 70_000 + '"}'
    [(number, reason)] = rejected(db, [COHORT, long_line])
    assert number == 2
    assert "longer than" in reason


def test_undecodable_bytes_are_reported_with_their_line(db: Engine, tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    text = jsonl(COHORT, PERSON, event(attributes={"note": "Malmö"})).replace("\\u00f6", "ö")
    path.write_bytes(text.encode("utf-8").replace("ö".encode(), "ö".encode("latin-1")))
    [(number, reason)] = rejected(db, iter_file(str(path)))
    assert number == 3
    assert "not UTF-8" in reason
    assert "column" in reason


@pytest.mark.parametrize(
    ("text", "shown"),
    [("a\u0000b", "U+0000"), ("bell\u0007", "U+0007"), ("\u001b[31mred", "U+001B"), ("\ud800", "")],
)
def test_control_characters_are_refused_per_line(db: Engine, text: str, shown: str) -> None:
    lines = [
        COHORT,
        PERSON,
        event(attributes={"note": text}),
        line("mentor", id="m" + text, cohort="c1"),
        event(id="e2", attributes={"note": "tab\tand\nnewline are fine in a note"}),
    ]
    errors = rejected(db, lines)
    assert [n for n, _ in errors] == [3, 4]
    assert all(shown in reason for _, reason in errors)
    assert "'attributes.note'" in errors[0][1]
    assert "'id'" in errors[1][1]
    assert dump(db)["event"] == []


def test_a_note_may_hold_tab_and_newline(db: Engine) -> None:
    with Session(db) as session:
        import_jsonl(session, [COHORT, PERSON, event(attributes={"note": "a\tb\nc"})], actor="test")
        session.commit()
    with Session(db) as s:
        assert s.get(Event, "e1").note == "a\tb\nc"


@pytest.mark.parametrize("day", ["1900-01-01", "2999-12-31", "1989-12-31", "2101-01-01"])
def test_dates_outside_1990_to_2100_are_refused(db: Engine, day: str) -> None:
    lines = [
        line("cohort", id="c1", name="R1", start=day, end="2025-12-31"),
        PERSON,
        event(occurred_on=day),
        line("survey", participant="p1", wave="baseline", answered_on=day, answers={}),
    ]
    errors = rejected(db, lines)
    assert [n for n, reason in errors if "between 1990-01-01 and 2100-12-31" in reason] == [1, 3, 4]


def test_an_event_outside_the_window_is_imported_with_a_warning(db: Engine) -> None:
    lines = [
        COHORT,
        PERSON,
        line("participant", id="p2", cohort="c1", gender="man", joined_on="2025-06-01"),
        event(occurred_on="2024-12-31"),
        event(id="e2", occurred_on="2025-12-31"),
        event(id="e3", participant="p2", occurred_on="2025-05-31"),
    ]
    with Session(db) as session:
        report = import_jsonl(session, lines, actor="test")
        session.commit()
    assert [(w.line, w.reason) for w in report.warnings] == [
        (
            4,
            "event: occurred_on 2024-12-31 is outside the program window of participant "
            "'p1' (2025-01-01 to 2025-12-31); it will not count",
        ),
        (
            6,
            "event: occurred_on 2025-05-31 is outside the program window of participant "
            "'p2' (2025-06-01 to 2025-12-31); it will not count",
        ),
    ]
    assert report.as_dict()["warnings"] == [
        {"line": w.line, "reason": w.reason} for w in report.warnings
    ]
    assert report.created["event"] == 3


def test_the_window_of_stored_records_is_used_too(db: Engine) -> None:
    with Session(db) as session:
        import_jsonl(session, [COHORT, PERSON], actor="test")
        session.commit()
    with Session(db) as session:
        report = import_jsonl(session, [event(occurred_on="2026-01-05")], actor="test")
    assert [w.line for w in report.warnings] == [1]


def test_the_command_prints_line_numbers_and_warnings(settings: Settings, db, tmp_path) -> None:
    from typer.testing import CliRunner

    from stegvis.cli import build_cli

    runner = CliRunner()
    deep = tmp_path / "deep.jsonl"
    deep.write_text(jsonl(COHORT, "[" * 1000 + "]" * 1000), encoding="utf-8")
    result = runner.invoke(build_cli(), ["import", str(deep)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith("line 2: ")
    assert "Traceback" not in result.output
    nul = tmp_path / "nul.jsonl"
    nul.write_text(jsonl(COHORT, PERSON, event(attributes={"note": "a\u0000"})), encoding="utf-8")
    result = runner.invoke(build_cli(), ["import", str(nul)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith("line 3: ")
    assert "DataError" not in result.output
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(jsonl(COHORT, PERSON).encode() + b'{"kind": "cohort", "id": "\xe9"}\n')
    result = runner.invoke(build_cli(), ["import", str(latin)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith("line 3: not UTF-8")
    early = tmp_path / "early.jsonl"
    early.write_text(jsonl(COHORT, PERSON, event(occurred_on="2024-06-01")), encoding="utf-8")
    result = runner.invoke(build_cli(), ["import", str(early)])
    assert result.exit_code == 0, result.output
    assert "warning: line 3: event: occurred_on 2024-06-01 is outside" in result.stderr
    as_json = runner.invoke(build_cli(), ["import", str(early), "--json"])
    assert json.loads(as_json.stdout)["warnings"][0]["line"] == 3
