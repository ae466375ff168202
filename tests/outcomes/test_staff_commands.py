"""``stegvis staff …`` through the real ``stegvis`` command (typer's CliRunner)."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from outcomes.models import AuditLog
from outcomes.staff_models import StaffUser
from stegvis.cli import build_cli
from stegvis.commands import staff as staff_commands

PASSWORD = "blåbär-och-lingon-42"


@pytest.fixture
def stegvis(settings, db):
    app = build_cli()
    runner = CliRunner()
    return lambda *args, input=None: runner.invoke(app, [str(a) for a in args], input=input)


def test_add_reads_the_password_from_stdin_and_lists_the_account(stegvis, db) -> None:
    added = stegvis("staff", "add", "Ops@Example.org", "--role", "admin", input=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    assert "added ops@example.org (admin, sv)" in added.stdout
    listed = stegvis("staff", "list", "--json")
    [row] = json.loads(listed.stdout)
    assert row["email"] == "ops@example.org"
    assert row["role"] == "admin"
    assert PASSWORD not in listed.stdout
    assert "argon2" not in listed.stdout
    table = stegvis("staff", "list")
    assert "ops@example.org" in table.stdout
    assert "admin" in table.stdout
    with Session(db) as session:
        user = session.exec(select(StaffUser)).one()
        assert user.password_hash.startswith("$argon2id$")
        entry = session.exec(select(AuditLog).where(AuditLog.table_name == "staff_user")).one()
        assert entry.actor == "cli"
        assert entry.action == "create"


def test_at_a_terminal_the_password_is_asked_twice(stegvis, db, monkeypatch) -> None:
    monkeypatch.setattr(staff_commands, "stdin_is_terminal", lambda: True)
    mismatch = stegvis(
        "staff",
        "add",
        "anna@example.org",
        "--role",
        "staff",
        "--language",
        "en",
        input=f"{PASSWORD}\n{PASSWORD}x\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert mismatch.exit_code == 0, mismatch.output
    assert "Once more" in mismatch.output
    assert mismatch.output.count("New password for anna@example.org") == 2  # asked again
    assert PASSWORD not in mismatch.output  # never echoed
    assert "added anna@example.org (staff, en)" in mismatch.stdout


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("--role", "boss"), PASSWORD, "unknown role 'boss'"),
        (("--role", "staff", "--language", "de"), PASSWORD, "unknown language 'de'"),
        (("--role", "staff"), "kort", "at least 12 characters"),
        (("--role", "staff"), "Password2024!", "too common"),
        (("--role", "staff"), "", "no password on standard input"),
    ],
)
def test_bad_input_gets_a_plain_error_and_stores_nothing(stegvis, db, args, stdin, message):
    result = stegvis("staff", "add", "anna@example.org", *args, input=stdin + "\n")
    assert result.exit_code != 0
    assert message in result.stderr
    with Session(db) as session:
        assert session.exec(select(StaffUser)).first() is None


def test_disable_enable_and_reset_password(stegvis, db) -> None:
    assert (
        stegvis("staff", "add", "a@example.org", "--role", "staff", input=PASSWORD).exit_code == 0
    )
    assert (
        stegvis("staff", "add", "a@example.org", "--role", "staff", input=PASSWORD).exit_code == 1
    )
    disabled = stegvis("staff", "disable", "A@example.org")
    assert disabled.exit_code == 0
    assert "disabled a@example.org" in disabled.stdout
    [row] = json.loads(stegvis("staff", "list", "--json").stdout)
    assert row["disabled_at"] is not None
    assert stegvis("staff", "enable", "a@example.org").exit_code == 0
    with Session(db) as session:
        before = session.exec(select(StaffUser.password_hash)).one()
    reset = stegvis("staff", "reset-password", "a@example.org", input="ett-helt-nytt-lösen\n")
    assert reset.exit_code == 0, reset.output
    with Session(db) as session:
        assert session.exec(select(StaffUser.password_hash)).one() != before
    missing = stegvis("staff", "reset-password", "nobody@example.org", input=PASSWORD)
    assert missing.exit_code == 1
    assert "nobody@example.org" in missing.stderr
