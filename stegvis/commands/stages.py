"""Progress of a long command, on stderr: rich's bar on a terminal, a plain line per stage piped.

    with stages("import") as progress:
        report = import_jsonl(session, lines, progress=progress)

``progress`` is a ``core.progress.Progress``: the task names each stage as it begins and advances
it. On a terminal every stage gets a row with a bar (or a spinner while its size is unknown), its
count and the time it took; when stderr is a file or a pipe (a log, CI, ``2>&1 | tee``) each
stage is one line, ``import: checking 286,000 lines``, and the end is ``import: done in 4.2 s``.
stdout is left to the command's result (a table or ``--json``). Used by ``stegvis import`` and
``stegvis knowledge build``; any command that takes more than a couple of seconds can use it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichProgress

from core.progress import Progress


class _Lines:
    """One line per stage on a stream that is not a terminal."""

    def __init__(self, title: str, stream: TextIO) -> None:
        self._title = title
        self._stream = stream

    def stage(self, name: str, total: int | None = None) -> None:
        size = "" if total is None else f" ({total:,})"
        self.line(f"{name}{size}")

    def advance(self, steps: int = 1) -> None:
        """Steps are not shown in a log: one line per stage is enough."""

    def line(self, text: str) -> None:
        self._stream.write(f"{self._title}: {text}\n")
        self._stream.flush()


class _Bars:
    """A row per stage with rich's progress bar."""

    def __init__(self, title: str, bars: RichProgress) -> None:
        self._title = title
        self._bars = bars
        self._task: TaskID | None = None

    def stage(self, name: str, total: int | None = None) -> None:
        self.finish()
        self._task = self._bars.add_task(f"{self._title}: {name}", total=total)

    def advance(self, steps: int = 1) -> None:
        if self._task is not None:
            self._bars.advance(self._task, steps)

    def finish(self) -> None:
        """Mark the current stage done (a stage of unknown size counts as one step)."""
        if self._task is None:
            return
        task = next(t for t in self._bars.tasks if t.id == self._task)
        done = task.total if task.total is not None else max(task.completed, 1)
        self._bars.update(self._task, total=done, completed=done)
        self._bars.stop_task(self._task)
        self._task = None


@contextmanager
def stages(
    title: str, *, stream: TextIO | None = None, terminal: bool | None = None
) -> Iterator[Progress]:
    """Show the stages of ``title`` on ``stream`` (stderr); ``terminal`` overrides the detection."""
    stream = stream or sys.stderr
    console = Console(file=stream, force_terminal=terminal)
    if not console.is_terminal:
        lines = _Lines(title, stream)
        started = time.perf_counter()
        yield lines
        lines.line(f"done in {time.perf_counter() - started:.1f} s")
        return
    columns = (
        SpinnerColumn(finished_text="✓"),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with RichProgress(*columns, console=console) as bars:
        shown = _Bars(title, bars)
        yield shown
        shown.finish()
