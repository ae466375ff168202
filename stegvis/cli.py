"""The ``stegvis`` command. Each package contributes its commands through ``register(app)``."""

from __future__ import annotations

import importlib

import typer

COMMAND_MODULES = (
    "outcomes.commands",  # import, indicators, export, token, invite
    "outcomes.staff_commands",  # staff (accounts of the staff pages)
    "api.commands",  # api
    "knowledge.commands",  # knowledge build, ask, eval knowledge
    "progress.commands",  # classify
    "emulator.commands",  # emulator
    "stegvis.up",  # up
    "bot.commands",  # invite, bot
)


def build_cli() -> typer.Typer:
    """Assemble the command line from every package's ``register`` function."""
    app = typer.Typer(
        no_args_is_help=True,
        add_completion=False,
        help="Stegvis: the mentor-pair bot, its knowledge base and the outcomes API.",
    )
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)
    return app


def main() -> None:
    """Entry point of the console script."""
    build_cli()()
