"""The study engine against an independent plain implementation of spec/study.md
(``tests/utils/reference_study.py``) on generated studies, both bases, both SQL plans."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from sqlmodel import Session

from outcomes.importer import import_jsonl
from outcomes.indicators import PLANS
from outcomes.study import compute_study
from tests.utils.generate_study import generate_study
from tests.utils.reference_study import reference_study

TOLERANCE = 1.5e-4
REGRESSION_TOLERANCE = 1e-3  # the spec's for the regressions (adjusted, register end)


def differences(got: Any, want: Any, path: str = "", tol: float = TOLERANCE) -> list[str]:
    """Where two JSON values differ: numbers beyond the tolerance, anything else at all."""
    if path.endswith((".adjusted", ".end")):
        tol = REGRESSION_TOLERANCE
    if isinstance(want, dict) and isinstance(got, dict):
        if set(got) != set(want):
            return [f"{path}: keys {sorted(set(got) ^ set(want))}"]
        return [d for k in want for d in differences(got[k], want[k], f"{path}.{k}", tol)]
    if isinstance(want, list) and isinstance(got, list):
        if len(got) != len(want):
            return [f"{path}: {len(got)} items, expected {len(want)}"]
        return [
            d
            for i, (g, w) in enumerate(zip(got, want, strict=True))
            for d in differences(g, w, f"{path}[{i}]", tol)
        ]
    if isinstance(want, bool) or isinstance(got, bool) or want is None or got is None:
        return [] if got == want and type(got) is type(want) else [f"{path}: {got!r} != {want!r}"]
    if isinstance(want, int | float) and isinstance(got, int | float):
        if isinstance(want, int) and isinstance(got, int):
            return [] if got == want else [f"{path}: {got} != {want}"]
        return [] if math.isclose(got, want, abs_tol=tol) else [f"{path}: {got} != {want}"]
    return [] if got == want else [f"{path}: {got!r} != {want!r}"]


@pytest.mark.parametrize("seed", [5, 6])
def test_the_engine_gives_the_numbers_of_the_reference(session: Session, seed: int) -> None:
    generated = generate_study(420, seed=seed, events_per_participant=12)
    import_jsonl(session, [json.dumps(r) for r in generated])
    session.commit()
    for study in ("rise", "rise-b"):
        for basis in ("measured", "enrolled"):
            want = reference_study(generated, study, basis)
            for plan in PLANS:
                got = compute_study(session, study, basis=basis, plan=plan)  # type: ignore[arg-type]
                json.dumps(got, allow_nan=False)  # never NaN or infinity
                problems = differences(got, want)
                assert not problems, (study, basis, plan, problems[:10])
    reaches_the_edges(compute_study(session, "rise"), compute_study(session, "rise-b"))


def reaches_the_edges(result: dict[str, Any], other: dict[str, Any]) -> None:
    """Without this the cross-check could pass on data that never reaches an edge."""
    attrition = result["attrition"]
    assert attrition["control"]["result"] / attrition["control"]["randomised"] < (
        attrition["intervention"]["result"] / attrition["intervention"]["randomised"]
    )
    assert 0 < attrition["intervention"]["followup_2"] < attrition["intervention"]["randomised"]
    register = result["register"]
    assert register["matched"]["intervention"] > 5
    assert register["unmatched"]["intervention"] > 0
    assert register["unmatched"]["external_control"] > 0
    months = [m["month"] for m in register["months"]]
    assert -2 not in months  # the month with no rows is left out
    assert -3 in months
    assert 12 in months
    assert 13 not in months  # rows after month 12 are not shown
    assert register["end"] is not None
    assert other["register"] is None
    assert {c["family"] for c in other["comparisons"].values()} == {"primary", "secondary"}
    assert sum(c["adjusted"] is not None for c in result["comparisons"].values()) >= 10
    assert any(b["imbalanced"] for b in result["balance"]["measured"])
