"""The ``stegvis`` command: a registry of every command, loaded only when it runs.

``COMMANDS`` names each command, the one line ``stegvis --help`` shows for it, and where it is
implemented (``module:attribute``: a function, or a ``typer.Typer`` for a command with
sub-commands). ``stegvis --help`` reads the registry alone; ``stegvis import …`` (or
``stegvis import --help``) imports just ``stegvis.commands.outcomes``. The command modules in
``stegvis/commands/`` import only typer and the standard library at their top, and each command
imports the heavy parts it runs (the database, the bot, the models) as it starts, so the help of
every command is quick. A new command: a function in a module of ``stegvis/commands/`` and one
line here (``tests/stegvis/test_cli.py`` checks that the line's help is the function's first).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer
import typer.core
import typer.main
from typer.models import TyperInfo

if TYPE_CHECKING:  # typer's own copy of click (the types its commands are built of)
    from typer._click import Command as ClickCommand
    from typer._click import Context, HelpFormatter
    from typer.core import TyperOption


@dataclass(frozen=True)
class Command:
    """One command of the registry."""

    name: str
    target: str  # "package.module:attribute": a command function or a typer.Typer
    help: str  # the first line of the command's help, shown by the group's --help


@dataclass(frozen=True)
class Group:
    """A command whose sub-commands live in several modules (``stegvis eval …``)."""

    name: str
    help: str
    commands: tuple[Command | Group, ...]


_O = "stegvis.commands.outcomes"
_K = "stegvis.commands.knowledge"
_P = "stegvis.commands.progress"
_B = "stegvis.commands.backup"

COMMANDS: tuple[Command | Group, ...] = (
    Command(
        "up",
        "stegvis.commands.up:up_command",
        "Run Stegvis: the sandbox (no STEGVIS_TELEGRAM_TOKEN) or the bot on real Telegram.",
    ),
    Command(
        "serve",
        "stegvis.commands.up:serve_command",
        "Run one of several instances behind a proxy: API, staff pages, webhook, sender (PostgreSQL).",
    ),
    Command("bot", "stegvis.commands.bot:bot_command", "Run the Telegram bot with long polling."),
    Command(
        "api",
        "stegvis.commands.api:api_command",
        "Serve the staff API (docs at /docs); defaults from STEGVIS_HOST / STEGVIS_PORT.",
    ),
    Command(
        "emulator",
        "stegvis.commands.emulator:emulator_command",
        "Run the Telegram Bot API emulator (python-telegram-bot connects with base_url).",
    ),
    Command(
        "import",
        f"{_O}:import_command",
        "Import a JSON Lines file: all lines are checked first; one bad line and nothing is written.",
    ),
    Command(
        "indicators",
        f"{_O}:indicators_command",
        "The indicators of spec/outcomes.md; --json prints exactly what the API returns.",
    ),
    Command(
        "export",
        f"{_O}:export_command",
        "A table as CSV with the spec's field names, or indicators as tidy CSV.",
    ),
    Command(
        "invite",
        "stegvis.commands.bot:invite_command",
        "Two single-use invite links to the bot for a pair: one for the mentor, one for the participant.",
    ),
    Command("token", f"{_O}:token_app", "Staff API tokens: create, list, revoke."),
    Command("db", f"{_O}:db_app", "The database."),
    Command(
        "staff",
        "stegvis.commands.staff:staff_app",
        "Accounts for the staff pages (/staff): add, list, disable, enable, reset-password.",
    ),
    Command(
        "study",
        "stegvis.commands.study:study_app",
        "Study comparisons (spec/study.md): stegvis study ID | plan | list.",
    ),
    Command(
        "report",
        "stegvis.commands.report:report_command",
        "The round report (--format html|pdf): the numbers of stegvis indicators and study.",
    ),
    Command("keys", f"{_O}:keys_app", "The keys that protect Telegram chat ids."),
    Command(
        "backup",
        f"{_B}:backup_command",
        "One archive of the database, the keys file and the Chroma index (with a manifest).",
    ),
    Command(
        "restore",
        f"{_B}:restore_command",
        "Restore a backup into an empty data folder and database (--force: replace what is there).",
    ),
    Command(
        "retention",
        f"{_B}:retention_command",
        "Remove what is past its retention time (--dry-run: say what would go, per table).",
    ),
    Command("knowledge", f"{_K}:knowledge_app", "The knowledge base index."),
    Command("ask", f"{_K}:ask_command", "Answer a question from the support material."),
    Command(
        "classify",
        f"{_P}:classify_command",
        "Which step-to-work events a message reports (JSON Lines out with --jsonl).",
    ),
    Group(
        "eval",
        "Measure quality on a labelled JSON Lines file.",
        (
            Command(
                "knowledge",
                f"{_K}:eval_knowledge_command",
                "Recall@1 and recall@3 (by topic of the passages) per language and overall.",
            ),
            Command(
                "progress",
                f"{_P}:eval_progress_command",
                "Exact-set accuracy per language and the false-event rate of the offline classifier.",
            ),
        ),
    ),
)


class QuickGroup(typer.core.TyperGroup):
    """A typer group whose absent ``--help`` is False rather than None.

    A bool needs no conversion, so on the way to a sub-command typer does not load pydantic
    (a tenth of a second) to convert the group's own ``--help``.
    """

    def get_help_option(self, ctx: Context) -> TyperOption | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.default = False
        return option


def load(target: str, name: str) -> ClickCommand:
    """The click command for a registry target (imports its module)."""
    module, _, attribute = target.partition(":")
    obj = getattr(importlib.import_module(module), attribute)
    if isinstance(obj, typer.Typer):
        own = obj.info.cls
        group_cls: type[typer.core.TyperGroup] = QuickGroup
        if isinstance(own, type) and issubclass(own, typer.core.TyperGroup):
            # a group with behaviour of its own (``stegvis study ID``) keeps it
            group_cls = type(f"Quick{own.__name__}", (QuickGroup, own), {})
        command: ClickCommand = typer.main.get_group_from_info(
            TyperInfo(obj, cls=group_cls),
            pretty_exceptions_short=obj.pretty_exceptions_short,
            rich_markup_mode=obj.rich_markup_mode,
            suggest_commands=obj.suggest_commands,
        )
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(obj)
        command = typer.main.get_command(single)
    command.name = name
    return command


class _Registered(MutableMapping[str, "ClickCommand"]):
    """A group's commands by name, each loaded on first use (the names alone load nothing)."""

    def __init__(self, entries: Sequence[Command | Group]) -> None:
        self._entries = {entry.name: entry for entry in entries}
        self._loaded: dict[str, ClickCommand] = {}

    def entry(self, name: str) -> Command | Group | None:
        return self._entries.get(name)

    def __getitem__(self, name: str) -> ClickCommand:
        if name not in self._loaded:
            entry = self._entries[name]
            self._loaded[name] = (
                load(entry.target, entry.name)
                if isinstance(entry, Command)
                else LazyGroup(
                    name=entry.name, help=entry.help, no_args_is_help=True, entries=entry.commands
                )
            )
        return self._loaded[name]

    def __setitem__(self, name: str, command: ClickCommand) -> None:
        self._loaded[name] = command
        self._entries.setdefault(name, Command(name, "", command.help or ""))

    def __delitem__(self, name: str) -> None:
        del self._entries[name]
        self._loaded.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


class LazyGroup(QuickGroup):
    """A command group whose commands come from the registry, each imported when it is used."""

    entries: Sequence[Command | Group] = COMMANDS

    def __init__(self, *, entries: Sequence[Command | Group] | None = None, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.registered = _Registered(self.entries if entries is None else entries)
        self.commands = self.registered
        self._listing = False

    def list_commands(self, ctx: Context) -> list[str]:
        return list(self.registered)

    def get_command(self, ctx: Context, cmd_name: str) -> ClickCommand | None:
        entry = self.registered.entry(cmd_name)
        if entry is None:
            return None
        if self._listing:  # the group's own --help: the registry's line is enough
            return typer.core.TyperCommand(entry.name, help=entry.help)
        return self.registered[cmd_name]

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


def _root() -> None:
    """Stegvis: the mentor-pair bot, its knowledge base and the outcomes API."""


def build_cli() -> typer.Typer:
    """The ``stegvis`` command line (nothing of a command is imported before it is used)."""
    app = typer.Typer(name="stegvis", cls=LazyGroup, no_args_is_help=True, add_completion=False)
    app.callback()(_root)
    return app


def main() -> None:
    """Entry point of the console script."""
    build_cli()()
