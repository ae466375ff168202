"""The SQL engine against an independent plain-Python implementation of the spec, on generated
programs full of edges (tests/utils/generate.py), with both SQL plans, on this test database."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from outcomes.importer import import_jsonl
from outcomes.indicators import PLANS, compute_indicators
from tests.utils.generate import MINOR, generate_records
from tests.utils.reference_indicators import load, person_outcomes, reference_indicators

SEEDS = (11, 12, 13)
CASES: list[dict[str, Any]] = [
    {},
    {"by": "gender"},
    {"by": "arm"},
    {"by": "cohort"},
    {"basis": "enrolled"},
    {"cohort": "c02"},
    {"cohort": "c03", "basis": "enrolled"},
    {"by": "gender", "basis": "enrolled"},
    {"by": "region"},
    {"by": "migration_category", "basis": "enrolled"},
    {"window": (date(2023, 3, 1), date(2023, 8, 31))},
]


def program(seed: int) -> list[dict[str, Any]]:
    return list(generate_records(240, seed=seed, n_cohorts=5))


@pytest.mark.parametrize("seed", SEEDS)
def test_the_engine_gives_the_numbers_of_the_reference(session: Session, seed: int) -> None:
    records = program(seed)
    import_jsonl(session, [json.dumps(r) for r in records])
    session.commit()
    for case in CASES:
        expected = reference_indicators(records, **case)
        for plan in PLANS:
            got = compute_indicators(session, plan=plan, **case)  # type: ignore[arg-type]
            assert got == expected, f"plan={plan} {case}"


def test_the_generated_programs_exercise_every_edge() -> None:
    """Without this the cross-check could pass on data that never reaches an edge."""
    flags: Counter[tuple[str, Any]] = Counter()
    minor_counts: Counter[int] = Counter()
    seen: Counter[str] = Counter()
    for seed in SEEDS:
        records = program(seed)
        lines = [json.dumps(r, sort_keys=True) for r in records]
        seen["duplicate line"] += len(lines) - len(set(lines))
        store = load(records)
        ids = Counter(r["id"] for r in records if r["kind"] == "event")
        seen["replaced event"] += sum(
            1
            for i in ids
            if ids[i] > 1
            and len({json.dumps(r, sort_keys=True) for r in records if r.get("id") == i}) > 1
        )
        seen["voided event"] += sum(e["status"] == "voided" for e in store.events.values())
        seen["control arm"] += sum(p.get("arm") == "control" for p in store.participants.values())
        seen["no migration category"] += sum(
            "migration_category" not in p for p in store.participants.values()
        )
        seen["no region"] += sum("region" not in c for c in store.cohorts.values())
        seen["targets"] += sum("targets" in c for c in store.cohorts.values())
        for pid, p in store.participants.items():
            c = store.cohorts[p["cohort"]]
            ws = date.fromisoformat(p.get("joined_on") or c["start"])
            we = date.fromisoformat(p.get("left_on") or c["end"])
            seen["joined_on"] += "joined_on" in p
            seen["left_on"] += "left_on" in p
            seen["no baseline"] += (pid, "baseline") not in store.surveys
            seen["no result"] += (pid, "result") not in store.surveys
            events = store.events_for(pid)
            days = {date.fromisoformat(e["occurred_on"]) for e in events}
            seen["event on first day"] += ws in days
            seen["event on last day"] += we in days
            seen["event the day before"] += ws - timedelta(days=1) in days
            seen["event the day after"] += we + timedelta(days=1) in days
            interviews = {
                date.fromisoformat(e["occurred_on"])
                for e in events
                if e["type"] == "interview_attended"
            }
            seen["interview on end - 60"] += we - timedelta(days=60) in interviews
            seen["interview on end - 61"] += we - timedelta(days=61) in interviews
            edu = [
                e.get("attributes", {}).get("relevant")
                for e in events
                if e["type"] == "education_started"
            ]
            seen["education relevant false"] += False in edu
            seen["education relevant absent"] += None in edu
            types_by_day: dict[str, set[str]] = {}
            for e in events:
                types_by_day.setdefault(e["occurred_on"], set()).add(e["type"])
            seen["job started and ended the same day"] += any(
                {"job_started", "job_ended"} <= t for t in types_by_day.values()
            )
            out = person_outcomes(store, pid)
            for name in (
                "got_job",
                "measurable_steps",
                "interviews_plus_two",
                "internship",
                "education_started",
                "relevant_job_contributed",
            ):
                flags[(name, out[name])] += 1
            for key in ("c_job", "c_internship", "c_education_started"):
                flags[(key, out[key])] += 1
            minor_counts[sum(out[m] for m in MINOR)] += 1
    for edge in (
        "duplicate line",
        "replaced event",
        "voided event",
        "control arm",
        "no migration category",
        "no region",
        "targets",
        "joined_on",
        "left_on",
        "no baseline",
        "no result",
        "event on first day",
        "event on last day",
        "event the day before",
        "event the day after",
        "interview on end - 60",
        "interview on end - 61",
        "education relevant false",
        "education relevant absent",
        "job started and ended the same day",
    ):
        assert seen[edge] > 0, edge
    for name in (
        "got_job",
        "measurable_steps",
        "interviews_plus_two",
        "internship",
        "education_started",
        "relevant_job_contributed",
    ):
        assert flags[(name, True)] > 0, name
        assert flags[(name, False)] > 0, name
    for key in ("c_job", "c_internship", "c_education_started"):
        for answer in ("yes", "no", "unsure"):
            assert flags[(key, answer)] > 0, (key, answer)
    assert minor_counts[4] > 0
    assert minor_counts[5] > 0
