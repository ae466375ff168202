"""``GET /api/v1/indicators``: the engine's JSON unchanged — the same as ``stegvis indicators --json``.

``GET /api/v1/indicators/group-meetings``: per cohort, the share of participants who attended
each kind of group meeting (``outcomes.indicators.group_meeting_attendance``).

``GET /api/v1/indicators/mentors[?cohort=ID]``: what the mentors gain, from their own survey
(``compute_mentor_indicators``), in total and per cohort.

Any role (admin, staff, analyst).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.deps import ID, ID_PATTERN, AnalystReader, SessionDep
from core.vocab import Basis, Grouping
from outcomes.indicators import (
    compute_indicators,
    compute_mentor_indicators,
    group_meeting_attendance,
)
from outcomes.schemas import IsoDay

router = APIRouter(prefix="/indicators", tags=["indicators"])

CohortQuery = Annotated[
    str | None,
    Query(min_length=1, max_length=ID, pattern=ID_PATTERN, description="Only this cohort"),
]
ByQuery = Annotated[Grouping | None, Query(description="Group by this background variable")]
BasisQuery = Annotated[
    Basis,
    Query(description="`measured` (of those with a result survey) or `enrolled` (of everyone)"),
]
FromQuery = Annotated[
    IsoDay | None, Query(alias="from", description="Cohorts running from this day (YYYY-MM-DD)")
]
ToQuery = Annotated[
    IsoDay | None, Query(alias="to", description="Cohorts running to this day (YYYY-MM-DD)")
]


def window(date_from: date | None, date_to: date | None) -> tuple[date | None, date | None] | None:
    """The engine's ``window`` for the query's ``from``/``to`` (``None`` when neither is given)."""
    return None if date_from is None and date_to is None else (date_from, date_to)


@router.get("", response_model=dict[str, Any])
def read_indicators(
    session: SessionDep,
    _: AnalystReader,
    cohort: CohortQuery = None,
    by: ByQuery = None,
    basis: BasisQuery = "measured",
    date_from: FromQuery = None,
    date_to: ToQuery = None,
) -> JSONResponse:
    """The indicators of spec/outcomes.md: total, and per group with ``by``."""
    result = compute_indicators(
        session, cohort=cohort, by=by, basis=basis, window=window(date_from, date_to)
    )
    return JSONResponse(result)


@router.get("/group-meetings", response_model=dict[str, Any])
def read_group_meeting_indicators(
    session: SessionDep,
    _: AnalystReader,
    cohort: CohortQuery = None,
    date_from: FromQuery = None,
    date_to: ToQuery = None,
) -> JSONResponse:
    """Per cohort: of everyone enrolled, how many attended a kick-off and each workshop."""
    result = group_meeting_attendance(session, cohort=cohort, window=window(date_from, date_to))
    return JSONResponse(result)


@router.get("/mentors", response_model=dict[str, Any])
def read_mentor_indicators(
    session: SessionDep, _: AnalystReader, cohort: CohortQuery = None
) -> JSONResponse:
    """The mentors' indicators: the share who report more contact with people new to Sweden,
    more knowledge of and engagement in integration, who are satisfied and would mentor again;
    in total and per cohort."""
    return JSONResponse(compute_mentor_indicators(session, cohort=cohort))
