"""How a long task tells its caller how far it has come (a command shows it; others ignore it).

    def build(..., progress: Progress = SILENT) -> ...:
        progress.stage("embedding passages", total=len(todo))
        for batch in batches:
            ...
            progress.advance(len(batch))

The task names each stage as it begins (with the number of steps when it knows it) and advances
it as it goes. ``SILENT``, the default, ignores both; the command line's ``stages`` helper
(``stegvis/commands/stages.py``) shows them.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Where a long task reports its stages and steps."""

    def stage(self, name: str, total: int | None = None) -> None:
        """A new stage begins (the previous one is done); ``total`` steps, if known."""

    def advance(self, steps: int = 1) -> None:
        """``steps`` more steps of the current stage are done."""


class _Silent:
    def stage(self, name: str, total: int | None = None) -> None:
        """Ignored."""

    def advance(self, steps: int = 1) -> None:
        """Ignored."""


SILENT: Progress = _Silent()
"""Progress that goes nowhere: the default of every task that reports it."""
