"""The mentors' indicators computed independently of the engine, in plain Python, from the
definitions of the README ("What the mentors gain"): a reference for the tests."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from core.vocab import MENTOR_INDICATORS

SCALES = {
    "mentor_more_contact": "contact_newcomers",
    "mentor_more_knowledge": "integration_knowledge",
    "mentor_more_engagement": "integration_engagement",
}


def rounded(n: int, of: int) -> float | None:
    """n/of half-up to 4 decimals, computed with exact fractions (not the engine's code)."""
    if of == 0:
        return None
    scaled = Fraction(n, of) * 10000
    whole = int(scaled)
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    return whole / 10000


def reference_mentor_indicators(
    mentors: list[dict[str, Any]], rows: list[dict[str, Any]], cohort: str | None
):
    """The definitions of the README, in plain Python."""

    def block(people: list[dict[str, Any]]) -> dict[str, Any]:
        ids = {m["id"] for m in people}
        done = {
            (r["person"], r["wave"]): r
            for r in rows
            if r["person"] in ids and r["status"] == "complete"
        }
        counts = {name: [0, 0] for name in MENTOR_INDICATORS}
        for m in people:
            start, end = done.get((m["id"], "mentor_start")), done.get((m["id"], "mentor_end"))
            for name, scale in SCALES.items():
                a = start[scale] if start else None
                b = end[scale] if end else None
                if a is not None and b is not None:
                    counts[name][1] += 1
                    counts[name][0] += b > a
            if end and end["satisfaction"] is not None:
                counts["mentor_satisfied"][1] += 1
                counts["mentor_satisfied"][0] += end["satisfaction"] >= 4
            if end and end["mentor_again"] is not None:
                counts["mentor_would_again"][1] += 1
                counts["mentor_would_again"][0] += end["mentor_again"] == "yes"
        measured = sum(1 for m in people if (m["id"], "mentor_end") in done)
        return {
            "mentors": len(people),
            "measured": measured,
            "response_rate": rounded(measured, len(people)),
            "indicators": {
                name: {"n": n, "of": of, "share": rounded(n, of)}
                for name, (n, of) in counts.items()
            },
        }

    chosen = [m for m in mentors if cohort is None or m["cohort"] == cohort]
    cohorts = sorted({m["cohort"] for m in chosen})
    return {
        "filters": {"cohort": cohort},
        "total": block(chosen),
        "groups": [
            {"key": {"cohort": c}, **block([m for m in chosen if m["cohort"] == c])}
            for c in cohorts
        ],
    }
