"""The outcomes command line, through the real ``stegvis`` registry (typer's CliRunner)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from outcomes.models import ApiToken, Cohort
from outcomes.tokens import hash_secret
from stegvis.cli import build_cli
from tests.outcomes.test_importer import dump
from tests.utils.factories import jsonl, line, small_program


@pytest.fixture
def stegvis(settings, db):
    """Run ``stegvis ARGS`` on the (migrated, emptied after) test database; returns the result."""
    app = build_cli()
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def round_file(tmp_path: Path) -> Path:
    path = tmp_path / "round1.jsonl"
    path.write_text(jsonl(*small_program()), encoding="utf-8")
    return path


def test_import_prints_a_summary_per_kind_and_is_idempotent(stegvis, round_file, db) -> None:
    first = stegvis("import", round_file)
    assert first.exit_code == 0, first.output
    assert "imported" in first.stdout
    assert "(11 lines)" in first.stdout
    rows = {ln.split()[0]: ln.split()[1:] for ln in first.stdout.splitlines()[2:]}
    assert rows["participant"] == ["2", "0", "0"]
    assert rows["event"] == ["3", "0", "0"]
    snapshot = dump(db)
    second = stegvis("import", round_file, "--json")
    assert second.exit_code == 0
    report = json.loads(second.stdout)
    assert sum(report["created"].values()) == 0
    assert report["unchanged"]["event"] == 3
    assert dump(db) == snapshot


def test_import_with_bad_lines_prints_each_and_writes_nothing(stegvis, tmp_path, db) -> None:
    lines = small_program()
    lines[2] = lines[2].replace('"man"', '"male"')
    lines.append("oops")
    path = tmp_path / "bad.jsonl"
    path.write_text(jsonl(*lines), encoding="utf-8")
    result = stegvis("import", path)
    assert result.exit_code == 1
    err = result.stderr.splitlines()
    assert err[0].startswith("line 3: participant: bad value 'male' for 'gender'")
    # p2's two events cannot refer to a participant that is not imported either
    assert [e.split(":")[0] for e in err[1:3]] == ["line 9", "line 10"]
    assert "refers to participant 'p2'" in err[1]
    assert err[3].startswith("line 12: not valid JSON")
    assert err[-1] == f"error: {path}: 4 bad line(s); nothing was imported"
    assert "Traceback" not in result.output
    with Session(db) as s:
        assert s.exec(select(Cohort)).all() == []


def test_import_of_a_missing_or_binary_file_fails_clearly(stegvis, tmp_path) -> None:
    missing = stegvis("import", tmp_path / "nope.jsonl")
    assert missing.exit_code == 2
    assert "no such file" in missing.stderr
    binary = tmp_path / "x.jsonl"
    binary.write_bytes(b"\xff\xfe\x00")
    result = stegvis("import", binary)
    assert result.exit_code == 1
    assert "not UTF-8" in result.stderr


def test_indicators_table_and_json(stegvis, round_file) -> None:
    stegvis("import", round_file)
    table = stegvis("indicators", "--by", "gender")
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0] == "cohort: all, basis: measured"
    assert lines[1].split() == ["total", "gender=man", "gender=woman"]
    got_job = next(ln for ln in lines if ln.startswith("got_job"))
    assert got_job.split()[1:3] == ["1/1", "100.0%"]
    data = json.loads(stegvis("indicators", "--json", "--basis", "enrolled").stdout)
    assert data["filters"] == {"cohort": None, "basis": "enrolled"}
    assert data["total"]["enrolled"] == 2
    targets = stegvis("indicators", "--cohort", "c1").stdout
    assert "target total participants: 3" in targets


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (("indicators", "--by", "shoe"), 2, "unknown grouping 'shoe'"),
        (("indicators", "--basis", "all"), 2, "unknown basis 'all'"),
        (("indicators", "--cohort", "nope"), 1, "cohort 'nope' does not exist"),
        (("indicators", "--from", "2025-13-01"), 2, "2025-13-01"),
        (("export", "tokens"), 2, "unknown table 'tokens'"),
        (("export", "events", "--type", "party"), 2, "unknown event type 'party'"),
        (("export", "events", "--from", "2025-02-01", "--to", "2025-01-01"), 2, "before it starts"),
        (("token", "create", "--role", "root", "--name", "x"), 2, "unknown role 'root'"),
        (("token", "revoke", "999"), 1, "token 999 does not exist"),
    ],
)
def test_bad_input_is_a_message_and_an_exit_code(stegvis, args, code: int, words: str) -> None:
    result = stegvis(*args)
    assert result.exit_code == code, result.output
    assert words in result.output
    assert "Traceback" not in result.output


def test_export_to_a_file(stegvis, round_file, tmp_path) -> None:
    stegvis("import", round_file)
    out = tmp_path / "participants.csv"
    result = stegvis("export", "participants", "--out", out, "--cohort", "c1")
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8").splitlines()
    assert text[0].startswith("id,cohort,gender,")
    assert len(text) == 3
    assert not (tmp_path / "participants.csv.part").exists()


def test_a_failed_export_leaves_no_file(stegvis, tmp_path) -> None:
    out = tmp_path / "ind.csv"
    result = stegvis("export", "indicators", "--cohort", "nope", "--out", out)
    assert result.exit_code == 1
    assert not out.exists()
    assert not (tmp_path / "ind.csv.part").exists()


def test_token_create_list_revoke(stegvis, db) -> None:
    created = stegvis("token", "create", "--role", "analyst", "--name", "Funder")
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith("stv_")
    assert "not shown again" in created.stderr
    with Session(db) as s:
        row = s.exec(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret))).one()
        assert (row.role, row.name) == ("analyst", "Funder")
    listed = stegvis("token", "list")
    assert "Funder" in listed.stdout
    assert secret not in listed.stdout
    as_json = json.loads(stegvis("token", "list", "--json").stdout)
    assert as_json[0]["name"] == "Funder"
    assert "token" not in as_json[0]
    revoked = stegvis("token", "revoke", row.id)
    assert revoked.exit_code == 0
    assert "revoked token" in revoked.stdout
    assert json.loads(stegvis("token", "list", "--json").stdout)[0]["revoked_at"] is not None
    made = json.loads(
        stegvis("token", "create", "--role", "staff", "--name", "bot", "--json").stdout
    )
    assert made["role"] == "staff"
    assert made["token"].startswith("stv_")


def test_db_upgrade_is_safe_to_repeat(stegvis, db: Engine) -> None:
    result = stegvis("db", "upgrade")
    assert result.exit_code == 0
    assert "up to date" in result.stdout


def test_the_embedded_default_migrates_itself(tmp_path, monkeypatch) -> None:
    from core.settings import get_settings

    monkeypatch.setenv("STEGVIS_DATA_DIR", str(tmp_path / "fresh"))
    monkeypatch.delenv("STEGVIS_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        path = tmp_path / "one.jsonl"
        path.write_text(
            jsonl(line("cohort", id="c1", name="R1", start="2025-01-01", end="2025-12-31")),
            encoding="utf-8",
        )
        result = CliRunner().invoke(build_cli(), ["import", str(path)])
        assert result.exit_code == 0, result.output
        assert (tmp_path / "fresh" / "stegvis.db").exists()
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    "command", [("indicators",), ("export", "events"), ("token", "list"), ("invite", "pair-1")]
)
def test_a_configured_database_without_the_schema_is_named_not_a_traceback(
    tmp_path, monkeypatch, command
) -> None:
    from core.settings import get_settings

    empty = tmp_path / "empty.db"
    monkeypatch.setenv("STEGVIS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STEGVIS_DATABASE_URL", f"sqlite:///{empty}")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(build_cli(), list(command))
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1, result.output
    assert "has no Stegvis schema" in result.stderr
    assert "stegvis db upgrade" in result.stderr
    assert "Traceback" not in result.output


def test_an_unreachable_database_is_named(tmp_path, monkeypatch) -> None:
    from core.settings import get_settings

    monkeypatch.setenv("STEGVIS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STEGVIS_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(build_cli(), ["indicators"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: cannot open the postgresql database")
    assert "Traceback" not in result.output
