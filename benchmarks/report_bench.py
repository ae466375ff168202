"""Round report benchmark: the PDF of 10 cohorts of 50 people (target: under 10 s).

    .venv/bin/python benchmarks/report_bench.py                  # SQLite, the study included
    .venv/bin/python benchmarks/report_bench.py --cohorts 20 --size 50 --repeat 3

Generates a program (tests/utils/generate.py: ``--cohorts`` cohorts of ``--size`` people, every
edge of the spec, a control arm in two of them) and the study ``rise`` over those two, imports it
into a fresh SQLite file, then times:

* ``command``: ``stegvis report --format pdf --study rise --out FILE`` in a new process, as a
  person runs it (Python start, imports, the numbers, the charts, Chromium start and print),
  with the CPU seconds it and its browser used (what wall time means on a shared machine);
* ``in process``: :func:`staff.report.make_report` for the same PDF, cold (first in this
  process: the chart engine and Chromium start) and warm (best of ``--repeat``, a browser reused
  as the workspace would not — each click starts its own).

Prints each figure and the phases of the warm run (numbers, HTML with charts, print).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import Session  # noqa: E402

from core.settings import Settings  # noqa: E402
from outcomes.db import make_engine, migrate  # noqa: E402
from outcomes.importer import import_jsonl  # noqa: E402
from tests.utils.generate import generate_records  # noqa: E402

TARGET_SECONDS = 10.0


def program(cohorts: int, size: int, seed: int) -> list[str]:
    """The records of ``cohorts`` cohorts of ``size`` people and a study over the 3rd and 4th."""
    records = list(generate_records(cohorts * size, seed=seed, n_cohorts=cohorts))
    ids = [r["id"] for r in records if r["kind"] == "cohort"]
    records.append({"kind": "study", "id": "rise", "name": "RISE", "cohorts": ids[2:4]})
    return [json.dumps(r, ensure_ascii=False) for r in records]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cohorts", type=int, default=10)
    parser.add_argument("--size", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        url = f"sqlite:///{data / 'bench.db'}"
        engine = make_engine(url)
        migrate(engine)
        with Session(engine) as session:
            import_jsonl(session, program(args.cohorts, args.size, args.seed), actor="bench")
            session.commit()
        print(f"{args.cohorts} cohorts of {args.size} people, study over 2 of them")  # noqa: T201

        out = data / "report.pdf"
        env = {**os.environ, "STEGVIS_DATABASE_URL": url, "STEGVIS_DATA_DIR": str(data)}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(
            [str(Path(sys.executable).with_name("stegvis")), "report", "--format", "pdf"]
            + ["--study", "rise"]
            + ["--out", str(out)],
            check=True,
            env=env,
            cwd=ROOT,
            capture_output=True,
        )
        command = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        size_kb = out.stat().st_size / 1024
        print(  # noqa: T201
            f"command: stegvis report --format pdf  {command:6.2f} s  ({size_kb:.0f} KiB; "
            f"CPU {cpu:.2f} s in it and its browser; load average {os.getloadavg()[0]:.1f} "
            f"on {os.cpu_count()} cores)"
        )

        from outcomes.report import build_report
        from staff.report import PdfPrinter, make_report, report_html

        settings = Settings(database_url=url, data_dir=data)
        with Session(engine) as session:
            t = time.perf_counter()
            make_report(session, settings, study="rise", output="pdf")
            cold = time.perf_counter() - t
            print(f"in process, cold (engines start)  {cold:6.2f} s")  # noqa: T201
            with PdfPrinter(settings) as printer:
                best = float("inf")
                phases = (0.0, 0.0, 0.0)
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    data_ = build_report(session, study="rise", lang="sv")
                    t1 = time.perf_counter()
                    html = report_html(data_, lang="sv", settings=settings)
                    t2 = time.perf_counter()
                    printer.pdf(html, lang="sv", org_name=settings.org_name)
                    t3 = time.perf_counter()
                    if t3 - t0 < best:
                        best, phases = t3 - t0, (t1 - t0, t2 - t1, t3 - t2)
            print(  # noqa: T201
                f"in process, warm (best of {args.repeat})      {best:6.2f} s  "
                f"(numbers {phases[0]:.2f} s, HTML and charts {phases[1]:.2f} s, "
                f"print {phases[2]:.2f} s)"
            )
        verdict = "met" if command < TARGET_SECONDS else "NOT met"
        print(f"target: the PDF under {TARGET_SECONDS:.0f} s: {verdict} ({command:.2f} s)")  # noqa: T201


if __name__ == "__main__":
    main()
