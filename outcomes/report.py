"""The round report's numbers: what the funder's results pages show, gathered, never computed.

    data = build_report(session, cohorts=["c-2026"], window=None, study="rise", lang="sv")

Every figure comes from the one indicator engine (:func:`outcomes.indicators.compute_indicators`,
with the filters of ``stegvis indicators --json``: the cohorts, the date window, the basis) and
the one study engine (:func:`outcomes.study.compute_study` and the plain sentences of
:mod:`outcomes.study_text`). This module only picks what the pages need and names it; the
rendering (HTML, PDF, charts, small-cell protection, words) is the adapter's (``staff/report.py``).

The result (plain data, JSON-ready but for the dates):

* ``filters`` — as the engine returns them (``cohort`` or ``cohorts``, ``basis``, ``from``/``to``);
* ``cohorts`` — the cohorts in scope (``id``, ``name``, ``start``, ``end``, ``region``), oldest
  first;
* ``total`` — the engine's ``total`` (with the targets when one cohort is chosen);
* ``by_gender`` — the engine's groups ``by="gender"`` for the same filters (women, men, other,
  not stated: the order of ``core.vocab.Gender``);
* ``by_cohort`` — the engine's groups ``by="cohort"`` for the same filters, each with its targets;
* ``sections`` — which indicators each section of the report shows (names of ``INDICATORS``);
* ``mentors`` — what the mentors gain: :func:`outcomes.indicators.compute_mentor_indicators`
  for the cohorts in scope (all mentors when no cohort or window is chosen);
* ``study`` — ``None``, or ``{"result": <stegvis study --json>, "sentences": …}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from core.vocab import HEADLINE_INDICATORS, MINOR_ITEMS, Basis, Gender
from outcomes.indicators import compute_indicators, compute_mentor_indicators
from outcomes.models import Cohort

PRIMARY: tuple[str, ...] = ("job_or_steps", "got_job", "measurable_steps", "network_expanded")
"""The primary outcomes of the seed report, in its order (targets: 90 % steps, 80 % network)."""

STEPS: tuple[str, ...] = (
    "internship",
    "education_started",
    "interviews_plus_two",
    "minor_steps_5_of_8",
    *MINOR_ITEMS,
)
"""The step items and the two composite steps, in the order of the seed report."""

CONTRIBUTION: tuple[str, ...] = (
    "job_contributed",
    "internship_contributed",
    "education_contributed",
    "relevant_job_contributed",
)
"""How many say the program helped."""

PER_COHORT: tuple[str, ...] = ("job_or_steps", "network_expanded")
"""The indicators the per-cohort table shows beside enrolled and the response rate."""

SECTIONS: dict[str, tuple[str, ...]] = {
    "primary": PRIMARY,
    "steps": STEPS,
    "contribution": CONTRIBUTION,
    "per_cohort": PER_COHORT,
}


def _check_sections() -> None:
    if not set(PRIMARY) <= set(HEADLINE_INDICATORS):
        raise ValueError("outcomes.report: a primary outcome is not a headline indicator")


_check_sections()


def build_report(
    session: Session,
    *,
    cohorts: Sequence[str] | None = None,
    window: tuple[date | None, date | None] | None = None,
    basis: Basis = "measured",
    study: str | None = None,
    lang: str = "en",
) -> dict[str, Any]:
    """Everything the round report shows (``NotFound`` for an unknown cohort or study,
    ``Invalid`` for a bad basis, window or language)."""
    chosen = list(dict.fromkeys(cohorts)) if cohorts else None
    by_gender = compute_indicators(session, cohorts=chosen, by="gender", basis=basis, window=window)
    by_cohort = compute_indicators(session, cohorts=chosen, by="cohort", basis=basis, window=window)
    ids = [g["key"]["cohort"] for g in by_cohort["groups"]]
    rows = session.exec(
        select(Cohort).where(col(Cohort.id).in_(ids)).order_by(col(Cohort.start), col(Cohort.id))
    ).all()
    found = [
        {"id": c.id, "name": c.name, "start": c.start, "end": c.end, "region": c.region}
        for c in rows
    ]
    order = {c["id"]: k for k, c in enumerate(found)}
    groups = sorted(by_cohort["groups"], key=lambda g: order.get(g["key"]["cohort"], len(order)))
    genders = {g.value: k for k, g in enumerate(Gender)}  # women first, as the seed report
    by_gender_groups = sorted(
        by_gender["groups"], key=lambda g: genders.get(g["key"]["gender"], len(genders))
    )
    mentors = compute_mentor_indicators(session, cohorts=_mentor_scope(session, chosen, window))
    return {
        "filters": by_gender["filters"],
        "cohorts": found,
        "total": by_gender["total"],
        "by_gender": by_gender_groups,
        "by_cohort": groups,
        "sections": SECTIONS,
        "mentors": mentors,
        "study": _study(session, study, basis, lang) if study else None,
    }


def _mentor_scope(
    session: Session,
    chosen: list[str] | None,
    window: tuple[date | None, date | None] | None,
) -> list[str] | None:
    """The cohorts whose mentors the report counts: those chosen, and of them (or of all) those
    whose dates overlap the window, as the indicator engine scopes the participants;
    ``None``: every cohort."""
    if window is None:
        return chosen
    first, last = window
    query = select(Cohort.id)
    if chosen is not None:
        query = query.where(col(Cohort.id).in_(chosen))
    if last is not None:
        query = query.where(col(Cohort.start) <= last)
    if first is not None:
        query = query.where(col(Cohort.end) >= first)
    return list(session.exec(query).all())


def _study(session: Session, study_id: str, basis: Basis, lang: str) -> dict[str, Any]:
    """The study as ``stegvis study ID --json`` gives it, and its plain sentences."""
    from outcomes.study import compute_study
    from outcomes.study_text import LANGUAGES, study_sentences

    result = compute_study(session, study_id, basis=basis)
    text_lang = lang if lang in LANGUAGES else "en"
    return {"result": result, "sentences": study_sentences(result, text_lang)}  # type: ignore[arg-type]
