"""Backup benchmark: ``stegvis backup`` of 100,000 participants, and the restore of it.

    .venv/bin/python benchmarks/backup_bench.py                       # SQLite and PostgreSQL
    .venv/bin/python benchmarks/backup_bench.py --participants 10000 --no-pg

It generates a program with the indicator benchmark's generator (``tests/utils/generate.py``,
about 20 events per participant), imports it (``benchmarks/indicators_bench.py``), writes the
keys file, then times ``outcomes.backup.backup`` (what ``stegvis backup --out FILE`` runs) and
``restore`` into a fresh data folder and an empty database, and checks that every table has as
many rows afterwards. Target: the backup under 60 s. PostgreSQL runs in databases of its own
(``--pg-url``, default ``stegvis_bench_backup`` and ``…_restored`` on 127.0.0.1), dropped and
created for the run.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks.indicators_bench import (  # noqa: E402
    fresh_postgres,
    fresh_sqlite,
    import_file,
    write_program,
)
from core.settings import Settings  # noqa: E402
from outcomes.backup import backup, restore, row_counts  # noqa: E402
from outcomes.db import make_engine  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/stegvis_bench_backup"


def _empty_pg(url: str) -> None:
    u = make_url(url)
    admin = (
        f"postgresql://{u.username or 'postgres'}@{u.host or '127.0.0.1'}:{u.port or 5432}/postgres"
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{u.database}"')


def _drop_pg(url: str) -> None:
    u = make_url(url)
    admin = (
        f"postgresql://{u.username or 'postgres'}@{u.host or '127.0.0.1'}:{u.port or 5432}/postgres"
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')


def _cpu() -> float:
    """CPU seconds of this process and its finished children (pg_dump, pg_restore)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def bench(db: str, program: Path, work: Path, args: argparse.Namespace) -> dict[str, float]:
    if db == "sqlite" and args.sqlite_db:
        engine = make_engine(f"sqlite:///{Path(args.sqlite_db).resolve()}")
        url = engine.url.render_as_string(hide_password=False)
        target_url = f"sqlite:///{work / 'restored-sqlite' / 'stegvis.db'}"
    elif db == "sqlite":
        engine = fresh_sqlite(work, args.participants)
        url = engine.url.render_as_string(hide_password=False)
        target_url = f"sqlite:///{work / 'restored-sqlite' / 'stegvis.db'}"
    else:
        engine = make_engine(args.pg_url) if args.pg_existing else fresh_postgres(args.pg_url)
        url = args.pg_url
        target = make_url(args.pg_url)
        target_url = target.set(database=f"{target.database}_restored").render_as_string(
            hide_password=False
        )
        _empty_pg(target_url)
    if not ((db == "sqlite" and args.sqlite_db) or (db == "postgresql" and args.pg_existing)):
        lines, import_s = import_file(engine, program, args.chunk)
        print(f"  {db}: imported {lines:,} lines in {import_s:.1f} s", flush=True)
    data = work / f"data-{db}"
    settings = Settings(data_dir=data, database_url=url)
    settings.secret("hmac_key")  # the keys file, as the embedded default makes it
    out = work / f"backup-{db}{args.suffix}"
    load = os.getloadavg()[0]
    t, cpu = time.perf_counter(), _cpu()
    manifest = backup(settings, out, engine=engine)
    backup_s, backup_cpu = time.perf_counter() - t, _cpu() - cpu
    size_db = manifest["files"][manifest["database"]["file"]]["bytes"]
    print(
        f"  {db}: backup {backup_s:.1f} s (cpu {backup_cpu:.1f} s, load {load:.1f}) — "
        f"database {size_db / 1e6:.0f} MB, "
        f"archive {out.stat().st_size / 1e6:.0f} MB, {sum(manifest['rows'].values()):,} rows",
        flush=True,
    )
    restored = Settings(data_dir=work / f"restored-{db}", database_url=target_url)
    t, cpu = time.perf_counter(), _cpu()
    restore(restored, out)
    restore_s, restore_cpu = time.perf_counter() - t, _cpu() - cpu
    check = make_engine(target_url)
    same = row_counts(check) == manifest["rows"]
    check.dispose()
    engine.dispose()
    print(
        f"  {db}: restore {restore_s:.1f} s (cpu {restore_cpu:.1f} s); "
        f"every table's rows equal: {same}",
        flush=True,
    )
    if db == "postgresql" and not args.keep:
        _drop_pg(target_url)
    assert same
    return {"backup_s": backup_s, "backup_cpu": backup_cpu, "restore_s": restore_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--chunk", type=int, default=200_000, help="lines per import transaction")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", help="keep the files here (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the restored PG database")
    parser.add_argument(
        "--pg-existing", action="store_true", help="back up --pg-url as it is (no import)"
    )
    parser.add_argument(
        "--suffix", default=".tar.zst", help=".tar.zst (Zstandard, default) or .tar.gz (gzip)"
    )
    parser.add_argument(
        "--sqlite-db", help="back up this SQLite database (an earlier run's) instead of importing"
    )
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="stegvis-backup-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    program = work / "program.jsonl"
    if not ((args.sqlite_db or args.no_sqlite) and (args.no_pg or args.pg_existing)):
        lines, gen_s = write_program(args.participants, program, args.seed)
        print(f"[{args.participants:,} participants] generated {lines:,} lines in {gen_s:.1f} s")
    for db in ([] if args.no_sqlite else ["sqlite"]) + ([] if args.no_pg else ["postgresql"]):
        figures = bench(db, program, work, args)
        verdict = "under" if figures["backup_s"] < 60 else "OVER"
        print(f"  {db}: backup {verdict} the 60 s target (wall clock)", flush=True)


if __name__ == "__main__":
    main()
