"""The ``stegvis`` command's registry: every command listed, loaded only when it is used."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stegvis.cli import COMMANDS, Command, Group, build_cli, load

ROOT = Path(__file__).resolve().parents[2]
HEAVY = (
    "sqlalchemy",
    "sqlmodel",
    "pydantic",
    "telegram",
    "fastapi",
    "chromadb",
    "langchain_core",
    "numpy",
)
OURS = ("outcomes", "knowledge", "progress", "api", "bot", "emulator", "stegvis.up")


def _entries(entries: tuple[Command | Group, ...], prefix: tuple[str, ...] = ()):
    for entry in entries:
        yield (*prefix, entry.name), entry
        if isinstance(entry, Group):
            yield from _entries(entry.commands, (*prefix, entry.name))


ALL = list(_entries(COMMANDS))
LEAVES = [(path, e) for path, e in ALL if isinstance(e, Command)]


def imported_by(*args: str) -> set[str]:
    """The modules a fresh ``stegvis ARGS`` process has imported when it exits."""
    code = (
        "import sys\n"
        "from stegvis.cli import main\n"
        f"sys.argv = ['stegvis', *{list(args)!r}]\n"
        "try:\n    main()\n"
        "except SystemExit:\n    pass\n"
        "sys.__stderr__.write(__import__('json').dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stderr.splitlines()[-1]))


def _loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in packages or m in packages)


@pytest.mark.parametrize(("path", "entry"), LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_the_registry_shows_each_commands_own_first_line(path, entry: Command) -> None:
    command = load(entry.target, entry.name)
    assert command.help is not None
    assert command.help.splitlines()[0] == entry.help


def test_help_lists_every_command_with_its_line() -> None:
    result = CliRunner().invoke(build_cli(), ["--help"])
    assert result.exit_code == 0, result.output
    listed = " ".join(result.stdout.split())  # rich wraps the lines of the table
    for entry in COMMANDS:
        assert f" {entry.name} " in listed
        assert " ".join(entry.help.split()[:4]) in listed


def test_help_imports_no_command_and_nothing_heavy() -> None:
    modules = imported_by("--help")
    assert not [m for m in modules if m.startswith("stegvis.commands")]
    assert _loaded(modules, HEAVY) == []
    assert _loaded(modules, OURS) == []


@pytest.mark.parametrize(
    ("args", "module"),
    [
        (("import", "--help"), "stegvis.commands.outcomes"),
        (("token", "create", "--help"), "stegvis.commands.outcomes"),
        (("up", "--help"), "stegvis.commands.up"),
        (("bot", "--help"), "stegvis.commands.bot"),
        (("knowledge", "build", "--help"), "stegvis.commands.knowledge"),
        (("eval", "progress", "--help"), "stegvis.commands.progress"),
        (("emulator", "--help"), "stegvis.commands.emulator"),
    ],
)
def test_a_commands_help_imports_its_module_only(args: tuple[str, ...], module: str) -> None:
    modules = imported_by(*args)
    assert module in modules
    commands = {m for m in modules if m.startswith("stegvis.commands.")}
    assert commands - {module} <= {"stegvis.commands.common"}
    assert _loaded(modules, HEAVY) == []
    assert _loaded(modules, OURS) == []


def test_a_sub_group_lists_its_commands() -> None:
    result = CliRunner().invoke(build_cli(), ["eval", "--help"])
    assert result.exit_code == 0, result.output
    assert "knowledge" in result.stdout
    assert "progress" in result.stdout


def test_an_unknown_command_is_named_with_a_suggestion() -> None:
    result = CliRunner().invoke(build_cli(), ["imprt", "x.jsonl"])
    assert result.exit_code == 2
    assert "imprt" in result.output
    assert "import" in result.output
