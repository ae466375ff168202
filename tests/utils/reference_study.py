"""An independent, deliberately plain implementation of spec/study.md, for tests only.

It reads import records (the dicts of a JSON Lines file, in file order), takes each person's
outcomes from the plain reference of outcomes.md (``reference_indicators.person_outcomes``), and
computes every number of the study by the spec's formulas in plain Python: Wilson and Newcombe
intervals, Fisher's exact test summed over the hypergeometric tables, Pearson's χ² with Yates'
correction (its p from ``erfc``), Holm, the MDE, standardised mean differences, odds ratios with
Woolf's interval, coarsened exact matching and its weights; the two regressions with HC2 errors by
their matrix formulas in numpy. Normal quantiles come from ``statistics.NormalDist``. Nothing of
scipy or statsmodels is used, so the engine (which uses them) is checked against another road.

Decisions where the spec leaves room follow ``outcomes/study.py``'s docstring.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from statistics import NormalDist
from typing import Any

import numpy as np

from tests.utils.reference_indicators import _share, load, person_outcomes

Z = NormalDist().inv_cdf(0.975)
INDICATORS = (
    "got_job",
    "measurable_steps",
    "job_or_steps",
    "internship",
    "education_started",
    "interviews_plus_two",
    "minor_steps_5_of_8",
    "cv_improved",
    "network_expanded",
    "reference_obtained",
    "workplace_visit",
    "learned_education_system",
    "learned_social_codes",
    "swedish_improved",
    "professional_swedish_improved",
)
STEPS = ("internship", "education_started", "interviews_plus_two", *INDICATORS[7:])
WAVES = ("baseline", "followup_1", "followup_2", "result")


def r4(x: float | None) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return round(x, 4)


def wilson(n: int, of: int) -> tuple[float, float] | None:
    if of == 0:
        return None
    p = n / of
    centre = (p + Z * Z / (2 * of)) / (1 + Z * Z / of)
    half = Z * math.sqrt(p * (1 - p) / of + Z * Z / (4 * of * of)) / (1 + Z * Z / of)
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(n1: int, of1: int, n2: int, of2: int) -> tuple[float, float] | None:
    if of1 == 0 or of2 == 0:
        return None
    p1, p2 = n1 / of1, n2 / of2
    (l1, u1), (l2, u2) = wilson(n1, of1), wilson(n2, of2)  # type: ignore[misc]
    d = p1 - p2
    return (
        d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )


def fisher(table: list[list[int]]) -> float:
    """Two-sided Fisher: the tables with the same margins that are no more probable."""
    (a, b), (c, d) = table
    row1, col1, n = a + b, a + c, a + b + c + d
    if n == 0:
        return 1.0

    def prob(x: int) -> float:
        return math.comb(col1, x) * math.comb(n - col1, row1 - x) / math.comb(n, row1)

    observed = prob(a)
    lo, hi = max(0, row1 - (n - col1)), min(row1, col1)
    total = sum(p for x in range(lo, hi + 1) if (p := prob(x)) <= observed * (1 + 1e-7))
    return min(1.0, total)


def chi2_yates(table: list[list[int]]) -> float | None:
    rows = [sum(r) for r in table]
    cols = [table[0][j] + table[1][j] for j in range(2)]
    n = sum(rows)
    if 0 in rows or 0 in cols:
        return None
    stat = 0.0
    for i in range(2):
        for j in range(2):
            e = rows[i] * cols[j] / n
            gap = max(0.0, abs(table[i][j] - e) - 0.5)  # the correction never overshoots
            stat += gap * gap / e
    return math.erfc(math.sqrt(stat / 2))  # χ² with one degree of freedom


def holm(p: dict[str, float]) -> dict[str, float]:
    order = sorted(p, key=lambda k: p[k])
    m = len(order)
    out, running = {}, 0.0
    for i, k in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[k]))
        out[k] = running
    return out


def mde(of1: int, of2: int, pooled: float, alpha: float, power: float) -> float | None:
    if of1 == 0 or of2 == 0 or pooled <= 0 or pooled >= 1:
        return None
    za, zb = NormalDist().inv_cdf(1 - alpha / 2), NormalDist().inv_cdf(power)
    return (za + zb) * math.sqrt(pooled * (1 - pooled) * (1 / of1 + 1 / of2))


def hc2(X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> tuple[float, float, float]:
    """(coefficient of column 1, its HC2 standard error, two-sided normal p), by the formulas."""
    if w is not None:
        X, y = X * np.sqrt(w)[:, None], y * np.sqrt(w)
    bread = np.linalg.pinv(X.T @ X)
    beta = bread @ X.T @ y
    resid = y - X @ beta
    h = np.einsum("ij,jk,ik->i", X, bread, X)
    meat = X.T @ (X * (resid**2 / (1 - h))[:, None])
    cov = bread @ meat @ bread
    se = math.sqrt(cov[1, 1])
    p = 2 * (1 - NormalDist().cdf(abs(beta[1] / se))) if se > 0 else float("nan")
    return float(beta[1]), se, p


def _fit(X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> dict[str, Any] | None:
    if np.linalg.matrix_rank(X) < X.shape[1]:
        return None  # treat is not identified
    with np.errstate(all="ignore"):
        b, se, p = hc2(X, y, w)
    if not (math.isfinite(b) and math.isfinite(se)):
        return None
    return {"difference": r4(b), "ci": [r4(b - Z * se), r4(b + Z * se)], "p": r4(p)}


def _covariates(p: dict[str, Any], baseline: dict[str, Any] | None) -> dict[str, float | None]:
    answers = baseline["answers"] if baseline else {}
    employment = answers.get("employment")
    contacts = answers.get("professional_contacts")
    education = p.get("education_level")
    return {
        "woman": 1.0 if p["gender"] == "woman" else 0.0,
        "birth_year": p.get("birth_year"),
        "tertiary": None if education is None else float(education == "tertiary"),
        "arrival_year": p.get("arrival_year"),
        "employed_at_baseline": None if employment is None else float(employment != "none"),
        "contacts_at_baseline": None if contacts is None else float(contacts),
    }


def _balance(people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for name in (
        "woman",
        "birth_year",
        "tertiary",
        "arrival_year",
        "employed_at_baseline",
        "contacts_at_baseline",
    ):
        binary = name in ("woman", "tertiary", "employed_at_baseline")
        means, variances, counts = {}, {}, {}
        for arm in ("intervention", "control"):
            xs = [x["cov"][name] for x in people if x["arm"] == arm and x["cov"][name] is not None]
            counts[arm] = len(xs)
            m = sum(xs) / len(xs) if xs else None
            means[arm] = m
            if m is None:
                variances[arm] = None
            elif binary:
                variances[arm] = m * (1 - m)
            else:
                variances[arm] = (
                    sum((v - m) ** 2 for v in xs) / (len(xs) - 1) if len(xs) > 1 else None
                )
        smd = None
        if counts["intervention"] >= 2 and counts["control"] >= 2:
            denominator = math.sqrt((variances["intervention"] + variances["control"]) / 2)
            if denominator > 0:
                smd = (means["intervention"] - means["control"]) / denominator
        out.append(
            {
                "covariate": name,
                "intervention": r4(means["intervention"]),
                "control": r4(means["control"]),
                "smd": r4(smd),
                "imbalanced": smd is not None and abs(smd) > 0.1,
            }
        )
    return out


def _arm(n: int, of: int) -> dict[str, Any]:
    ci = wilson(n, of)
    return {"n": n, "of": of, "share": _share(n, of), "ci": [r4(ci[0]), r4(ci[1])] if ci else None}


def _adjusted(compared: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    keys = ("woman", "employed_at_baseline", "contacts_at_baseline", "tertiary")
    rows = [x for x in compared if all(x["cov"][k] is not None for k in keys)]
    if len(rows) < 10:
        return None
    y = [float(x["out"][name]) for x in rows]
    treat = [1.0 if x["arm"] == "intervention" else 0.0 for x in rows]
    if len(set(y)) == 1 or len(set(treat)) == 1:
        return None
    columns = [[1.0] * len(rows), treat]
    for k in keys:
        values = [x["cov"][k] for x in rows]
        if len(set(values)) > 1:
            columns.append(values)
    fit = _fit(np.array(columns).T, np.array(y))
    return None if fit is None else {**fit, "n": len(rows)}


def _register(store_register: dict[str, Any], study: dict[str, Any]) -> dict[str, Any] | None:
    persons = [p for p in store_register["persons"].values() if p["study"] == study["id"]]
    if not persons:
        return None
    fields = (
        "gender",
        "birth_year",
        "citizenship",
        "county",
        "education_level",
        "arrival_period",
        "employed_at_start",
    )
    strata: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for p in persons:
        if all(p.get(f) is not None for f in fields):
            key = tuple(p[f] // 5 if f == "birth_year" else p[f] for f in fields)
            strata[key].append(p)
    matched_strata = {
        k: v
        for k, v in strata.items()
        if {"intervention", "external_control"} <= {p["group"] for p in v}
    }
    T = sum(p["group"] == "intervention" for v in matched_strata.values() for p in v)
    C = sum(p["group"] == "external_control" for v in matched_strata.values() for p in v)
    weight: dict[str, float] = {}
    for v in matched_strata.values():
        ts = sum(p["group"] == "intervention" for p in v)
        cs = len(v) - ts
        for p in v:
            weight[p["id"]] = 1.0 if p["group"] == "intervention" else (ts / cs) * (C / T)
    total = {g: sum(p["group"] == g for p in persons) for g in ("intervention", "external_control")}

    def month_index(text: str) -> int:
        y, m = text.split("-")
        return int(y) * 12 + int(m)

    at: dict[int, list[tuple[str, float, float]]] = defaultdict(list)
    by_id = {p["id"]: p for p in persons}
    for (pid, month), row in store_register["months"].items():
        p = by_id.get(pid)
        if p is None or pid not in weight or not p.get("start_month"):
            continue
        k = month_index(month) - month_index(p["start_month"])
        at[k].append((p["group"], weight[pid], 1.0 if row["employed"] else 0.0))

    def wshare(rows: list[tuple[str, float, float]], g: str) -> float | None:
        chosen = [(w, y) for gg, w, y in rows if gg == g]
        if not chosen:
            return None
        return sum(w * y for w, y in chosen) / sum(w for w, _ in chosen)

    months = [
        {
            "month": k,
            "intervention": r4(wshare(at[k], "intervention")),
            "external_control": r4(wshare(at[k], "external_control")),
        }
        for k in range(-3, 13)
        if at.get(k)
    ]
    k = study.get("register_end_month", 7)
    rows = at.get(k, [])
    end = None
    if {"intervention", "external_control"} <= {g for g, _, _ in rows}:
        X = np.array([[1.0, 1.0 if g == "intervention" else 0.0] for g, _, _ in rows])
        fit = _fit(X, np.array([y for _, _, y in rows]), np.array([w for _, w, _ in rows]))
        if fit is not None:
            end = {"month": k, **fit, "n": len(rows)}
    return {
        "matched": {"intervention": T, "external_control": C},
        "unmatched": {
            "intervention": total["intervention"] - T,
            "external_control": total["external_control"] - C,
        },
        "strata": len(matched_strata),
        "months": months,
        "end": end,
    }


def reference_study(
    records: Iterable[dict[str, Any]], study_id: str, basis: str = "measured"
) -> dict[str, Any]:
    """The spec's JSON for one study after importing ``records``."""
    records = list(records)
    store = load(records)
    studies: dict[str, dict[str, Any]] = {}
    reg: dict[str, Any] = {"persons": {}, "months": {}}
    for rec in records:
        if rec["kind"] == "study":
            studies[rec["id"]] = rec
        elif rec["kind"] == "register_person":
            reg["persons"][rec["id"]] = rec
        elif rec["kind"] == "register_month":
            reg["months"][(rec["person"], rec["month"])] = rec
    study = studies[study_id]
    alpha, power = study.get("alpha", 0.05), study.get("power", 0.8)
    primary = study.get("primary", ["got_job", "job_or_steps", "network_expanded"])

    people = []
    for pid, p in store.participants.items():
        if p["cohort"] not in study["cohorts"]:
            continue
        waves = {w for w in WAVES if (pid, w) in store.surveys}
        people.append(
            {
                "id": pid,
                "arm": p.get("arm") or "intervention",
                "waves": waves,
                "cov": _covariates(p, store.surveys.get((pid, "baseline"))),
                "out": person_outcomes(store, pid),
            }
        )

    attrition: dict[str, Any] = {}
    for arm in ("intervention", "control"):
        members = [x for x in people if x["arm"] == arm]
        attrition[arm] = {"randomised": len(members)} | {
            w: sum(w in x["waves"] for x in members) for w in WAVES
        }
    ai, ac = attrition["intervention"], attrition["control"]
    attrition["result_rate_difference"] = (
        r4(ai["result"] / ai["randomised"] - ac["result"] / ac["randomised"])
        if ai["randomised"] and ac["randomised"]
        else None
    )
    attrition["result_fisher_p"] = r4(
        fisher(
            [
                [ai["result"], ai["randomised"] - ai["result"]],
                [ac["result"], ac["randomised"] - ac["result"]],
            ]
        )
    )

    measured = [x for x in people if "result" in x["waves"]]
    compared = measured if basis == "measured" else people

    comparisons: dict[str, Any] = {}
    pvals: dict[str, dict[str, float]] = {"primary": {}, "secondary": {}}
    diffs = {}
    for name in INDICATORS:
        ni = sum(x["out"][name] for x in compared if x["arm"] == "intervention")
        oi = sum(x["arm"] == "intervention" for x in compared)
        nc = sum(x["out"][name] for x in compared if x["arm"] == "control")
        oc = sum(x["arm"] == "control" for x in compared)
        table = [[ni, oi - ni], [nc, oc - nc]]
        d = ni / oi - nc / oc if oi and oc else None
        diffs[name] = d
        ci = newcombe(ni, oi, nc, oc)
        family = "primary" if name in primary else "secondary"
        p = fisher(table)
        pvals[family][name] = p
        pooled = (ni + nc) / (oi + oc) if oi + oc else 0.0
        comparisons[name] = {
            "family": family,
            "intervention": _arm(ni, oi),
            "control": _arm(nc, oc),
            "difference": r4(d),
            "difference_ci": [r4(ci[0]), r4(ci[1])] if ci else None,
            "fisher_p": r4(p),
            "chi2_p": r4(chi2_yates(table)),
            "mde": r4(mde(oi, oc, pooled, alpha, power)),
            "adjusted": _adjusted(compared, name),
        }
    for ps in pvals.values():
        for name, ph in holm(ps).items() if ps else ():
            comparisons[name]["p_holm"] = r4(ph)
            d = diffs[name]
            verdict = "not_shown"
            if ph < alpha and d is not None and d > 0:
                verdict = "more_in_intervention"
            elif ph < alpha and d is not None and d < 0:
                verdict = "more_in_control"
            comparisons[name]["verdict"] = verdict

    associations: dict[str, Any] = {}
    step_p = {}
    for step in STEPS:
        a = sum(1 for x in compared if x["out"][step] and x["out"]["got_job"])
        b = sum(1 for x in compared if x["out"][step] and not x["out"]["got_job"])
        c = sum(1 for x in compared if not x["out"][step] and x["out"]["got_job"])
        d = sum(1 for x in compared if not x["out"][step] and not x["out"]["got_job"])
        odds = ci = None
        if a + b > 0 and c + d > 0:
            aa, bb, cc, dd = (v + 0.5 for v in (a, b, c, d)) if 0 in (a, b, c, d) else (a, b, c, d)
            odds = aa * dd / (bb * cc)
            se = math.sqrt(1 / aa + 1 / bb + 1 / cc + 1 / dd)
            ci = [r4(math.exp(math.log(odds) - Z * se)), r4(math.exp(math.log(odds) + Z * se))]
        step_p[step] = fisher([[a, b], [c, d]])
        associations[step] = {
            "with_step": {"n": a, "of": a + b, "share": _share(a, a + b)},
            "without_step": {"n": c, "of": c + d, "share": _share(c, c + d)},
            "odds_ratio": r4(odds),
            "ci": ci,
            "fisher_p": r4(step_p[step]),
        }
    for step, ph in holm(step_p).items():
        associations[step]["p_holm"] = r4(ph)

    return {
        "study": {
            "id": study["id"],
            "name": study["name"],
            "cohorts": study["cohorts"],
            "alpha": alpha,
            "power": power,
            "basis": basis,
            "primary": primary,
        },
        "attrition": attrition,
        "balance": {"randomised": _balance(people), "measured": _balance(measured)},
        "comparisons": comparisons,
        "associations": associations,
        "register": _register(reg, study),
    }
