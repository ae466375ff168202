"""The numbers of the staff overview: how a round is doing, per cohort and for all.

    data = overview(session, cohort="c-2026")      # or cohort=None for every cohort
    data = overview(session, page=3, per_page=50, charted=12)   # one page of the cohorts

Every number comes from the one indicator engine (:func:`outcomes.indicators.compute_indicators`),
added up from the kept per-participant outcomes (``kept=True``: a GROUP BY over one row per
person, kept by every write in its transaction, ``outcomes/kept.py``), so the page shows what
``stegvis indicators --json`` and ``GET /api/v1/indicators`` give for the same data, at once:
``total`` (with the cohort's ``targets`` when one cohort is chosen), ``by_gender`` and, for all
cohorts, ``by_cohort`` (each with its targets: the cohorts of one page, when paged, so that a
program of thousands of cohorts adds up only the ones shown) and ``charted`` (the newest).
``response_over_time`` adds how the baseline and result surveys came in, week by week (Monday to
Sunday) — month by month when the answers span more than half a year — as a share of those
enrolled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from core.vocab import Basis, SurveyStatus, Wave
from outcomes.indicators import compute_indicators, group_sort_key, share
from outcomes.kept_models import OutcomeCell, ResponseCell
from outcomes.models import Cohort, Participant, Survey
from outcomes.types import table_of

HEADLINE: tuple[str, ...] = ("job_or_steps", "got_job", "measurable_steps", "network_expanded")
"""The indicators the overview leads with (any other indicator with a target is shown too)."""

RESPONSE_WAVES: tuple[str, ...] = (Wave.baseline.value, Wave.result.value)


WEEKS_AT_MOST = 26  # longer spans are shown by month


@dataclass(frozen=True)
class ResponsePoint:
    """Surveys of one wave answered by the end of a period, as a count and a share of enrolled."""

    period: date  # the Monday of the week, or the first of the month
    unit: str  # "week" | "month"
    wave: str
    answered: int
    share: float | None


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def response_over_time(
    session: Session, *, cohort: str | None, enrolled: int, kept: bool = True
) -> list[ResponsePoint]:
    """Cumulative complete baseline and result responses per week (first answer to the last).

    ``kept``: counted from the kept response cells (``response_cell``, per cohort, wave and
    day, kept by every write); ``False`` counts the surveys themselves (the same numbers)."""
    if kept:
        rc = table_of(ResponseCell)
        query = (
            select(rc.c.wave, rc.c.answered_on, func.sum(rc.c.people))
            .where(rc.c.wave.in_(RESPONSE_WAVES))
            .group_by(rc.c.wave, rc.c.answered_on)
            .having(func.sum(rc.c.people) > 0)
        )
        if cohort is not None:
            query = query.where(rc.c.cohort == cohort)
    else:
        s = table_of(Survey)
        p = table_of(Participant)
        query = (
            select(s.c.wave, s.c.answered_on, func.count())
            .select_from(s.join(p, p.c.id == s.c.participant))
            .where(s.c.status == SurveyStatus.complete.value, s.c.wave.in_(RESPONSE_WAVES))
            .group_by(s.c.wave, s.c.answered_on)
        )
        if cohort is not None:
            query = query.where(p.c.cohort == cohort)
    per_day: dict[tuple[str, date], int] = {}
    for wave, day, count in session.execute(query):
        if isinstance(day, str):
            day = date.fromisoformat(day)
        per_day[(wave, day)] = per_day.get((wave, day), 0) + int(count)
    if not per_day:
        return []
    first = min(day for _w, day in per_day)
    last = max(day for _w, day in per_day)
    monthly = (last - first).days > 7 * WEEKS_AT_MOST

    def step(day: date) -> date:
        return _next_month(day) if monthly else day + timedelta(days=7)

    start = first.replace(day=1) if monthly else first - timedelta(days=first.weekday())
    periods = [start]
    while step(periods[-1]) <= last:
        periods.append(step(periods[-1]))
    points: list[ResponsePoint] = []
    for wave in RESPONSE_WAVES:
        days = sorted((day, n) for (w, day), n in per_day.items() if w == wave)
        running, k = 0, 0
        for period in periods:
            end = step(period)
            while k < len(days) and days[k][0] < end:
                running += days[k][1]
                k += 1
            unit = "month" if monthly else "week"
            points.append(ResponsePoint(period, unit, wave, running, share(running, enrolled)))
    return points


def cohorts_enrolled(session: Session, *, basis: Basis = "measured") -> list[str]:
    """The cohorts with anyone enrolled, in the order of the engine's groups ``by="cohort"``
    (read from the kept cells: one row per cohort, gender and basis)."""
    cell = table_of(OutcomeCell)
    query = (
        select(cell.c.cohort)
        .where(cell.c.basis == basis)
        .group_by(cell.c.cohort)
        .having(func.sum(cell.c.people) > 0)
    )
    return sorted(session.execute(query).scalars(), key=group_sort_key)


def newest_cohorts(session: Session, limit: int) -> list[str]:
    """The ``limit`` cohorts that started last (the newest first)."""
    c = table_of(Cohort)
    query = select(c.c.id).order_by(c.c.start.desc(), c.c.id).limit(limit)
    return list(session.execute(query).scalars())


@dataclass(frozen=True)
class CohortPage:
    """Which rows of the table per cohort one page shows (numbers from 1)."""

    page: int
    pages: int
    first: int
    last: int
    total: int


def overview(
    session: Session,
    *,
    cohort: str | None = None,
    basis: Basis = "measured",
    page: int = 1,
    per_page: int | None = None,
    charted: int = 0,
) -> dict[str, Any]:
    """Everything the overview page shows (``NotFound`` for an unknown cohort).

    For all cohorts, ``by_cohort`` has the groups of page ``page`` of ``per_page`` cohorts
    (every cohort when ``per_page`` is ``None``), ``cohort_page`` says which, and ``charted``
    has the groups of the ``charted`` newest cohorts (for the chart): only the cohorts shown
    are added up, whatever the number of cohorts in the program."""
    by_gender = compute_indicators(session, cohort=cohort, by="gender", basis=basis, kept=True)
    total = by_gender["total"]
    by_cohort: list[dict[str, Any]] | None = None
    charted_groups: list[dict[str, Any]] = []
    cohort_page = None
    if cohort is None:
        every = cohorts_enrolled(session, basis=basis)
        size = per_page or max(1, len(every))
        pages = max(1, -(-len(every) // size))
        page = min(max(page, 1), pages)
        shown = every[(page - 1) * size : page * size]
        newest = set(every).intersection(newest_cohorts(session, charted)) if charted else set()
        wanted = sorted(set(shown) | newest, key=group_sort_key)
        groups = (
            compute_indicators(session, by="cohort", basis=basis, cohorts=wanted, kept=True)[
                "groups"
            ]
            if wanted
            else []
        )
        in_page = set(shown)
        by_cohort = [g for g in groups if g["key"]["cohort"] in in_page]
        charted_groups = [g for g in groups if g["key"]["cohort"] in newest]
        first = (page - 1) * size
        cohort_page = CohortPage(page, pages, first + 1, first + len(shown), len(every))
    headline = list(HEADLINE)
    for key in total.get("targets") or {}:
        if key in total["indicators"] and key not in headline:
            headline.append(key)
    return {
        "filters": by_gender["filters"],
        "total": total,
        "by_gender": by_gender["groups"],
        "by_cohort": by_cohort,
        "charted": charted_groups,
        "cohort_page": cohort_page,
        "headline": headline,
        "response_over_time": response_over_time(
            session, cohort=cohort, enrolled=total["enrolled"]
        ),
    }
