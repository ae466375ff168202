"""The study engine's formulas against published and hand-worked examples, and every edge:
an arm with no one measured, an outcome everyone or no one has, zero cells, a stratum with only
one group, a month with no rows."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from sqlmodel import Session
from statsmodels.stats.multitest import multipletests

from outcomes.errors import Invalid, NotFound
from outcomes.importer import import_jsonl
from outcomes.study import (
    _chi2,
    _fisher,
    _holm,
    associations,
    compute_study,
    mde,
    newcombe,
    plan_study,
    steering,
    wilson,
)
from tests.utils.factories import line

# --- formulas -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "of", "lo", "hi"),
    [  # Newcombe (1998), "Two-sided confidence intervals for the single proportion", method 3
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_intervals_are_the_published_ones(n: int, of: int, lo: float, hi: float) -> None:
    got = wilson(n, of)
    assert got is not None
    assert got == pytest.approx((lo, hi), abs=5e-5)


@pytest.mark.parametrize(
    ("a", "m", "b", "n", "lo", "hi"),
    [  # Newcombe (1998), "Interval estimation for the difference between independent
        # proportions: comparison of eleven methods", Table II, method 10 (examples a–h)
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
        (6, 7, 2, 7, 0.0582, 0.8062),
        (5, 56, 0, 29, -0.0381, 0.1926),
        (0, 10, 0, 20, -0.1611, 0.2775),
        (0, 10, 0, 10, -0.2775, 0.2775),
        (10, 10, 0, 20, 0.6791, 1.0000),
        (10, 10, 0, 10, 0.6075, 1.0000),
    ],
)
def test_newcombe_intervals_are_the_published_method_10(
    a: int, m: int, b: int, n: int, lo: float, hi: float
) -> None:
    got = newcombe(a, m, b, n)
    assert got is not None
    assert got == pytest.approx((lo, hi), abs=5e-5)
    # and it is the spec's formula from the two Wilson intervals
    (l1, u1), (l2, u2) = wilson(a, m), wilson(b, n)  # type: ignore[misc]
    p1, p2 = a / m, b / n
    d = p1 - p2
    formula = (
        d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )
    assert got == pytest.approx(formula, abs=1e-12)


def test_fisher_and_yates_on_hand_worked_tables() -> None:
    # Fisher's tea-tasting table: P = (1 + 16 + 16 + 1) / 70 for the tables as or less likely
    assert _fisher([[3, 1], [1, 3]]) == pytest.approx(34 / 70)
    # 20/55 vs 17/55: expected 18.5 and 36.5, |O − E| − ½ = 1, χ² = 2(1/18.5 + 1/36.5)
    statistic = 2 * (1 / 18.5 + 1 / 36.5)
    assert _chi2([[20, 35], [17, 38]]) == pytest.approx(math.erfc(math.sqrt(statistic / 2)))
    # the correction never makes a cell overshoot its expected value (|O − E| < ½ → 0)
    assert _chi2([[5, 5], [5, 5]]) == pytest.approx(1.0)
    assert _chi2([[0, 0], [3, 4]]) is None  # a row that sums to 0
    assert _chi2([[0, 5], [0, 4]]) is None  # a column that sums to 0


def test_holm_is_statsmodels_holm_and_the_hand_worked_example() -> None:
    assert _holm({"a": 0.01, "b": 0.04, "c": 0.03}) == pytest.approx(
        {"a": 0.03, "b": 0.06, "c": 0.06}
    )
    assert _holm({"a": 0.5, "b": None}) == {"a": 0.5, "b": None}
    rng = np.random.default_rng(7)
    for _ in range(12):  # few: multipletests runs gc.collect() on every call (see _holm)
        p = rng.random(int(rng.integers(1, 16))) ** 3
        p[: len(p) // 3] = p[0]  # ties
        got = _holm({str(i): float(v) for i, v in enumerate(p)})
        want = multipletests(p, method="holm")[1]
        assert [got[str(i)] for i in range(len(p))] == pytest.approx(list(want), abs=1e-15)


def test_the_mde_of_the_seed_study_is_17_to_20_points() -> None:
    z = 1.959963984540054 + 0.8416212335729143  # z(0.975) + z(0.8)
    for base, want in ((0.2, 0.1825), (0.25, 0.1976), (0.3, 0.2091)):
        hand = z * math.sqrt(base * (1 - base) * (1 / 73 + 1 / 78))
        assert hand == pytest.approx(want, abs=5e-5)
        assert mde(73, 78, base, alpha=0.05, power=0.8) == pytest.approx(hand, abs=1e-12)
        assert plan_study(base=base, intervention=73, control=78) == {"mde": want}
    assert mde(73, 78, 0.0, alpha=0.05, power=0.8) is None
    assert mde(73, 78, 1.0, alpha=0.05, power=0.8) is None
    assert mde(0, 78, 0.3, alpha=0.05, power=0.8) is None


def test_planning_gives_the_smallest_group_with_that_mde() -> None:
    # 2·z²·p(1 − p)/D² = 2 · 2.8016² · 0.1875 / 0.01 = 294.3 → 295
    assert plan_study(base=0.25, mde_target=0.1) == {"per_arm": 295}
    assert mde(295, 295, 0.25, alpha=0.05, power=0.8) <= 0.1  # type: ignore[operator]
    assert mde(294, 294, 0.25, alpha=0.05, power=0.8) > 0.1  # type: ignore[operator]
    stricter = plan_study(base=0.25, mde_target=0.1, alpha=0.01, power=0.9)["per_arm"]
    assert stricter > 295
    for bad in (
        {"base": 0.0, "intervention": 5, "control": 5},
        {"base": 1.0, "mde_target": 0.1},
        {"base": 0.3},
        {"base": 0.3, "intervention": 5},
        {"base": 0.3, "intervention": 0, "control": 5},
        {"base": 0.3, "mde_target": 0.1, "intervention": 5, "control": 5},
        {"base": 0.3, "mde_target": 0.0},
        {"base": 0.3, "intervention": 5, "control": 5, "alpha": 1.5},
    ):
        with pytest.raises(Invalid):
            plan_study(**bad)  # type: ignore[arg-type]


def _flags(cells: tuple[int, int, int, int], step: str = "workplace_visit") -> list[dict[str, Any]]:
    a, b, c, d = cells
    rows = []
    for has_step, job, count in ((1, 1, a), (1, 0, b), (0, 1, c), (0, 0, d)):
        rows += [{"got_job": job, step: has_step} for _ in range(count)]
    steps = ("internship", "education_started", "interviews_plus_two", "cv_improved")
    others = ("network_expanded", "reference_obtained", "learned_education_system")
    others += ("learned_social_codes", "swedish_improved", "professional_swedish_improved")
    for row in rows:
        for name in (*steps, *others, "workplace_visit"):
            row.setdefault(name, 0)
    return rows


def test_odds_ratio_with_woolfs_interval_and_haldane_anscombe() -> None:
    table = associations(_flags((12, 18, 9, 71)))
    visit = table["workplace_visit"]
    assert visit["with_step"] == {"n": 12, "of": 30, "share": 0.4}
    assert visit["without_step"] == {"n": 9, "of": 80, "share": 0.1125}
    se = math.sqrt(1 / 12 + 1 / 18 + 1 / 9 + 1 / 71)
    odds = 12 * 71 / (18 * 9)
    assert visit["odds_ratio"] == pytest.approx(round(odds, 4))
    assert visit["ci"] == pytest.approx(
        [
            round(math.exp(math.log(odds) - 1.959964 * se), 4),
            round(odds * math.exp(1.959964 * se), 4),
        ],
        abs=1e-4,
    )
    assert visit["fisher_p"] == pytest.approx(round(_fisher([[12, 18], [9, 71]]), 4))
    # a zero cell: 0.5 is added to all four cells (not only to the empty one)
    zero = associations(_flags((0, 18, 9, 71)))["workplace_visit"]
    assert zero["odds_ratio"] == pytest.approx(round(0.5 * 71.5 / (18.5 * 9.5), 4))
    # nobody with the step: no odds ratio and no interval, Fisher still there (p = 1)
    nobody = associations(_flags((0, 0, 9, 71)))["workplace_visit"]
    assert (nobody["odds_ratio"], nobody["ci"], nobody["fisher_p"]) == (None, None, 1.0)
    assert nobody["with_step"] == {"n": 0, "of": 0, "share": None}
    # Holm across the eleven steps: ten steps nobody took (p = 1) and this one
    assert table["workplace_visit"]["p_holm"] == pytest.approx(
        round(min(1.0, 11 * _fisher([[12, 18], [9, 71]])), 4)
    )


# --- a study on the database: the edges ------------------------------------------------------

COHORT = line("cohort", id="c1", name="R1", start="2025-01-01", end="2025-06-30")
OTHER = line("cohort", id="c2", name="R2", start="2025-01-01", end="2025-06-30")


def person(
    pid: str,
    arm: str,
    *,
    result: dict[str, Any] | None = None,
    baseline: dict[str, Any] | None = None,
    cohort: str = "c1",
    **fields: Any,
) -> list[str]:
    lines = [line("participant", id=pid, cohort=cohort, gender="woman", arm=arm, **fields)]
    if baseline is not None:
        lines.append(
            line(
                "survey",
                participant=pid,
                wave="baseline",
                answered_on="2024-12-20",
                answers=baseline,
            )
        )
    if result is not None:
        lines.append(
            line("survey", participant=pid, wave="result", answered_on="2025-06-30", answers=result)
        )
    return lines


JOB = {"employment": "full_time"}
NO_JOB = {"employment": "none"}
NONE_AT_START = {"employment": "none", "professional_contacts": 1}


def load(session: Session, *lines: str) -> None:
    import_jsonl(session, list(lines), actor="test")
    session.commit()


def test_an_unknown_study_and_a_bad_basis(session: Session) -> None:
    with pytest.raises(NotFound):
        compute_study(session, "nope")
    load(session, COHORT, line("study", id="s", name="S", cohorts=["c1"]))
    with pytest.raises(Invalid, match="basis"):
        compute_study(session, "s", basis="all")  # type: ignore[arg-type]


def test_an_arm_with_no_one_measured(session: Session) -> None:
    lines = [COHORT, line("study", id="s", name="S", cohorts=["c1"])]
    for i in range(6):
        lines += person(
            f"i{i}", "intervention", result=JOB if i < 3 else NO_JOB, baseline=NONE_AT_START
        )
        lines += person(f"k{i}", "control", baseline=NONE_AT_START)  # no result survey
    load(session, *lines)
    result = compute_study(session, "s")
    job = result["comparisons"]["got_job"]
    assert job["intervention"]["n"] == 3
    assert job["intervention"]["of"] == 6
    assert job["control"] == {"n": 0, "of": 0, "share": None, "ci": None}
    assert (job["difference"], job["difference_ci"], job["chi2_p"], job["mde"]) == (
        None,
        None,
        None,
        None,
    )
    assert job["fisher_p"] == 1.0
    assert job["verdict"] == "not_shown"
    assert job["adjusted"] is None
    assert result["attrition"]["control"]["result"] == 0
    assert result["attrition"]["control"]["baseline"] == 6
    assert result["attrition"]["result_rate_difference"] == 1.0
    measured_balance = {b["covariate"]: b for b in result["balance"]["measured"]}
    assert measured_balance["woman"]["control"] is None
    assert measured_balance["woman"]["smd"] is None
    assert measured_balance["woman"]["imbalanced"] is False
    # on the enrolled basis the control arm is there, judged on B and E alone
    enrolled = compute_study(session, "s", basis="enrolled")["comparisons"]["got_job"]
    assert enrolled["control"]["of"] == 6
    assert enrolled["difference"] == 0.5
    json.dumps(result, allow_nan=False)


def test_an_outcome_everyone_has_and_one_no_one_has(session: Session) -> None:
    lines = [COHORT, line("study", id="s", name="S", cohorts=["c1"])]
    for i in range(12):
        arm = "intervention" if i % 2 else "control"
        contacts = {"employment": "none", "professional_contacts": i % 3}
        lines += person(
            f"p{i}",
            arm,
            result=JOB,
            baseline=contacts,
            education_level="tertiary" if i % 4 else "primary",
        )
    load(session, *lines)
    result = compute_study(session, "s")
    everyone = result["comparisons"]["got_job"]
    assert everyone["intervention"]["share"] == 1.0
    assert everyone["control"]["share"] == 1.0
    assert everyone["difference"] == 0.0
    assert everyone["mde"] is None  # pooled share 1
    assert everyone["chi2_p"] is None  # a column sums to 0
    assert everyone["fisher_p"] == 1.0
    assert everyone["adjusted"] is None  # the outcome is constant
    assert everyone["verdict"] == "not_shown"
    no_one = result["comparisons"]["internship"]
    assert (no_one["intervention"]["n"], no_one["control"]["n"]) == (0, 0)
    assert no_one["intervention"]["ci"][0] == 0.0
    assert no_one["mde"] is None
    assert no_one["chi2_p"] is None
    assert no_one["family"] == "secondary"
    # associations: nobody took an internship, so its odds ratio is not defined
    internship = result["associations"]["internship"]
    assert internship["with_step"] == {"n": 0, "of": 0, "share": None}
    assert (internship["odds_ratio"], internship["ci"]) == (None, None)
    json.dumps(result, allow_nan=False)


def test_a_difference_that_shows_is_named_and_adjusted(session: Session) -> None:
    lines = [COHORT, OTHER, line("study", id="s", name="S", cohorts=["c1"], primary=["got_job"])]
    for i in range(40):
        arm = "intervention" if i < 20 else "control"
        got = (i < 18) or (20 <= i < 24)
        baseline = {"employment": "none", "professional_contacts": i % 5}
        lines += person(
            f"p{i:02d}",
            arm,
            result=JOB if got else NO_JOB,
            baseline=baseline,
            education_level="tertiary" if i % 3 else "secondary",
        )
    lines += person(
        "outside", "control", result=NO_JOB, baseline={"employment": "none"}, cohort="c2"
    )
    load(session, *lines)
    job = compute_study(session, "s")["comparisons"]["got_job"]
    assert (job["intervention"]["n"], job["control"]["n"]) == (18, 4)  # c2 is not in the study
    assert job["difference"] == 0.7
    assert job["p_holm"] == job["fisher_p"]  # alone in its family
    assert job["verdict"] == "more_in_intervention"
    adjusted = job["adjusted"]
    assert adjusted["n"] == 40
    assert adjusted["difference"] == pytest.approx(0.7, abs=0.1)
    assert adjusted["ci"][0] < adjusted["difference"] < adjusted["ci"][1]
    assert adjusted["p"] < 0.001


def test_the_adjusted_estimate_needs_ten_rows_with_known_covariates(session: Session) -> None:
    lines = [COHORT, line("study", id="s", name="S", cohorts=["c1"])]
    for i in range(12):
        arm = "intervention" if i % 2 else "control"
        # only the first nine have a baseline with contacts and a known education level
        baseline = (
            {"employment": "none", "professional_contacts": i} if i < 9 else {"employment": "none"}
        )
        lines += person(
            f"p{i:02d}",
            arm,
            result=JOB if i % 3 else NO_JOB,
            baseline=baseline,
            education_level="tertiary",
        )
    load(session, *lines)
    result = compute_study(session, "s")
    assert result["comparisons"]["got_job"]["adjusted"] is None
    balance = {b["covariate"]: b for b in result["balance"]["randomised"]}
    # tertiary is known for all, the same for all: its SMD's denominator is 0
    assert balance["tertiary"]["intervention"] == 1.0
    assert balance["tertiary"]["smd"] is None
    # contacts are known for the nine with a baseline answer: means over those only
    assert balance["contacts_at_baseline"]["intervention"] == pytest.approx((1 + 3 + 5 + 7) / 4)
    assert balance["contacts_at_baseline"]["control"] == pytest.approx((0 + 2 + 4 + 6 + 8) / 5)


def test_balance_smd_by_hand(session: Session) -> None:
    lines = [COHORT, line("study", id="s", name="S", cohorts=["c1"])]
    years = {"i0": 1980, "i1": 1990, "i2": 1985, "k0": 1982, "k1": 1984}
    for pid, year in years.items():
        arm = "intervention" if pid.startswith("i") else "control"
        lines += person(pid, arm, birth_year=year)
    lines += person("k2", "control")  # birth year unknown
    load(session, *lines)
    rows = {b["covariate"]: b for b in compute_study(session, "s")["balance"]["randomised"]}
    # birth year: means 1985 and 1983, sample variances 25 and 2 → SMD 2 / √13.5
    assert rows["birth_year"]["intervention"] == 1985.0
    assert rows["birth_year"]["control"] == 1983.0
    assert rows["birth_year"]["smd"] == pytest.approx(round(2 / math.sqrt(13.5), 4))
    assert rows["birth_year"]["imbalanced"] is True
    assert rows["woman"]["smd"] is None  # everyone a woman: v = 0 in both arms
    assert rows["employed_at_baseline"]["intervention"] is None  # no baseline surveys


# --- register ---------------------------------------------------------------------------------


def rp(pid: str, group: str, participant: str | None = None, **overrides: Any) -> str:
    fields: dict[str, Any] = {
        "gender": "woman",
        "birth_year": 1986,
        "citizenship": "SY",
        "county": "Stockholm",
        "education_level": "tertiary",
        "arrival_period": "2016-2018",
        "employed_at_start": False,
        "start_month": "2025-01",
    }
    fields.update(overrides)
    fields = {k: v for k, v in fields.items() if v is not None}
    if participant:
        fields["participant"] = participant
    return line("register_person", id=pid, study="s", group=group, **fields)


def months(pid: str, employed: dict[str, bool]) -> list[str]:
    return [line("register_month", person=pid, month=m, employed=e) for m, e in employed.items()]


def test_no_register_persons_means_no_register_block(session: Session) -> None:
    load(session, COHORT, line("study", id="s", name="S", cohorts=["c1"]))
    assert compute_study(session, "s")["register"] is None


def test_coarsened_exact_matching_weights_and_the_end_difference(session: Session) -> None:
    lines = [COHORT, line("study", id="s", name="S", cohorts=["c1"])]
    for i in range(3):
        lines += person(f"i{i}", "intervention")
    lines += [
        # stratum A (born 1985–1989): two treated, one control
        rp("ra1", "intervention", "i0", birth_year=1986),
        rp("ra2", "intervention", "i1", birth_year=1989),
        rp("xa1", "external_control", birth_year=1985),
        # stratum B (men): one treated, two controls
        rp("rb1", "intervention", "i2", gender="man"),
        rp("xb1", "external_control", gender="man"),
        rp("xb2", "external_control", gender="man"),
        # a stratum with only one group: unmatched
        rp("xc1", "external_control", county="Skåne"),
        # a matching variable missing: unmatched
        rp("xd1", "external_control", citizenship=None),
    ]
    # T = 3, C = 3: weights xa1 (2/1)(3/3) = 2, xb1 = xb2 = (1/2)(3/3) = 0.5
    lines += months("ra1", {"2024-10": False, "2025-08": True})
    lines += months("ra2", {"2024-10": False, "2025-08": True})
    lines += months("rb1", {"2024-10": False, "2025-08": False})
    lines += months("xa1", {"2024-10": False, "2025-08": False})
    lines += months("xb1", {"2024-10": True, "2025-08": True})
    lines += months("xb2", {"2024-10": False, "2025-08": False, "2026-03": True})
    lines += months("xc1", {"2025-08": True})  # unmatched: never counted
    load(session, *lines)
    register = compute_study(session, "s")["register"]
    assert register["matched"] == {"intervention": 3, "external_control": 3}
    assert register["unmatched"] == {"intervention": 0, "external_control": 2}
    assert register["strata"] == 2
    # months: −3 and 7 have rows; 14 is past the end of the series; no other month has rows
    assert register["months"] == [
        {"month": -3, "intervention": 0.0, "external_control": round(0.5 / 3, 4)},
        {"month": 7, "intervention": round(2 / 3, 4), "external_control": round(0.5 / 3, 4)},
    ]
    end = register["end"]
    assert end["month"] == 7
    assert end["n"] == 6
    # WLS of employed on treat: the difference of the weighted shares
    assert end["difference"] == pytest.approx(round(2 / 3 - 0.5 / 3, 4))

    # HC2 for a two-group WLS by hand: Σ w²e²/(1 − h) / (Σw)² per group, h = w/Σw
    def group_variance(ws: list[float], ys: list[float]) -> float:
        total = sum(ws)
        mean = sum(w * y for w, y in zip(ws, ys, strict=True)) / total
        return (
            sum(w * w * (y - mean) ** 2 / (1 - w / total) for w, y in zip(ws, ys, strict=True))
            / total**2
        )

    se = math.sqrt(group_variance([1, 1, 1], [1, 1, 0]) + group_variance([2, 0.5, 0.5], [0, 1, 0]))
    assert end["ci"] == pytest.approx(
        [end["difference"] - 1.959964 * se, end["difference"] + 1.959964 * se], abs=2e-4
    )


def test_the_end_needs_both_groups_at_that_month(session: Session) -> None:
    lines = [COHORT, line("study", id="s", name="S", cohorts=["c1"], register_end_month=3)]
    lines += person("i0", "intervention")
    lines += [rp("r0", "intervention", "i0"), rp("x0", "external_control")]
    lines += months("r0", {"2025-04": True})
    lines += months("x0", {"2025-05": False})
    load(session, *lines)
    register = compute_study(session, "s")["register"]
    assert register["end"] is None
    assert register["months"] == [
        {"month": 3, "intervention": 1.0, "external_control": None},
        {"month": 4, "intervention": None, "external_control": 0.0},
    ]


# --- steering --------------------------------------------------------------------------------


def test_steering_uses_the_report_until_200_are_measured(session: Session) -> None:
    lines = [COHORT]
    for i in range(199):
        lines += person(
            f"p{i:03d}", "intervention", result=JOB if i % 2 else NO_JOB, baseline=NO_JOB
        )
    load(session, *lines)
    before = steering(session)
    assert before["source"] == "report"
    assert before["measured"] == 199
    assert before["steps"] == [
        "reference_obtained",
        "workplace_visit",
        "swedish_improved",
        "professional_swedish_improved",
    ]


def test_steering_uses_the_programs_own_associations_from_200(session: Session) -> None:
    lines = [COHORT]
    for i in range(240):
        got = i % 2 == 1
        items: dict[str, bool] = {}
        if got and i % 4 == 1 or not got and i % 16 == 0:
            items["cv_improved"] = True  # strongly with a job
        if got and i % 8 == 1 or not got and i % 8 == 0:
            items["internship"] = True  # as often with as without
        if got and i % 3 == 0 or not got and i % 10 == 0:
            items["learned_social_codes"] = True  # with a job, less strongly
        answers = {**(JOB if got else NO_JOB), "items": items}
        lines += person(f"p{i:03d}", "intervention", result=answers, baseline=NO_JOB)
    load(session, *lines)
    now = steering(session)
    assert now["source"] == "program"
    assert now["measured"] == 240
    assert now["steps"] == ["cv_improved", "learned_social_codes"]


def test_a_covariate_that_moves_with_treat_leaves_no_adjusted_estimate(session: Session) -> None:
    lines = [COHORT, line("study", id="s", name="S", cohorts=["c1"])]
    for i in range(14):
        arm = "intervention" if i % 2 else "control"
        # every intervention participant a woman, every control a man: woman is treat
        lines.append(
            line(
                "participant",
                id=f"p{i:02d}",
                cohort="c1",
                gender="woman" if i % 2 else "man",
                arm=arm,
                education_level="tertiary" if i % 3 else "primary",
            )
        )
        baseline = {"employment": "none", "professional_contacts": i}
        lines.append(
            line(
                "survey",
                participant=f"p{i:02d}",
                wave="baseline",
                answered_on="2024-12-20",
                answers=baseline,
            )
        )
        lines.append(
            line(
                "survey",
                participant=f"p{i:02d}",
                wave="result",
                answered_on="2025-06-30",
                answers=JOB if i % 4 == 1 else NO_JOB,
            )
        )
    load(session, *lines)
    result = compute_study(session, "s")
    assert result["comparisons"]["got_job"]["intervention"]["n"] == 4
    assert result["comparisons"]["got_job"]["adjusted"] is None
