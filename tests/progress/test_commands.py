"""``stegvis classify`` and ``stegvis eval progress`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stegvis.cli import build_cli

runner = CliRunner()


@pytest.fixture
def cli(fresh_classifier_cache):
    return build_cli()


def test_classify_one_message_as_json(cli) -> None:
    out = runner.invoke(cli, ["classify", "حصلت على تدريب عملي في البلدية", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["lang"] == "ar"
    assert [e["type"] for e in data["events"]] == ["internship_started"]
    assert 0 < data["events"][0]["confidence"] <= 1


def test_classify_a_file_writes_one_line_per_message_in_order(cli, tmp_path: Path) -> None:
    path = tmp_path / "msgs.jsonl"
    lines = ["I had a job interview today", "Hej!", "Jag har börjat plugga på Komvux"]
    path.write_text("\n".join(json.dumps({"text": t}) for t in lines) + "\n", encoding="utf-8")
    out = runner.invoke(cli, ["classify", "--jsonl", str(path)])
    assert out.exit_code == 0, out.output
    answers = [json.loads(line) for line in out.stdout.splitlines()]
    assert [[e["type"] for e in a["events"]] for a in answers] == [
        ["interview_attended"],
        [],
        ["education_started"],
    ]


def test_classify_human_output_says_when_unsure_or_a_question(cli) -> None:
    out = runner.invoke(cli, ["classify", "How long should a CV be?"])
    assert out.exit_code == 0
    assert "[en] no event" in out.stdout
    assert "a question" in out.stdout


def test_classify_without_text_or_file_is_a_clear_error(cli) -> None:
    out = runner.invoke(cli, ["classify"])
    assert out.exit_code == 2
    assert "give either a TEXT or --jsonl FILE" in out.output


def test_a_bad_line_is_reported_with_its_number(cli, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok"}\n{"txt": "typo"}\n', encoding="utf-8")
    out = runner.invoke(cli, ["classify", "--jsonl", str(path)])
    assert out.exit_code == 2
    assert "bad.jsonl:2" in out.output
    assert "Traceback" not in out.output


def test_eval_progress_prints_accuracy_per_language(cli, tmp_path: Path) -> None:
    path = tmp_path / "labelled.jsonl"
    rows = [
        {"text": "Jag har fått jobb på en skola", "lang": "sv", "types": ["job_started"]},
        {"text": "I want to work in a hospital", "lang": "en", "types": []},
        {"text": "God morgon", "lang": "sv", "types": []},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    out = runner.invoke(cli, ["eval", "progress", str(path), "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert report["per_language"]["sv"] == {"correct": 2, "total": 2, "accuracy": 1.0}
    assert report["false_event_rate"]["rate"] == 0.0
    assert report["meets_targets"] is True


def test_eval_progress_rejects_an_unknown_event_type(cli, tmp_path: Path) -> None:
    path = tmp_path / "labelled.jsonl"
    path.write_text('{"text": "x", "lang": "sv", "types": ["promoted"]}\n', encoding="utf-8")
    out = runner.invoke(cli, ["eval", "progress", str(path)])
    assert out.exit_code == 2
    assert "unknown event type" in out.output
