"""``stegvis study``: planning the next study, showing one, its CSV tables, plain errors."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from outcomes.importer import import_jsonl
from stegvis.cli import build_cli
from tests.utils.factories import line


@pytest.fixture
def stegvis(settings, db):
    app = build_cli()
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


def test_plan_gives_the_seed_studys_17_to_20_points(settings) -> None:
    app, runner = build_cli(), CliRunner()
    seen = []
    for base in ("0.2", "0.25", "0.3"):
        args = [
            "study",
            "plan",
            "--intervention",
            "73",
            "--control",
            "78",
            "--base",
            base,
            "--json",
        ]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        seen.append(json.loads(result.stdout)["mde"])
    assert seen == [0.1825, 0.1976, 0.2091]  # "17–20 percentage points", 0.18–0.21
    result = runner.invoke(app, ["study", "plan", "--mde", "0.1", "--base", "0.25", "--json"])
    assert json.loads(result.stdout) == {"per_arm": 295}
    words = runner.invoke(
        app, ["study", "plan", "--intervention", "73", "--control", "78", "--base", "0.25"]
    )
    assert "19.8 percentage points" in words.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--base", "0.25"], "give both group sizes"),
        (["--base", "1", "--intervention", "5", "--control", "5"], "between 0 and 1"),
        (["--base", "0.2", "--mde", "0.1", "--intervention", "5", "--control", "5"], "not both"),
        (["--base", "0.2", "--intervention", "0", "--control", "5"], "at least one person"),
    ],
)
def test_plan_refuses_what_it_cannot_plan(settings, args, words) -> None:
    result = CliRunner().invoke(build_cli(), ["study", "plan", *args])
    assert result.exit_code == 2
    assert words in result.stderr


def test_show_a_study_in_words_and_as_csv(stegvis, db) -> None:
    lines = [line("cohort", id="c1", name="R1", start="2025-01-01", end="2025-06-30")]
    for i in range(20):
        arm = "intervention" if i % 2 else "control"
        lines.append(line("participant", id=f"p{i:02d}", cohort="c1", gender="woman", arm=arm))
        lines.append(
            line(
                "survey",
                participant=f"p{i:02d}",
                wave="result",
                answered_on="2025-06-30",
                answers={"employment": "none", "job_changed": i % 4 == 1},
            )
        )
    lines.append(line("study", id="s1", name="Trial", cohorts=["c1"]))
    with Session(db) as session:
        import_jsonl(session, lines, actor="test")
        session.commit()
    shown = stegvis("study", "s1")
    assert shown.exit_code == 0, shown.output
    assert "50 % vs 0 %: a difference of 50 points" in shown.stdout
    assert "associations, not effects" in shown.stdout
    swedish = stegvis("study", "s1", "--lang", "sv")
    assert "50 % mot 0 %" in swedish.stdout
    table = stegvis("study", "s1", "--csv", "comparisons", "--basis", "enrolled")
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    assert rows[0]["indicator"] == "got_job"
    assert (rows[0]["intervention_n"], rows[0]["control_n"]) == ("5", "0")
    assert rows[0]["basis"] == "enrolled"
    listed = stegvis("study", "list", "--json")
    assert [s["id"] for s in json.loads(listed.stdout)] == ["s1"]
    assert stegvis("study", "show", "s1", "--json").exit_code == 0


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["study", "nope"], 1, "study 'nope' does not exist"),
        (["study", "nope", "--basis", "all"], 2, "unknown basis 'all'"),
        (["study", "nope", "--csv", "both"], 2, "unknown table 'both'"),
        (["study", "nope", "--lang", "fr"], 2, "unknown language 'fr'"),
    ],
)
def test_show_gives_plain_errors(stegvis, args, code, words) -> None:
    result = stegvis(*args)
    assert result.exit_code == code
    assert words in result.stderr
