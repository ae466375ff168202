"""Speed (and optionally quality) of the offline progress classifier. Prints figures.

    .venv/bin/python benchmarks/progress_bench.py            # speed
    .venv/bin/python benchmarks/progress_bench.py --quality  # plus the labelled files

Speed: building the classifier (exemplars + packaged vectors), the first message (loads the e5
model and the language detector), then single messages one after another as the bot sends them
(latency p50/p95) and a file in batches as ``stegvis classify --jsonl`` does (messages/s).
Quality: exact-set accuracy, false-event rate and question detection on the dev file and the
held-out files (the same figures as ``stegvis eval progress FILE``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = [
    Path("/work/shared/eval/progress-dev.jsonl"),
    ROOT / "tests/progress/heldout.jsonl",
    ROOT / "tests/progress/heldout2.jsonl",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quality", action="store_true", help="also evaluate the labelled files")
    parser.add_argument("--messages", type=int, default=60, help="single messages to time")
    args = parser.parse_args()

    from core.settings import Settings
    from progress.classify import build_classifier

    print(f"cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")
    started = time.perf_counter()
    classifier = build_classifier(Settings(), with_llm=False)
    print(f"build classifier (exemplars + packaged vectors): {time.perf_counter() - started:.2f} s")

    started = time.perf_counter()
    classifier.classify("Jag har fått jobb!")
    print(
        f"first message (loads e5 and the language detector): {time.perf_counter() - started:.2f} s"
    )

    texts = [
        json.loads(line)["text"]
        for line in (ROOT / "tests/progress/heldout.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    single = texts[: args.messages]
    latencies = []
    for text in single:
        started = time.perf_counter()
        classifier.classify(text)
        latencies.append(time.perf_counter() - started)
    latencies.sort()
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)]
    print(
        f"one message at a time ({len(single)} messages): p50 {1000 * statistics.median(latencies):.0f} ms, "
        f"p95 {1000 * p95:.0f} ms"
    )

    started = time.perf_counter()
    for begin in range(0, len(texts), 64):
        classifier.classify_many(texts[begin : begin + 64])
    elapsed = time.perf_counter() - started
    print(f"batches of 64 ({len(texts)} messages): {len(texts) / elapsed:.1f} messages/s")

    if args.quality:
        from progress.evaluate import evaluate, read_labelled

        for path in FILES:
            if not path.exists():
                print(f"{path}: missing")
                continue
            report = evaluate(read_labelled(path), classifier)
            per_lang = " ".join(
                f"{k} {100 * (v.share or 0):.0f}%" for k, v in report.per_language.items()
            )
            question = (
                f", questions {100 * (report.question_detected.share or 0):.1f}%"
                if report.question_detected.total
                else ""
            )
            print(
                f"{path.name}: overall {100 * (report.overall.share or 0):.1f}% "
                f"(sv+en {100 * (report.sv_en.share or 0):.1f}%), false events "
                f"{report.no_event.correct}/{report.no_event.total}{question}; {per_lang}"
            )


if __name__ == "__main__":
    main()
