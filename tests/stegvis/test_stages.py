"""Long commands say how far they are: a line per stage when piped, rich's bars on a terminal."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from outcomes.importer import FileLines
from stegvis.cli import build_cli
from stegvis.commands.stages import stages
from tests.utils.factories import jsonl, small_program


def test_piped_a_line_per_stage_and_the_end() -> None:
    out = io.StringIO()
    with stages("backup", stream=out) as progress:
        progress.stage("copying the database", total=1200)
        progress.advance(600)
        progress.advance(600)
        progress.stage("packing")
    lines = out.getvalue().splitlines()
    assert lines[:2] == ["backup: copying the database (1,200)", "backup: packing"]
    assert lines[2].startswith("backup: done in ")
    assert len(lines) == 3  # steps are not repeated line by line in a log


def test_a_failed_task_does_not_say_done() -> None:
    out = io.StringIO()

    def task() -> None:
        with stages("import", stream=out) as progress:
            progress.stage("checking lines")
            raise ValueError("bad line")

    with pytest.raises(ValueError, match="bad line"):
        task()
    assert out.getvalue() == "import: checking lines\n"


def test_on_a_terminal_each_stage_gets_a_bar_with_its_count() -> None:
    out = io.StringIO()
    with stages("knowledge build", stream=out, terminal=True) as progress:
        progress.stage("reading the materials")
        progress.stage("embedding new and changed passages", total=40)
        progress.advance(40)
    shown = out.getvalue()
    assert "\x1b[" in shown  # drawn with terminal control codes, not lines for a log
    assert "knowledge build: reading the materials" in shown
    assert "knowledge build: embedding new and changed passages" in shown
    assert "40/40" in shown
    assert "done in" not in shown


@pytest.fixture
def round_file(tmp_path: Path) -> Path:
    path = tmp_path / "round1.jsonl"
    path.write_text(jsonl(*small_program()), encoding="utf-8")
    return path


def test_import_with_progress_shows_its_stages_on_stderr(settings, db, round_file) -> None:
    result = CliRunner().invoke(build_cli(), ["import", str(round_file), "--progress", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["lines"] == 11  # stdout keeps the result alone
    stages_shown = result.stderr.splitlines()
    assert stages_shown[:4] == [
        "import: checking lines (11)",
        "import: checking references",
        "import: writing records (11)",
        "import: keeping the outcomes",  # the touched participants' kept outcomes
    ]
    assert stages_shown[4].startswith("import: done in ")


def test_a_small_import_is_quiet_unless_asked(settings, db, round_file) -> None:
    result = CliRunner().invoke(build_cli(), ["import", str(round_file)])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_a_rejected_import_shows_the_stages_it_reached_then_the_errors(
    settings, db, tmp_path
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(jsonl(*small_program()) + "oops\n", encoding="utf-8")
    result = CliRunner().invoke(build_cli(), ["import", str(path), "--progress"])
    assert result.exit_code == 1
    err = result.stderr.splitlines()
    assert err[:2] == ["import: checking lines (12)", "import: checking references"]
    assert err[2].startswith("line 12: not valid JSON")
    assert err[-1] == f"error: {path}: 1 bad line(s); nothing was imported"


@pytest.mark.parametrize(
    ("text", "count"), [("", 0), ("a\n", 1), ("a\nb", 2), ("a\nb\n", 2), ("\n\n", 2)]
)
def test_file_lines_counts_what_iterating_reads(tmp_path: Path, text: str, count: int) -> None:
    path = tmp_path / "f.jsonl"
    path.write_text(text, encoding="utf-8")
    lines = FileLines(path)
    assert len(lines) == count == len(list(lines))
