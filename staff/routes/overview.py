"""The overview: how the round is doing, per cohort and for all (every role)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import func
from sqlmodel import Session, col, select

from outcomes.models import Cohort
from outcomes.overview import overview
from outcomes.types import table_of
from staff import charts
from staff.deps import Anyone, DbDep
from staff.i18n import Format
from staff.labels import INDICATORS, WAVES
from staff.templating import gettext_for, render

router = APIRouter()


def cohorts(db: Session) -> list[Cohort]:
    """Every cohort, the newest first (for the pickers)."""
    return list(db.exec(select(Cohort).order_by(col(Cohort.start).desc(), col(Cohort.id))).all())


CHART_COHORTS = 12
COHORTS_PER_PAGE = 50
"""Rows of the per-cohort table on one page: a national program has thousands of cohorts, and a
page that lists them all is neither readable nor fast (the totals above count them all)."""
PICKER_COHORTS = 100
"""Cohorts a picker lists: up to this many, a list to choose from; more, a field to type the
cohort in, suggesting the newest (a list of thousands is neither usable nor fast)."""


@dataclass(frozen=True)
class CohortPicker:
    """The cohort filter of a page: every cohort (``complete``) or the newest of ``count``."""

    count: int
    options: list[tuple[str, str]]  # (id, name), the newest first

    @property
    def complete(self) -> bool:
        return len(self.options) == self.count


def cohort_picker(db: Session) -> CohortPicker:
    """The cohorts a filter offers: all of them, or the ``PICKER_COHORTS`` newest."""
    c = table_of(Cohort)
    count = db.execute(select(func.count()).select_from(c)).scalar_one()
    newest = db.execute(
        select(c.c.id, c.c.name).order_by(c.c.start.desc(), c.c.id).limit(PICKER_COHORTS)
    ).all()
    return CohortPicker(int(count), [(row.id, row.name) for row in newest])


def _bars(data: dict[str, Any], lang: str) -> tuple[str, list[dict[str, Any]]]:
    """The headline indicators (one cohort) or job-or-steps per cohort (all: the most recent
    ``CHART_COHORTS``; the table "per cohort" has every one), with the targets."""
    _ = gettext_for(lang)
    rows: list[dict[str, Any]] = []
    if data["by_cohort"] is None:
        targets = data["total"].get("targets") or {}
        for name in data["headline"]:
            ind = data["total"]["indicators"][name]
            rows.append(
                {
                    "label": _(INDICATORS[name]),
                    "share": ind["share"],
                    "n": ind["n"],
                    "of": ind["of"],
                    "target": (targets.get(name) or {}).get("target"),
                }
            )
    else:
        for group in data["charted"]:
            ind = group["indicators"]["job_or_steps"]
            rows.append(
                {
                    "label": str(group["key"]["cohort"]),
                    "share": ind["share"],
                    "n": ind["n"],
                    "of": ind["of"],
                    "target": ((group.get("targets") or {}).get("job_or_steps") or {}).get(
                        "target"
                    ),
                }
            )
    svg = charts.target_bars(rows, lang=lang, percent_title=_("Share")) if rows else ""
    return svg, rows


def _response(data: dict[str, Any], lang: str) -> tuple[str, list[dict[str, Any]]]:
    _ = gettext_for(lang)
    fmt = Format(lang)
    points = [
        {
            "week": fmt.date(p.period, "d MMM" if p.unit == "week" else "MMM yyyy"),
            "monday": p.period,
            "unit": p.unit,
            "series": _(WAVES[p.wave]),
            "wave": p.wave,
            "share": p.share or 0.0,
            "answered": p.answered,
        }
        for p in data["response_over_time"]
    ]
    if not points:
        return "", []
    svg = charts.response_lines(
        [{"week": p["week"], "series": p["series"], "share": p["share"]} for p in points],
        lang=lang,
        percent_title=_("Share of those enrolled"),
    )
    # the table: one row per week, a column per wave
    weeks: dict[Any, dict[str, Any]] = {}
    for p in points:
        weeks.setdefault(p["monday"], {"week": p["monday"]})[p["wave"]] = p
    return svg, list(weeks.values())


@router.get("/overview")
def overview_page(
    request: Request,
    db: DbDep,
    visitor: Anyone,
    cohort: Annotated[str | None, Query(max_length=64)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Enrolled, response rate and the headline indicators against the targets; by gender."""
    cohort = cohort or None
    data = overview(db, cohort=cohort, page=page, per_page=COHORTS_PER_PAGE, charted=CHART_COHORTS)
    lang = visitor.user.language
    bars_svg, bars = _bars(data, lang)
    response_svg, response_rows = _response(data, lang)
    return render(
        request,
        "overview.html",
        {
            "picker": cohort_picker(db),
            "cohort": cohort,
            "data": data,
            "chart_cohorts": CHART_COHORTS,
            "bars_svg": bars_svg,
            "bars": bars,
            "response_svg": response_svg,
            "response_rows": response_rows,
            "cohort_rows": data["by_cohort"] or [],
            "cohort_page": data["cohort_page"],
        },
        visitor=visitor,
    )
