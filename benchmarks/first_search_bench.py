"""The first knowledge search after a start, in seconds (issue 17 item 7). Prints figures.

    .venv/bin/python benchmarks/first_search_bench.py [--data DIR]

Each figure comes from a fresh child process, as after ``stegvis up`` / ``api`` / ``bot``:

- ``none``: no warm-up; the first question pays for everything (index opened, embedding model,
  the language detector of its script).
- ``former``: the warm-up before 2026-12-03 (index, retriever, one Swedish search); the first
  question still loaded lingua for its script.
- ``ensure_ready``: ``knowledge.service.ensure_ready`` as the bot and the API run it now before
  the first search (the bot takes no update before it); the first question costs what any does.

Also the warm-up itself on a fresh install (no index yet: it builds one). ``--data DIR`` reuses an
index built there (else one is built into a temporary folder first).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = {
    "sv": "Hur långt ska ett CV vara?",
    "ru": "Как найти стажировку в Швеции?",
    "ar": "كيف أستعد لمقابلة العمل؟",
}
CHILD = """
import asyncio, json, sys, time
from pathlib import Path
started = time.perf_counter()
from core.settings import Settings
from knowledge import service
settings = Settings(data_dir=Path(sys.argv[1]))
mode, question = sys.argv[2], sys.argv[3]
warm = 0.0
if mode == "former":
    t = time.perf_counter()
    retriever = service.get_retriever(settings)
    retriever.search("CV", lang="sv", k=1)
    warm = time.perf_counter() - t
elif mode == "ensure_ready":
    t = time.perf_counter()
    asyncio.run(service.ensure_ready(settings))
    warm = time.perf_counter() - t
t = time.perf_counter()
answer = asyncio.run(service.ask(question, settings=settings))
first = time.perf_counter() - t
t = time.perf_counter()
asyncio.run(service.ask(question, settings=settings))
second = time.perf_counter() - t
print(json.dumps({"warm": warm, "first": first, "second": second, "found": answer.found}))
"""


def child(data: Path, mode: str, question: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(data), mode, question],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="a data folder whose index to reuse")
    args = parser.parse_args()
    print(f"cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="stegvis-first-search-") as tmp:
        data = args.data or Path(tmp) / "data"
        if args.data is None:
            fresh = child(data, "ensure_ready", QUESTIONS["sv"])
            print(f"fresh install: warm-up (builds the index) {fresh['warm']:.1f} s")
        for lang, question in QUESTIONS.items():
            for mode in ("none", "former", "ensure_ready"):
                got = child(data, mode, question)
                print(
                    f"{lang} {mode:>12}: warm-up {got['warm']:5.1f} s, first search "
                    f"{got['first']:5.2f} s, second {got['second']:5.2f} s, found {got['found']}"
                )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
