"""Per-participant outcomes from the one engine (``participant_flags``): the reference's person by
person, and summing to the indicators' numbers, with both SQL plans, on this test database."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session

from outcomes.errors import Invalid
from outcomes.importer import import_jsonl
from outcomes.indicators import PERSON_FLAGS, PLANS, compute_indicators, participant_flags
from tests.utils.generate import generate_records
from tests.utils.reference_indicators import load, person_outcomes


@pytest.mark.parametrize("seed", [21, 22])
def test_each_participants_flags_are_the_references(session: Session, seed: int) -> None:
    records = list(generate_records(200, seed=seed, n_cohorts=5))
    import_jsonl(session, [json.dumps(r) for r in records])
    session.commit()
    store = load(records)
    for basis in ("measured", "enrolled"):
        for cohorts in (None, ["c03", "c04"]):
            expected = {}
            for pid, p in sorted(store.participants.items()):
                if cohorts is not None and p["cohort"] not in cohorts:
                    continue
                ref = person_outcomes(store, pid)
                if basis == "measured" and not ref["measured"]:
                    continue
                expected[pid] = {
                    "participant": pid,
                    "measured": int(ref["measured"]),
                    **{name: int(ref[name]) for name in PERSON_FLAGS},
                }
            for plan in PLANS:
                got = participant_flags(session, cohorts=cohorts, basis=basis, plan=plan)  # type: ignore[arg-type]
                assert [r["participant"] for r in got] == list(expected), (basis, cohorts, plan)
                assert {r["participant"]: r for r in got} == expected, (basis, cohorts, plan)
        # and the flags add up to the indicators, computed by the same statement's layers
        total = compute_indicators(session, basis=basis)["total"]  # type: ignore[arg-type]
        rows = participant_flags(session, basis=basis)  # type: ignore[arg-type]
        for name in PERSON_FLAGS:
            assert sum(r[name] for r in rows) == total["indicators"][name]["n"], name
        assert len(rows) == total["indicators"]["got_job"]["of"]


def test_a_bad_basis_is_refused(session: Session) -> None:
    with pytest.raises(Invalid, match="basis"):
        participant_flags(session, basis="everyone")  # type: ignore[arg-type]


def test_no_participants_gives_no_rows(session: Session) -> None:
    assert participant_flags(session, cohorts=["nope"], basis="enrolled") == []
