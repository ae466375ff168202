"""``stegvis ask``, ``stegvis knowledge build`` and ``stegvis eval knowledge``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from knowledge.retrieve import Retriever
from stegvis.cli import build_cli

runner = CliRunner()


def test_ask_json_follows_the_contract(installed: Retriever) -> None:
    result = runner.invoke(build_cli(), ["ask", "Hur långt ska ett CV vara?", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["lang"] == "sv"
    assert answer["answer"]
    assert 1 <= len(answer["passages"]) <= 5
    first = answer["passages"][0]
    assert {"topic", "source", "title", "text", "score"} <= set(first)
    assert first["topic"] == "cv"
    assert first["source"].endswith("cv.sv.md")


def test_ask_jsonl_answers_every_line_in_order(installed: Retriever, tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    lines = ["Vad är fika?", "Should I put a photo on my CV?", "Як знайти стажування?"]
    questions.write_text("\n".join(json.dumps({"q": q}) for q in lines) + "\n")
    result = runner.invoke(build_cli(), ["ask", "--jsonl", str(questions)])
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["passages"][0]["topic"] for a in answers] == ["social_codes", "cv", "internship"]
    assert [a["lang"] for a in answers] == ["sv", "en", "uk"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask"], "give either a QUESTION or --jsonl FILE"),
        (["ask", "hej", "--lang", "de"], "--lang must be one of"),
        (["ask", "--jsonl", "/nonexistent/q.jsonl"], "cannot read"),
    ],
)
def test_bad_input_is_a_clear_error(installed: Retriever, args: list[str], message: str) -> None:
    result = runner.invoke(build_cli(), args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_bad_jsonl_line_names_the_line(installed: Retriever, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"q": "Vad är fika?"}\n{"question": 1}\n')
    result = runner.invoke(build_cli(), ["ask", "--jsonl", str(bad)])
    assert result.exit_code == 2
    assert "bad.jsonl:2" in result.stderr


def test_eval_knowledge_prints_recall_per_language(installed: Retriever, tmp_path: Path) -> None:
    labelled = tmp_path / "dev.jsonl"
    rows = [
        {"q": "Hur långt ska ett CV vara?", "lang": "sv", "topic": "cv"},
        {"q": "What is fika?", "lang": "en", "topic": "social_codes"},
        {"q": "Як знайти стажування?", "lang": "uk", "topic": "internship"},
        {"q": "What is fika?", "lang": "en", "topic": "validation"},  # a deliberate miss
    ]
    labelled.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    result = runner.invoke(build_cli(), ["eval", "knowledge", str(labelled), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["overall"] == {
        "n": 4,
        "recall@1": 0.75,
        "recall@3": 0.75,
        "third_language": 0,
        "language_named": 4,
        "language_scored": 4,
    }
    assert report["by_lang"]["en"]["recall@1"] == 0.5
    assert report["by_lang"]["uk"]["recall@3"] == 1.0
    table = runner.invoke(build_cli(), ["eval", "knowledge", str(labelled)])
    assert "recall@1" in table.stdout
    assert "overall" in table.stdout


def test_eval_knowledge_counts_passages_in_a_third_language(
    installed: Retriever, tmp_path: Path
) -> None:
    """A Russian asker may read Russian, Swedish or English, and a mixed line its own languages;
    the fixture materials have Ukrainian, which must not be shown to either."""
    labelled = tmp_path / "extra.jsonl"
    rows = [
        {"q": "Как найти стажировку?", "lang": "ru", "topic": "internship"},
        {
            "q": "hur hittar jag praktik, как найти",
            "lang": "mix",
            "langs": ["sv", "ru"],
            "topic": "internship",
        },
    ]
    labelled.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    result = runner.invoke(build_cli(), ["eval", "knowledge", str(labelled), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["overall"]["third_language"] == 0, report["misses"]
    assert report["by_lang"]["ru"]["language_named"] == 1
    assert report["by_lang"]["mix"]["language_scored"] == 0  # a mixed line names no one language


def test_eval_refuses_a_mixed_line_without_its_languages(tmp_path: Path) -> None:
    labelled = tmp_path / "bad.jsonl"
    labelled.write_text(json.dumps({"q": "hur, как", "lang": "mix", "topic": "cv"}))
    result = runner.invoke(build_cli(), ["eval", "knowledge", str(labelled)])
    assert result.exit_code == 2
    assert "bad.jsonl:1" in result.stderr


def test_eval_refuses_unknown_topics(tmp_path: Path) -> None:
    labelled = tmp_path / "dev.jsonl"
    labelled.write_text('{"q": "x", "topic": "cooking"}\n')
    result = runner.invoke(build_cli(), ["eval", "knowledge", str(labelled)])
    assert result.exit_code == 2
    assert "dev.jsonl:1: unknown or missing topic" in result.stderr


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (
            '{"q": "Hur skriver jag ett CV?", "topic": "cv"}\n\n{"q": 3}\n',
            'dev.jsonl:3: expected an object with a "q" string',
        ),
        ('{"q": "CV?", "topic": "cv"}\nnot json\n', "dev.jsonl:2: not JSON"),
        ('{"q": "   ", "topic": "cv"}\n', 'dev.jsonl:1: expected an object with a "q" string'),
        ("\n\n", "dev.jsonl: no questions"),
    ],
)
def test_eval_names_the_bad_line(tmp_path: Path, content: str, words: str) -> None:
    labelled = tmp_path / "dev.jsonl"
    labelled.write_text(content, encoding="utf-8")
    result = runner.invoke(build_cli(), ["eval", "knowledge", str(labelled)])
    assert result.exit_code == 2
    assert words in result.stderr
    assert "Traceback" not in result.output


def test_knowledge_build_reports_what_it_did(
    materials_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.settings import get_settings

    monkeypatch.setenv("STEGVIS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STEGVIS_MATERIALS_DIR", str(materials_copy))
    get_settings.cache_clear()
    try:
        first = runner.invoke(build_cli(), ["knowledge", "build", "--json"])
        again = runner.invoke(build_cli(), ["knowledge", "build", "--json"])
        (materials_copy / "cv.sv.md").write_text("no front matter")
        broken = runner.invoke(build_cli(), ["knowledge", "build"])
    finally:
        get_settings.cache_clear()
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["embedded"] > 0
    assert json.loads(again.stdout)["embedded"] == 0
    assert broken.exit_code == 2
    assert "cv.sv.md: missing YAML front matter" in broken.stderr
    # piped, each stage is a line on stderr (stdout keeps the JSON report alone)
    embedded = json.loads(first.stdout)["embedded"]
    assert first.stderr.splitlines()[:3] == [
        "knowledge build: reading the materials",
        "knowledge build: loading the embedding model and the index",
        f"knowledge build: embedding new and changed passages ({embedded:,})",
    ]
    assert first.stderr.splitlines()[-1].startswith("knowledge build: done in ")
    assert "knowledge build: embedding new and changed passages (0)" in again.stderr
    assert "done in" not in broken.stderr
