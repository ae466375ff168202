"""The ``stegvis eval`` command group, shared by the packages that measure their quality.

A package adds its command with ``eval_group(app).command("name")(function)`` from its own
``register(app)``; whichever package registers first creates the group.
"""

from __future__ import annotations

import typer


def eval_group(app: typer.Typer) -> typer.Typer:
    """The ``eval`` sub-group of the ``stegvis`` command, created on first use."""
    for info in app.registered_groups:
        if info.name == "eval" and info.typer_instance is not None:
            return info.typer_instance
    group = typer.Typer(no_args_is_help=True, help="Measure quality on a labelled JSON Lines file.")
    app.add_typer(group, name="eval")
    return group
