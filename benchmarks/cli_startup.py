"""Start-up time of ``stegvis --help`` and of every command's ``--help``: median of N runs.

    .venv/bin/python benchmarks/cli_startup.py            # 10 runs each
    .venv/bin/python benchmarks/cli_startup.py 20 /path/to/other/checkout/.venv/bin/stegvis

Prints, per command line, the median wall time and the median CPU time (user + system of the
child, which a busy shared machine disturbs less than the wall time). The goal is a median under
0.3 s. ``python -X importtime -c "from stegvis.cli import main; main()" --help`` shows where the
time goes.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from typer.core import TyperGroup

from stegvis.cli import COMMANDS, Command, Group, load

ROOT = Path(__file__).resolve().parents[1]


def help_lines() -> list[list[str]]:
    """``--help`` of the command and of every command and sub-group in the registry."""
    lines: list[list[str]] = [["--help"]]

    def walk(entries: tuple[Command | Group, ...], prefix: list[str]) -> None:
        for entry in entries:
            lines.append([*prefix, entry.name, "--help"])
            if isinstance(entry, Group):
                walk(entry.commands, [*prefix, entry.name])
                continue
            command = load(entry.target, entry.name)  # a typer.Typer: its sub-commands too
            if isinstance(command, TyperGroup):
                lines.extend([*prefix, entry.name, sub, "--help"] for sub in command.commands)

    walk(COMMANDS, [])
    return lines


def measure(executable: str, args: list[str], runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``executable args`` over ``runs`` runs."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run([executable, *args], check=True, capture_output=True)  # noqa: S603
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    executable = sys.argv[2] if len(sys.argv) > 2 else str(ROOT / ".venv" / "bin" / "stegvis")
    print(f"{executable}, median of {runs} runs")
    print(f"{'command':<32}{'wall s':>8}{'cpu s':>8}")
    worst = 0.0
    for args in help_lines():
        wall, cpu = measure(executable, args, runs)
        worst = max(worst, wall)
        print(f"{' '.join(['stegvis', *args]):<32}{wall:>8.3f}{cpu:>8.3f}")
    print(f"slowest median wall time: {worst:.3f} s (goal: under 0.3 s)")


if __name__ == "__main__":
    main()
