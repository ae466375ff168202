"""Indicator benchmark: import speed and indicator seconds on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/indicators_bench.py                 # 10,000 and 100,000 people
    .venv/bin/python benchmarks/indicators_bench.py --sizes 2000 --no-pg

For each size it generates a program as JSON Lines (tests/utils/generate.py: about 20 events per
participant, with every edge of the spec), imports it with the importer (``import_jsonl``, in
chunks of ``--chunk`` lines, each chunk one transaction) and times ``compute_indicators`` for the
total and by gender (best of ``--repeat``). Targets: indicators for 100,000 participants under
2 s on either database, growing no faster than linearly; import ≥ 20,000 lines/s on SQLite.

Besides wall-clock seconds it prints CPU seconds (SQLite: this process; PostgreSQL: the server
backend, read from /proc when the server runs on this machine, with parallel workers off), which
say more than wall time on a machine shared with other work. PostgreSQL runs in a database of
its own (``--pg-url``, default ``stegvis_bench`` on 127.0.0.1), dropped and created per size.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402
from sqlalchemy import Engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session  # noqa: E402

from outcomes.db import make_engine, migrate  # noqa: E402
from outcomes.importer import import_jsonl  # noqa: E402
from outcomes.indicators import compute_indicators  # noqa: E402
from tests.utils.generate import generate_lines  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/stegvis_bench"


def write_program(n: int, path: Path, seed: int) -> tuple[int, float]:
    t = time.perf_counter()
    count = 0
    with path.open("w", encoding="utf-8") as fh:
        for line in generate_lines(n, seed=seed):
            fh.write(line)
            fh.write("\n")
            count += 1
    return count, time.perf_counter() - t


def chunks(path: Path, size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            batch.append(line)
            if size and len(batch) >= size:
                yield batch
                batch = []
    if batch:
        yield batch


def fresh_postgres(url: str) -> Engine:
    """Drop and create the benchmark database, then migrate it."""
    u = make_url(url)
    admin = (
        f"postgresql://{u.username or 'postgres'}@{u.host or '127.0.0.1'}:{u.port or 5432}/postgres"
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{u.database}"')
        conn.execute(f'CREATE DATABASE "{u.database}"')
    engine = make_engine(url)
    migrate(engine)
    return engine


def fresh_sqlite(folder: Path, n: int) -> Engine:
    path = folder / f"bench-{n}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    return engine


def import_file(engine: Engine, path: Path, chunk: int) -> tuple[int, float]:
    lines = 0
    t = time.perf_counter()
    for batch in chunks(path, chunk):
        with Session(engine) as session:
            report = import_jsonl(session, batch, actor="benchmark")
            session.commit()
        lines += report.lines
    return lines, time.perf_counter() - t


def _proc_cpu(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_indicators(engine: Engine, repeat: int, **kw: Any) -> dict[str, Any]:
    """Best wall seconds of ``compute_indicators`` over ``repeat`` runs, and best CPU seconds.

    PostgreSQL: wall time with its default settings (parallel workers allowed); CPU time of the
    backend in separate runs without parallel workers (whose CPU /proc would not show).
    """
    best_wall, best_cpu = float("inf"), float("inf")
    result: dict[str, Any] = {}
    with Session(engine) as session:
        pg = engine.dialect.name == "postgresql"
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar() if pg else None
        session.rollback()
        for _ in range(repeat):
            gc.collect()
            cpu0 = time.process_time()
            t = time.perf_counter()
            result = compute_indicators(session, **kw)
            best_wall = min(best_wall, time.perf_counter() - t)
            session.rollback()
            if not pg:
                best_cpu = min(best_cpu, time.process_time() - cpu0)
        if pg and pid is not None and _proc_cpu(pid) is not None:
            for _ in range(repeat):
                session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
                cpu0 = _proc_cpu(pid) or 0.0
                compute_indicators(session, **kw)
                best_cpu = min(best_cpu, (_proc_cpu(pid) or 0.0) - cpu0)
                session.rollback()
    return {
        "wall": best_wall,
        "cpu": None if best_cpu == float("inf") else best_cpu,
        "enrolled": result["total"]["enrolled"],
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {"load_before": os.getloadavg(), "runs": []}
    work = Path(args.workdir or tempfile.mkdtemp(prefix="stegvis-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    databases = ["sqlite"] + ([] if args.no_pg else ["postgresql"])
    for n in args.sizes:
        program = work / f"program-{n}.jsonl"
        lines, gen_s = write_program(n, program, args.seed)
        print(f"[{n:,} participants] generated {lines:,} lines in {gen_s:.1f} s", flush=True)
        for db in databases:
            engine = fresh_sqlite(work, n) if db == "sqlite" else fresh_postgres(args.pg_url)
            imported, imp_s = import_file(engine, program, args.chunk)
            print(
                f"  {db}: imported {imported:,} lines in {imp_s:.1f} s "
                f"({imported / imp_s:,.0f} lines/s)",
                flush=True,
            )
            if db == "postgresql":
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(text("VACUUM ANALYZE"))
            total = time_indicators(engine, args.repeat)
            by_gender = time_indicators(engine, args.repeat, by="gender")
            assert total["enrolled"] == n, (total["enrolled"], n)
            print(
                f"  {db}: indicators total {total['wall']:.2f} s (cpu {total['cpu'] or 0:.2f}),"
                f" by gender {by_gender['wall']:.2f} s (cpu {by_gender['cpu'] or 0:.2f})",
                flush=True,
            )
            figures["runs"].append(
                {
                    "db": db,
                    "participants": n,
                    "lines": imported,
                    "import_s": imp_s,
                    "import_lines_per_s": imported / imp_s,
                    "total": total,
                    "by_gender": by_gender,
                }
            )
            engine.dispose()
        if not args.keep:
            program.unlink(missing_ok=True)
    figures["load_after"] = os.getloadavg()
    return figures


def table(figures: dict[str, Any]) -> str:
    runs = figures["runs"]
    heads = [
        f"{'SQLite' if r['db'] == 'sqlite' else 'PostgreSQL'} {r['participants']:,}" for r in runs
    ]

    def cpu(x: dict[str, Any]) -> str:
        return "-" if x["cpu"] is None else f"{x['cpu']:.2f}"

    rows = [
        ("lines imported", [f"{r['lines']:,}" for r in runs]),
        ("import lines/s", [f"{r['import_lines_per_s']:,.0f}" for r in runs]),
        ("indicators total, s", [f"{r['total']['wall']:.2f}" for r in runs]),
        ("  cpu s", [cpu(r["total"]) for r in runs]),
        ("indicators by gender, s", [f"{r['by_gender']['wall']:.2f}" for r in runs]),
        ("  cpu s", [cpu(r["by_gender"]) for r in runs]),
    ]
    width = max(14, *(len(h) for h in heads))
    out = [" " * 26 + "".join(h.rjust(width + 2) for h in heads)]
    out += [label.ljust(26) + "".join(v.rjust(width + 2) for v in values) for label, values in rows]
    for db in ("sqlite", "postgresql"):
        mine = sorted((r for r in runs if r["db"] == db), key=lambda r: r["participants"])
        if len(mine) >= 2:
            a, b = mine[0], mine[-1]
            growth = b["participants"] / a["participants"]
            out.append(
                f"{db}: {growth:.0f}x participants -> total {b['total']['wall'] / a['total']['wall']:.1f}x"
                f" wall, {(b['total']['cpu'] or 0) / max(a['total']['cpu'] or 1e-9, 1e-9):.1f}x cpu"
            )
    load = figures["load_before"]
    out.append(
        f"load average before: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; "
        f"after: {' '.join(f'{x:.1f}' for x in figures['load_after'])} "
        f"({os.cpu_count()} CPUs)"
    )
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[10_000, 100_000],
        help="participants, comma-separated",
    )
    parser.add_argument("--pg-url", default=os.environ.get("STEGVIS_BENCH_PG_URL", DEFAULT_PG))
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chunk", type=int, default=250_000, help="lines per import call")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--workdir", help="folder for the JSONL and SQLite files")
    parser.add_argument("--keep", action="store_true", help="keep the generated JSONL files")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    figures = run(args)
    print()
    print(json.dumps(figures, indent=2) if args.json else table(figures))


if __name__ == "__main__":
    main()
