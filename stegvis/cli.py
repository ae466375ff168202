"""The ``stegvis`` command. Each package contributes its commands through ``register(app)``."""

from __future__ import annotations

import importlib

import typer

COMMAND_MODULES = (
    "outcomes.commands",  # import, indicators, export, token, invite
    "api.commands",  # api
    "knowledge.commands",  # knowledge build, ask, eval knowledge
    "progress.commands",  # classify
    "emulator.commands",  # emulator
    "stegvis.up",  # up
    "bot.commands",  # invite, bot
)


def build_cli() -> typer.Typer:
    """Assemble the command line from every package's ``register`` function."""
    app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a package still being built
            if exc.name != name:
                raise
            continue
        module.register(app)
    return app


def main() -> None:
    """Entry point of the console script."""
    build_cli()()
