"""The study engine: intervention vs control, exactly as spec/study.md defines it.

    result = compute_study(session, "rise", basis="measured")   # the JSON of the spec
    plan_study(base=0.25, intervention=73, control=78)          # {"mde": 0.1976}
    steering(session)                                           # which steps go with a job

Per-participant outcomes come from the one indicator engine
(:func:`outcomes.indicators.participant_flags`), never from a second reading of outcomes.md. The
statistics are scipy's and statsmodels': Wilson intervals (``proportion_confint``), Newcombe's
hybrid score interval for a difference (``confint_proportions_2indep(method="newcomb")``, which
is Newcombe 1998's method 10), Fisher's exact test, Pearson's χ² with Yates' correction, Holm's
step-down adjustment (that of ``multipletests(method="holm")``), the normal quantiles of the MDE, ordinary and weighted
least squares with HC2 standard errors, and Woolf's interval for an odds ratio (``Table2x2``).
The regressions run with one BLAS thread (``threadpoolctl``): their matrices have six columns,
and a BLAS spreading them over busy cores was twenty times slower. Numbers are rounded to 4
decimals only when the JSON is built; what cannot be computed is
``None`` (never NaN or infinity).

Decisions where the spec leaves room:

* Only complete survey responses count, as in the indicators: a wave "has a survey" when the
  participant's response to it is complete.
* ``employed_at_baseline`` and ``contacts_at_baseline`` are known for those whose baseline
  survey answers that question (a baseline without an ``employment`` answer leaves it unknown).
* ``fisher_p`` is computed for every table, also when an arm has no one (scipy gives 1: only one
  table is possible); such comparisons keep their place in Holm's family. ``mde`` is ``None``
  when an arm has no one, as well as when the pooled share is 0 or 1.
* The adjusted estimate (and the register's ``end``) is ``None`` when the design matrix is
  rank-deficient (a covariate that moves with ``treat`` leaves its coefficient undetermined) or
  the fit gives no finite estimate or standard error.
* A register person without ``start_month`` can be matched but has no relative months.
* Steering uses every measured participant of the program (all cohorts, both arms).
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import chi2_contingency, fisher_exact, norm
from sqlalchemy import func, select
from sqlmodel import Session, col
from statsmodels.regression.linear_model import OLS, WLS
from statsmodels.stats.contingency_tables import Table2x2
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint
from threadpoolctl import threadpool_limits

from core.vocab import BASES, Arm, Basis, Employment, Gender, RegisterGroup, SurveyStatus, Wave
from outcomes.errors import Invalid
from outcomes.indicators import Plan, participant_flags, share
from outcomes.models import Participant, Survey
from outcomes.study_models import (
    ASSOCIATION_STEPS,
    COMPARISON_INDICATORS,
    RegisterMonth,
    RegisterPerson,
    Study,
)
from outcomes.study_service import get_study
from outcomes.types import table_of

CONFIDENCE = 0.95
WAVES: tuple[str, ...] = tuple(w.value for w in Wave)
ARMS: tuple[str, ...] = (Arm.intervention.value, Arm.control.value)
BINARY_COVARIATES = ("woman", "tertiary", "employed_at_baseline")
COVARIATES = (
    "woman",
    "birth_year",
    "tertiary",
    "arrival_year",
    "employed_at_baseline",
    "contacts_at_baseline",
)
"""The balance table's covariates, in the spec's order."""
ADJUST_FOR = ("woman", "employed_at_baseline", "contacts_at_baseline", "tertiary")
"""The baseline covariates of the adjusted estimate."""
MIN_ADJUSTED_ROWS = 10
REGISTER_MONTHS = range(-3, 13)
STRATUM_FIELDS = (
    "gender",
    "birth_year",
    "citizenship",
    "county",
    "education_level",
    "arrival_period",
    "employed_at_start",
)
STEERING_MIN_MEASURED = 200
"""With at least this many measured participants, the program's own associations steer."""
REPORT_STEPS: tuple[str, ...] = (
    "reference_obtained",
    "workplace_visit",
    "swedish_improved",
    "professional_swedish_improved",
)
"""The seed report's finding: references, workplace visits and language development go with
getting a job (spec/program.md), in the order the meeting ideas have always nudged them."""


# -- numbers for the JSON -------------------------------------------------------------------


def _num(value: Any) -> float | None:
    """A finite float rounded to 4 decimals, else ``None``."""
    if value is None:
        return None
    x = float(value)
    return round(x, 4) if math.isfinite(x) else None


def _interval(lo: Any, hi: Any) -> list[float | None] | None:
    a, b = _num(lo), _num(hi)
    return None if a is None or b is None else [a, b]


def _z(p: float) -> float:
    return float(norm.ppf(p))


def _fisher(table: list[list[int]]) -> float:
    return float(fisher_exact(table, alternative="two-sided").pvalue)


def _chi2(table: list[list[int]]) -> float | None:
    rows = [sum(r) for r in table]
    columns = [sum(c) for c in zip(*table, strict=True)]
    if 0 in rows or 0 in columns:
        return None
    return float(chi2_contingency(table, correction=True).pvalue)


def _holm(pvalues: dict[str, float | None]) -> dict[str, float | None]:
    """Holm's step-down adjustment within one family (``None`` stays out of it).

    The adjustment is ``statsmodels.stats.multitest.multipletests(method="holm")``'s (the tests
    hold the two together), written out here because that function runs a full
    ``gc.collect()`` on every call for this method: 0.1 s and more in a big process, three times
    a study.
    """
    names = [k for k, p in pvalues.items() if p is not None]
    out: dict[str, float | None] = dict.fromkeys(pvalues)
    if names:
        p = np.array([pvalues[k] for k in names], dtype=float)
        order = np.argsort(p, kind="stable")
        steps = p[order] * np.arange(len(p), 0, -1)
        adjusted = np.empty_like(p)
        adjusted[order] = np.minimum(1.0, np.maximum.accumulate(steps))
        out.update({k: float(v) for k, v in zip(names, adjusted, strict=True)})
    return out


def wilson(n: int, of: int) -> tuple[float, float] | None:
    """The 95 % Wilson score interval of n/of (``None`` when of = 0)."""
    if of == 0:
        return None
    lo, hi = proportion_confint(n, of, alpha=1 - CONFIDENCE, method="wilson")
    return float(lo), float(hi)


def newcombe(n1: int, of1: int, n2: int, of2: int) -> tuple[float, float] | None:
    """Newcombe's hybrid score interval (1998, method 10) for n1/of1 − n2/of2."""
    if of1 == 0 or of2 == 0:
        return None
    lo, hi = confint_proportions_2indep(
        n1, of1, n2, of2, method="newcomb", compare="diff", alpha=1 - CONFIDENCE
    )
    return float(lo), float(hi)


def mde(of1: int, of2: int, pooled: float, *, alpha: float, power: float) -> float | None:
    """The smallest true difference detected at two-sided ``alpha`` with ``power``:
    (z₁₋α/₂ + z_power)·√(p̄(1 − p̄)(1/of₁ + 1/of₂)); ``None`` when p̄ is 0 or 1 or a group is empty."""
    if of1 <= 0 or of2 <= 0 or not 0 < pooled < 1:
        return None
    spread = math.sqrt(pooled * (1 - pooled) * (1 / of1 + 1 / of2))
    return (_z(1 - alpha / 2) + _z(power)) * spread


def _robust_fit(model: Any) -> tuple[float, tuple[float, float], float] | None:
    """(estimate, 95 % normal interval, p) of ``treat`` (column 1) with HC2 errors; ``None`` when
    the design is rank-deficient (``treat`` is then not identified) or a figure is not finite."""
    if np.linalg.matrix_rank(model.wexog) < model.wexog.shape[1]:
        return None
    with np.errstate(all="ignore"):
        fit = model.fit(cov_type="HC2")
        estimate = float(fit.params[1])
        lo, hi = (float(v) for v in fit.conf_int(alpha=1 - CONFIDENCE)[1])
        p = float(fit.pvalues[1])
    if not all(math.isfinite(v) for v in (estimate, lo, hi)):
        return None
    return estimate, (lo, hi), p


# -- the study population -------------------------------------------------------------------


@dataclass
class _Person:
    arm: str
    waves: set[str]
    covariates: dict[str, float | None]


def _population(session: Session, cohorts: Sequence[str]) -> dict[str, _Person]:
    """Every participant of the study's cohorts: arm, waves answered and baseline covariates."""
    people: dict[str, _Person] = {}
    rows = (
        session.connection()
        .execute(
            select(
                col(Participant.id),
                col(Participant.arm),
                col(Participant.gender),
                col(Participant.birth_year),
                col(Participant.education_level),
                col(Participant.arrival_year),
            ).where(col(Participant.cohort).in_(list(cohorts)))
        )
        .all()
    )
    for pid, arm, gender, birth_year, education, arrival in rows:
        people[pid] = _Person(
            arm=str(arm or Arm.intervention.value),
            waves=set(),
            covariates={
                "woman": 1.0 if gender == Gender.woman.value else 0.0,
                "birth_year": None if birth_year is None else float(birth_year),
                "tertiary": None if education is None else float(education == "tertiary"),
                "arrival_year": None if arrival is None else float(arrival),
                "employed_at_baseline": None,
                "contacts_at_baseline": None,
            },
        )
    surveys = (
        session.connection()
        .execute(
            select(
                col(Survey.participant),
                col(Survey.wave),
                col(Survey.employment),
                col(Survey.professional_contacts),
            )
            .join(Participant, col(Participant.id) == col(Survey.participant))
            .where(
                col(Participant.cohort).in_(list(cohorts)),
                col(Survey.status) == SurveyStatus.complete.value,
            )
        )
        .all()
    )
    for pid, wave, employment, contacts in surveys:
        person = people[pid]
        person.waves.add(str(wave))
        if wave == Wave.baseline.value:
            if employment is not None:
                person.covariates["employed_at_baseline"] = float(
                    employment != Employment.none.value
                )
            if contacts is not None:
                person.covariates["contacts_at_baseline"] = float(contacts)
    return people


# -- attrition and balance ------------------------------------------------------------------


def attrition(people: dict[str, _Person]) -> dict[str, Any]:
    """Per arm: randomised and each wave answered; the result rates' difference and Fisher's p."""
    out: dict[str, Any] = {}
    for arm in ARMS:
        members = [p for p in people.values() if p.arm == arm]
        out[arm] = {"randomised": len(members)} | {
            wave: sum(1 for p in members if wave in p.waves) for wave in WAVES
        }
    i, c = out[ARMS[0]], out[ARMS[1]]
    difference = (
        i["result"] / i["randomised"] - c["result"] / c["randomised"]
        if i["randomised"] and c["randomised"]
        else None
    )
    table = [
        [i["result"], i["randomised"] - i["result"]],
        [c["result"], c["randomised"] - c["result"]],
    ]
    out["result_rate_difference"] = _num(difference)
    out["result_fisher_p"] = _num(_fisher(table))
    return out


def _mean_var(values: list[float], binary: bool) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    m = float(np.mean(values))
    if binary:
        return m, m * (1 - m)
    return m, (float(np.var(values, ddof=1)) if len(values) > 1 else None)


def balance(people: Iterable[_Person]) -> list[dict[str, Any]]:
    """Each covariate's mean per arm and the standardised mean difference."""
    chosen = list(people)
    out = []
    for name in COVARIATES:
        binary = name in BINARY_COVARIATES
        stats = {}
        for arm in ARMS:
            values = [v for p in chosen if p.arm == arm if (v := p.covariates[name]) is not None]
            stats[arm] = (len(values), *_mean_var(values, binary))
        (n_i, m_i, v_i), (n_c, m_c, v_c) = stats[ARMS[0]], stats[ARMS[1]]
        smd = None
        if n_i >= 2 and n_c >= 2 and None not in (m_i, m_c, v_i, v_c):
            denominator = math.sqrt((v_i + v_c) / 2)  # type: ignore[operator]
            if denominator > 0:
                smd = (m_i - m_c) / denominator  # type: ignore[operator]
        out.append(
            {
                "covariate": name,
                "intervention": _num(m_i),
                "control": _num(m_c),
                "smd": _num(smd),
                "imbalanced": smd is not None and abs(smd) > 0.1,
            }
        )
    return out


# -- comparisons ----------------------------------------------------------------------------


def _arm_block(n: int, of: int) -> dict[str, Any]:
    ci = wilson(n, of)
    return {"n": n, "of": of, "share": share(n, of), "ci": _interval(*ci) if ci else None}


def _design(treat: np.ndarray, covariates: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The adjusted estimate's rows (those with all four covariates known) and design matrix:
    a constant, ``treat`` and the covariates that are not constant there; ``None`` with fewer
    than ``MIN_ADJUSTED_ROWS`` rows or when ``treat`` is constant there."""
    known = ~np.isnan(covariates).any(axis=1)
    if known.sum() < MIN_ADJUSTED_ROWS or np.ptp(treat[known]) == 0:
        return None
    values = covariates[known]
    varying = [values[:, j] for j in range(values.shape[1]) if np.ptp(values[:, j]) > 0]
    return known, np.column_stack([np.ones(int(known.sum())), treat[known], *varying])


def _adjusted(y: np.ndarray, design: tuple[np.ndarray, np.ndarray] | None) -> dict[str, Any] | None:
    """OLS of the 0/1 outcome on treat and the known baseline covariates, HC2 errors."""
    if design is None:
        return None
    known, X = design
    outcome = y[known]
    if np.ptp(outcome) == 0:
        return None
    fitted = _robust_fit(OLS(outcome, X))
    if fitted is None:
        return None
    estimate, (lo, hi), p = fitted
    return {"difference": _num(estimate), "ci": _interval(lo, hi), "p": _num(p), "n": len(X)}


def comparisons(
    study: Study, flags: list[dict[str, Any]], people: dict[str, _Person]
) -> dict[str, dict[str, Any]]:
    """One entry per indicator: both arms, their difference, the tests, Holm, MDE, verdict."""
    rows = [(f, people[f["participant"]]) for f in flags if f["participant"] in people]
    outcomes = np.array(
        [[f[name] for name in COMPARISON_INDICATORS] for f, _ in rows], dtype=float
    ).reshape(len(rows), len(COMPARISON_INDICATORS))
    treat = np.array([p.arm == Arm.intervention.value for _, p in rows], dtype=bool)
    covariates = np.array(
        [[np.nan if (v := p.covariates[c]) is None else v for c in ADJUST_FOR] for _, p in rows],
        dtype=float,
    ).reshape(len(rows), len(ADJUST_FOR))
    design = _design(treat.astype(float), covariates)
    of_i, of_c = int(treat.sum()), int((~treat).sum())
    primary = set(study.primary)
    out: dict[str, dict[str, Any]] = {}
    raw: dict[str, dict[str, Any]] = {}
    for j, name in enumerate(COMPARISON_INDICATORS):
        y = outcomes[:, j]
        n_i, n_c = int(y[treat].sum()), int(y[~treat].sum())
        table = [[n_i, of_i - n_i], [n_c, of_c - n_c]]
        difference = n_i / of_i - n_c / of_c if of_i and of_c else None
        interval = newcombe(n_i, of_i, n_c, of_c)
        pooled = (n_i + n_c) / (of_i + of_c) if of_i + of_c else 0.0
        raw[name] = {"difference": difference, "fisher": _fisher(table)}
        out[name] = {
            "family": "primary" if name in primary else "secondary",
            "intervention": _arm_block(n_i, of_i),
            "control": _arm_block(n_c, of_c),
            "difference": _num(difference),
            "difference_ci": _interval(*interval) if interval else None,
            "fisher_p": _num(raw[name]["fisher"]),
            "chi2_p": _num(_chi2(table)),
            "p_holm": None,
            "mde": _num(mde(of_i, of_c, pooled, alpha=study.alpha, power=study.power)),
            "verdict": "not_shown",
            "adjusted": _adjusted(y, design),
        }
    for family in ("primary", "secondary"):
        members = [k for k in COMPARISON_INDICATORS if out[k]["family"] == family]
        for k, p_holm in _holm({k: raw[k]["fisher"] for k in members}).items():
            out[k]["p_holm"] = _num(p_holm)
            difference = raw[k]["difference"]
            if p_holm is not None and p_holm < study.alpha and difference:
                out[k]["verdict"] = "more_in_intervention" if difference > 0 else "more_in_control"
    return out


# -- associations ---------------------------------------------------------------------------


def _association_raw(flags: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for step in ASSOCIATION_STEPS:
        cells = Counter((f[step], f["got_job"]) for f in flags)
        a, b, c, d = cells[(1, 1)], cells[(1, 0)], cells[(0, 1)], cells[(0, 0)]
        odds_ratio = lo = hi = None
        if a + b and c + d:
            shifted = np.array([[a, b], [c, d]], dtype=float)
            if 0 in (a, b, c, d):  # Haldane–Anscombe: 0.5 added to all four cells
                shifted += 0.5
            table = Table2x2(shifted, shift_zeros=False)
            odds_ratio = float(table.oddsratio)
            lo, hi = (float(v) for v in table.oddsratio_confint(alpha=1 - CONFIDENCE))
        out[step] = {
            "cells": (a, b, c, d),
            "odds_ratio": odds_ratio,
            "ci": (lo, hi) if lo is not None else None,
            "fisher": _fisher([[a, b], [c, d]]),
        }
    return out


def associations(flags: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Which steps go with getting a job: odds ratios (Woolf), Fisher, Holm across the steps.
    An association, not an effect."""
    raw = _association_raw(flags)
    holm = _holm({k: v["fisher"] for k, v in raw.items()})
    out = {}
    for step, r in raw.items():
        a, b, c, d = r["cells"]
        out[step] = {
            "with_step": {"n": a, "of": a + b, "share": share(a, a + b)},
            "without_step": {"n": c, "of": c + d, "share": share(c, c + d)},
            "odds_ratio": _num(r["odds_ratio"]),
            "ci": _interval(*r["ci"]) if r["ci"] else None,
            "fisher_p": _num(r["fisher"]),
            "p_holm": _num(holm[step]),
        }
    return out


# -- the register comparison ----------------------------------------------------------------


def _month_number(month: str) -> int:
    year, number = month.split("-")
    return int(year) * 12 + int(number) - 1


def _stratum(person: Any) -> tuple[Any, ...] | None:
    values = [getattr(person, name) for name in STRATUM_FIELDS]
    if any(v is None for v in values):
        return None
    values[1] = values[1] // 5  # birth_year in five-year bands
    return tuple(values)


def register(session: Session, study: Study) -> dict[str, Any] | None:
    """Coarsened exact matching of the register persons, their monthly employment, and the
    weighted difference at ``register_end_month`` (``None`` without register persons)."""
    table = table_of(RegisterPerson)
    persons: list[Any] = list(
        session.connection().execute(
            select(table).where(table.c.study == study.id).order_by(table.c.id)
        )
    )
    if not persons:
        return None
    groups = (RegisterGroup.intervention.value, RegisterGroup.external_control.value)
    strata: dict[tuple[Any, ...], dict[str, list[Any]]] = defaultdict(
        lambda: {g: [] for g in groups}
    )
    for person in persons:
        key = _stratum(person)
        if key is not None:
            strata[key][str(person.group)].append(person)
    matched = {k: s for k, s in strata.items() if all(s[g] for g in groups)}
    total = {g: sum(len(s[g]) for s in matched.values()) for g in groups}
    weight: dict[str, float] = {}
    for s in matched.values():
        for person in s[groups[0]]:
            weight[person.id] = 1.0
        for person in s[groups[1]]:
            ratio = len(s[groups[0]]) / len(s[groups[1]])
            weight[person.id] = ratio * total[groups[1]] / total[groups[0]]
    counts = Counter(str(p.group) for p in persons)

    start = {
        p.id: _month_number(p.start_month) for p in persons if p.id in weight and p.start_month
    }
    group_of = {p.id: str(p.group) for p in persons}
    by_month: dict[int, list[tuple[str, float, float]]] = defaultdict(list)  # k -> (g, w, y)
    months = (
        session.connection()
        .execute(
            select(col(RegisterMonth.person), col(RegisterMonth.month), col(RegisterMonth.employed))
            .join(RegisterPerson, col(RegisterPerson.id) == col(RegisterMonth.person))
            .where(col(RegisterPerson.study) == study.id)
        )
        .all()
    )
    for pid, month, employed in months:
        if pid in start:
            k = _month_number(month) - start[pid]
            by_month[k].append((group_of[pid], weight[pid], float(bool(employed))))

    def weighted_share(rows: list[tuple[str, float, float]], group: str) -> float | None:
        chosen = [(w, y) for g, w, y in rows if g == group]
        if not chosen:
            return None
        return float(np.average([y for _, y in chosen], weights=[w for w, _ in chosen]))

    series = [
        {
            "month": k,
            "intervention": _num(weighted_share(by_month[k], groups[0])),
            "external_control": _num(weighted_share(by_month[k], groups[1])),
        }
        for k in REGISTER_MONTHS
        if by_month.get(k)
    ]
    end = None
    rows = by_month.get(study.register_end_month, [])
    if all(any(g == group for g, _, _ in rows) for group in groups):
        y = np.array([r[2] for r in rows])
        treat = np.array([float(r[0] == groups[0]) for r in rows])
        w = np.array([r[1] for r in rows])
        fitted = _robust_fit(WLS(y, np.column_stack([np.ones(len(rows)), treat]), weights=w))
        if fitted is not None:
            estimate, (lo, hi), p = fitted
            end = {
                "month": study.register_end_month,
                "difference": _num(estimate),
                "ci": _interval(lo, hi),
                "p": _num(p),
                "n": len(rows),
            }
    return {
        "matched": {g: total[g] for g in groups},
        "unmatched": {g: counts[g] - total[g] for g in groups},
        "strata": len(matched),
        "months": series,
        "end": end,
    }


# -- the whole study ------------------------------------------------------------------------


def compute_study(
    session: Session, study_id: str, *, basis: Basis = "measured", plan: Plan | None = None
) -> dict[str, Any]:
    """The JSON of spec/study.md for one study (``NotFound``, ``Invalid`` for a bad basis)."""
    if basis not in BASES:
        raise Invalid(f"unknown basis {basis!r}; expected one of {', '.join(BASES)}")
    study = get_study(session, study_id)
    with threadpool_limits(1, user_api="blas"):
        return _compute(session, study, basis, plan)


def _compute(session: Session, study: Study, basis: Basis, plan: Plan | None) -> dict[str, Any]:
    people = _population(session, study.cohorts)
    flags = participant_flags(session, cohorts=study.cohorts, basis=basis, plan=plan)
    measured = [p for p in people.values() if Wave.result.value in p.waves]
    return {
        "study": {
            "id": study.id,
            "name": study.name,
            "cohorts": list(study.cohorts),
            "alpha": study.alpha,
            "power": study.power,
            "basis": basis,
            "primary": list(study.primary),
        },
        "attrition": attrition(people),
        "balance": {"randomised": balance(people.values()), "measured": balance(measured)},
        "comparisons": comparisons(study, flags, people),
        "associations": associations(flags),
        "register": register(session, study),
    }


# -- planning the next study ----------------------------------------------------------------


def plan_study(
    *,
    base: float,
    intervention: int | None = None,
    control: int | None = None,
    mde_target: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
) -> dict[str, Any]:
    """``{"mde": …}`` for two group sizes at base share ``base``, or ``{"per_arm": n}``: the
    smallest equal group size whose MDE is at most ``mde_target``."""
    if not 0 < base < 1:
        raise Invalid("the base share must be between 0 and 1 (not 0 or 1)")
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise Invalid("alpha and power must be between 0 and 1")
    if mde_target is not None:
        if intervention is not None or control is not None:
            raise Invalid("give either the group sizes or the MDE, not both")
        if not 0 < mde_target <= 1:
            raise Invalid("the MDE must be a difference of shares, above 0 and at most 1")

        def detectable(n: int) -> float:
            value = mde(n, n, base, alpha=alpha, power=power)
            assert value is not None
            return value

        z = _z(1 - alpha / 2) + _z(power)
        n = max(1, math.ceil(2 * z**2 * base * (1 - base) / mde_target**2))
        while n > 1 and detectable(n - 1) <= mde_target:
            n -= 1
        while detectable(n) > mde_target:
            n += 1
        return {"per_arm": n}
    if intervention is None or control is None:
        raise Invalid("give both group sizes (--intervention and --control), or --mde")
    if intervention < 1 or control < 1:
        raise Invalid("each group needs at least one person")
    return {"mde": _num(mde(intervention, control, base, alpha=alpha, power=power))}


# -- steering the meeting ideas -------------------------------------------------------------


def steering(session: Session) -> dict[str, Any]:
    """Which steps the meeting ideas steer towards, and on what evidence.

    With at least ``STEERING_MIN_MEASURED`` measured participants in the program, the program's
    own association table decides: the steps whose odds ratio's lower bound is above 1, the
    strongest (largest odds ratio) first. Otherwise the seed report's finding.
    """
    measured = session.execute(
        select(func.count())
        .select_from(Survey)
        .where(
            col(Survey.wave) == Wave.result.value,
            col(Survey.status) == SurveyStatus.complete.value,
        )
    ).scalar_one()
    out: dict[str, Any] = {
        "source": "report",
        "measured": int(measured),
        "min_measured": STEERING_MIN_MEASURED,
        "steps": list(REPORT_STEPS),
    }
    if measured >= STEERING_MIN_MEASURED:  # only then is the association table worth computing
        flags = participant_flags(session, basis="measured")
        raw = _association_raw(flags)
        strong = [s for s in ASSOCIATION_STEPS if raw[s]["ci"] and raw[s]["ci"][0] > 1]
        strong.sort(key=lambda s: (-raw[s]["odds_ratio"], -raw[s]["ci"][0]))
        out.update(source="program", measured=len(flags), steps=strong)
    return out


# -- tidy CSV (for R) -----------------------------------------------------------------------

COMPARISON_HEADER: tuple[str, ...] = (
    "study",
    "basis",
    "indicator",
    "family",
    *(f"{arm}_{field}" for arm in ARMS for field in ("n", "of", "share", "ci_low", "ci_high")),
    "difference",
    "difference_ci_low",
    "difference_ci_high",
    "fisher_p",
    "chi2_p",
    "p_holm",
    "mde",
    "verdict",
    "adjusted_difference",
    "adjusted_ci_low",
    "adjusted_ci_high",
    "adjusted_p",
    "adjusted_n",
)
ASSOCIATION_HEADER: tuple[str, ...] = (
    "study",
    "basis",
    "step",
    *(
        f"{side}_{field}"
        for side in ("with_step", "without_step")
        for field in ("n", "of", "share")
    ),
    "odds_ratio",
    "ci_low",
    "ci_high",
    "fisher_p",
    "p_holm",
)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _ends(interval: list[Any] | None) -> tuple[Any, Any]:
    return (None, None) if interval is None else (interval[0], interval[1])


def _csv(header: Sequence[str], rows: Iterable[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(row.get(k)) for k in header])
    return buffer.getvalue()


def comparisons_csv(result: dict[str, Any]) -> str:
    """The comparisons of ``compute_study``'s result as tidy CSV: one row per indicator."""
    rows = []
    for name, c in result["comparisons"].items():
        row: dict[str, Any] = {
            "study": result["study"]["id"],
            "basis": result["study"]["basis"],
            "indicator": name,
            **{k: c[k] for k in ("family", "difference", "fisher_p", "chi2_p", "p_holm", "mde")},
            "verdict": c["verdict"],
        }
        for arm in ARMS:
            block = c[arm]
            row.update({f"{arm}_{k}": block[k] for k in ("n", "of", "share")})
            row[f"{arm}_ci_low"], row[f"{arm}_ci_high"] = _ends(block["ci"])
        row["difference_ci_low"], row["difference_ci_high"] = _ends(c["difference_ci"])
        adjusted = c["adjusted"] or {}
        row["adjusted_difference"] = adjusted.get("difference")
        row["adjusted_ci_low"], row["adjusted_ci_high"] = _ends(adjusted.get("ci"))
        row["adjusted_p"], row["adjusted_n"] = adjusted.get("p"), adjusted.get("n")
        rows.append(row)
    return _csv(COMPARISON_HEADER, rows)


def associations_csv(result: dict[str, Any]) -> str:
    """The associations (not effects) as tidy CSV: one row per step."""
    rows = []
    for step, a in result["associations"].items():
        row: dict[str, Any] = {
            "study": result["study"]["id"],
            "basis": result["study"]["basis"],
            "step": step,
            "odds_ratio": a["odds_ratio"],
            "fisher_p": a["fisher_p"],
            "p_holm": a["p_holm"],
        }
        for side in ("with_step", "without_step"):
            row.update({f"{side}_{k}": a[side][k] for k in ("n", "of", "share")})
        row["ci_low"], row["ci_high"] = _ends(a["ci"])
        rows.append(row)
    return _csv(ASSOCIATION_HEADER, rows)
