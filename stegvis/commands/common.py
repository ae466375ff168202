"""What every command shares: a plain error for a person, and the actor of CLI writes."""

from __future__ import annotations

from typing import NoReturn

import typer

CLI_ACTOR = "cli"  # who wrote it, in the audit log


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``error: message`` on stderr and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)
