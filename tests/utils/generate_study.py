"""A generated randomised study in the import format, for tests and the benchmark.

``generate_study(n, seed=…)`` returns import records (dicts with ``kind``, in file order): a
program from ``generate.generate_records`` (six rounds; ``c03`` and ``c04`` randomised, the others
ordinary rounds that are not in the study), then

* attrition that is not random: a quarter of the control arm's result surveys are gone, and a
  follow-up at 5 months (``followup_2``) answered by about half;
* the study ``rise`` over ``c03`` + ``c04`` (spec defaults), and ``rise-b`` over ``c04`` alone with
  its own primary list, alpha, power and register end month;
* register data for ``rise``: intervention persons for most of the intervention arm and about
  three times as many external controls, drawn from a few values of each matching variable so that
  strata fill, some matching variables missing (those persons are unmatched), a few without a
  start month; monthly employment from three months before the start to fourteen after, a month
  here and there missing, and relative month −2 missing for everyone (a month with no rows).

Deterministic per seed.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from tests.utils.generate import generate_records

STUDY_COHORTS = ("c03", "c04")
CITIZENSHIP = ("SY", "SY", "AF", "ER")
COUNTY = ("Stockholm", "Stockholm", "Skåne")
ARRIVAL = ("2013-2015", "2016-2018", "2016-2018")
EDUCATION = ("secondary", "tertiary", "tertiary")


def _month(day: date, offset: int = 0) -> str:
    n = day.year * 12 + day.month - 1 + offset
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


def _month_add(month: str, k: int) -> str:
    year, number = (int(x) for x in month.split("-"))
    n = year * 12 + number - 1 + k
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


def _matching(rng: random.Random, gender: str | None, missing: float) -> dict[str, Any]:
    values: dict[str, Any] = {
        "gender": gender or ("woman" if rng.random() < 0.8 else "man"),
        "birth_year": rng.randint(1980, 1994),
        "citizenship": rng.choice(CITIZENSHIP),
        "county": rng.choice(COUNTY),
        "education_level": rng.choice(EDUCATION),
        "arrival_period": rng.choice(ARRIVAL),
        "employed_at_start": rng.random() < 0.1,
    }
    for key in list(values):
        if rng.random() < missing:
            del values[key]
    return values


def generate_study(
    n_participants: int = 480,
    *,
    seed: int = 0,
    control_result_loss: float = 0.25,
    register_share: float = 0.75,
    controls_per_person: float = 3.0,
    missing: float = 0.03,
    events_per_participant: float = 20.0,
    register_persons: int | None = None,
) -> list[dict[str, Any]]:
    """Import records of a program with a randomised study and its register data.

    ``register_persons`` fixes the number of register persons (a quarter of them intervention);
    otherwise ``register_share`` of the intervention arm and ``controls_per_person`` as many
    external controls."""
    rng = random.Random(seed * 7919 + 1)
    records = list(
        generate_records(
            n_participants,
            seed=seed,
            n_cohorts=6,
            events_per_participant=events_per_participant,
        )
    )
    cohorts = {r["id"]: r for r in records if r["kind"] == "cohort"}
    people = {r["id"]: r for r in records if r["kind"] == "participant"}
    study_people = {pid: p for pid, p in people.items() if p["cohort"] in STUDY_COHORTS}

    # attrition that is not random: control participants lose result surveys more often
    lost = {
        pid
        for pid, p in study_people.items()
        if p.get("arm") == "control" and rng.random() < control_result_loss
    }
    records = [
        r
        for r in records
        if not (r["kind"] == "survey" and r["wave"] == "result" and r["participant"] in lost)
    ]
    for pid, p in study_people.items():
        if rng.random() < 0.5:
            start = date.fromisoformat(cohorts[p["cohort"]]["start"])
            records.append(
                {
                    "kind": "survey",
                    "participant": pid,
                    "wave": "followup_2",
                    "answered_on": date(start.year, start.month, 28).isoformat(),
                    "answers": {"employment": rng.choice(("none", "none", "part_time"))},
                }
            )

    records.append({"kind": "study", "id": "rise", "name": "RISE", "cohorts": list(STUDY_COHORTS)})
    records.append(
        {
            "kind": "study",
            "id": "rise-b",
            "name": "RISE, second round",
            "cohorts": ["c04"],
            "primary": ["got_job", "network_expanded", "learned_social_codes", "cv_improved"],
            "alpha": 0.1,
            "power": 0.9,
            "register_end_month": 6,
        }
    )

    persons: list[dict[str, Any]] = []
    treated = sorted(
        pid for pid, p in study_people.items() if p.get("arm", "intervention") == "intervention"
    )
    if register_persons is not None:
        chosen = set(rng.sample(treated, min(len(treated), register_persons // 4)))
    else:
        chosen = {pid for pid in treated if rng.random() < register_share}
    for pid in treated:
        p = study_people[pid]
        if pid not in chosen:
            continue
        start = _month(date.fromisoformat(cohorts[p["cohort"]]["start"]))
        persons.append(
            {
                "kind": "register_person",
                "id": f"reg-{pid}",
                "study": "rise",
                "group": "intervention",
                "participant": pid,
                **_matching(rng, p["gender"] if p["gender"] in ("woman", "man") else None, missing),
                "start_month": start,
            }
        )
    starts = sorted({_month(date.fromisoformat(cohorts[c]["start"])) for c in STUDY_COHORTS})
    n_controls = (
        register_persons - len(persons)
        if register_persons is not None
        else round(len(persons) * controls_per_person)
    )
    for i in range(n_controls):
        persons.append(
            {
                "kind": "register_person",
                "id": f"ext-{i:05d}",
                "study": "rise",
                "group": "external_control",
                **_matching(rng, None, missing),
                "start_month": rng.choice(starts),
            }
        )
    for person in persons:
        if rng.random() < 0.02:
            del person["start_month"]
    records.extend(persons)

    for person in persons:
        start = person.get("start_month") or starts[0]
        treated = person["group"] == "intervention"
        employed = bool(person.get("employed_at_start"))
        for k in range(-3, 15):
            if k == -2 or rng.random() < 0.06:
                continue
            if not employed and k > 0:
                employed = rng.random() < (0.06 if treated else 0.04)
            elif employed and rng.random() < 0.03:
                employed = False
            row: dict[str, Any] = {
                "kind": "register_month",
                "person": person["id"],
                "month": _month_add(start, k),
                "employed": employed,
            }
            if employed:
                row["income"] = rng.randint(8000, 36000)
            elif rng.random() < 0.5:
                row["income"] = 0
            records.append(row)
    return records
