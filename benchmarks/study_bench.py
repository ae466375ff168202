"""Study benchmark: seconds to compute a study on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/study_bench.py                    # 10,000 randomised, 2,000 × 16
    .venv/bin/python benchmarks/study_bench.py --randomised 2000 --no-pg

Generates a program (tests/utils/generate_study.py) whose two randomised rounds hold
``--randomised`` participants (the other four rounds, twice as many people, are not in the
study), with ``--register`` register persons (a quarter intervention, the rest external controls)
of about 16 months each; imports it, then times ``compute_study`` on both bases (best of
``--repeat``, wall and CPU seconds of this process; on PostgreSQL the server's share is the
difference). Target: under 2 s on either database. PostgreSQL runs in a database of its own
(``--pg-url``), dropped and created for the run.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402
from sqlalchemy import Engine  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session  # noqa: E402

from outcomes.db import make_engine, migrate  # noqa: E402
from outcomes.importer import import_jsonl  # noqa: E402
from outcomes.study import compute_study  # noqa: E402
from tests.utils.generate_study import generate_study  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/stegvis_study_bench"
CHUNK = 50_000


def fresh_postgres(url: str) -> Engine:
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


def drop_postgres(url: str) -> None:
    u = make_url(url)
    admin = (
        f"postgresql://{u.username or 'postgres'}@{u.host or '127.0.0.1'}:{u.port or 5432}/postgres"
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')


def fresh_sqlite(folder: Path) -> Engine:
    path = folder / "study-bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    return engine


def import_lines(engine: Engine, lines: list[str]) -> float:
    t = time.perf_counter()
    for start in range(0, len(lines), CHUNK):
        with Session(engine) as session:
            import_jsonl(session, lines[start : start + CHUNK], actor="benchmark")
            session.commit()
    return time.perf_counter() - t


def time_study(engine: Engine, basis: str, repeat: int) -> dict[str, Any]:
    best_wall, best_cpu = float("inf"), float("inf")
    result: dict[str, Any] = {}
    with Session(engine) as session:
        for _ in range(repeat):
            gc.collect()
            cpu0, t = time.process_time(), time.perf_counter()
            result = compute_study(session, "rise", basis=basis)  # type: ignore[arg-type]
            best_wall = min(best_wall, time.perf_counter() - t)
            best_cpu = min(best_cpu, time.process_time() - cpu0)
            session.rollback()
    attrition = result["attrition"]
    return {
        "wall": round(best_wall, 3),
        "cpu_here": round(best_cpu, 3),
        "randomised": attrition["intervention"]["randomised"] + attrition["control"]["randomised"],
        "compared": result["comparisons"]["got_job"]["intervention"]["of"]
        + result["comparisons"]["got_job"]["control"]["of"],
        "register_matched": result["register"]["matched"] if result["register"] else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--randomised", type=int, default=10_000)
    parser.add_argument("--register", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args()

    t = time.perf_counter()
    total = args.randomised * 3  # two of the six rounds are randomised
    records = generate_study(
        total, seed=args.seed, events_per_participant=6, register_persons=args.register
    )
    lines = [json.dumps(r, separators=(",", ":")) for r in records]
    persons = sum(1 for r in records if r["kind"] == "register_person")
    months = sum(1 for r in records if r["kind"] == "register_month")
    figures: dict[str, Any] = {
        "load_before": [round(x, 2) for x in os.getloadavg()],
        "lines": len(lines),
        "register_persons": persons,
        "register_months": months,
        "generate_s": round(time.perf_counter() - t, 1),
        "runs": [],
    }
    del records
    work = Path(tempfile.mkdtemp(prefix="stegvis-study-bench-"))
    for name in ["sqlite"] + ([] if args.no_pg else ["postgresql"]):
        engine = fresh_sqlite(work) if name == "sqlite" else fresh_postgres(args.pg_url)
        try:
            imported = import_lines(engine, lines)
            for basis in ("measured", "enrolled"):
                run = {"database": name, "basis": basis, "import_s": round(imported, 1)}
                run.update(time_study(engine, basis, args.repeat))
                figures["runs"].append(run)
                if not args.json:
                    print(
                        f"{name:<10} basis={basis:<8} {run['wall']:.3f} s "
                        f"(cpu here {run['cpu_here']:.3f} s) for {run['randomised']} randomised, "
                        f"{run['compared']} compared, register matched {run['register_matched']}"
                    )
        finally:
            engine.dispose()
            if name == "postgresql":
                drop_postgres(args.pg_url)
    figures["load_after"] = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        print(json.dumps(figures))
    else:
        print(
            f"{figures['lines']} lines, {persons} register persons, {months} register months; "
            f"load {figures['load_before']} -> {figures['load_after']}"
        )


if __name__ == "__main__":
    main()
