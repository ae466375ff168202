"""CSV exports: every record table, and the indicators as tidy CSV. Any role (analysts too).

``GET /api/v1/exports/{table}.csv`` takes the list filters (``cohort``, ``participant``, ``from``,
``to``; ``type`` for events); ``GET /api/v1/exports/indicators.csv`` the indicators' parameters.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import PlainTextResponse, StreamingResponse

from api.deps import AnalystReader, EngineDep, FilterDep, SessionDep
from api.routes.indicators import BasisQuery, ByQuery, CohortQuery, FromQuery, ToQuery, window
from core.vocab import EventType
from outcomes import exports

router = APIRouter(prefix="/exports", tags=["exports"])
CSV = "text/csv; charset=utf-8"
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "CSV with a header row",
    },
}


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get("/indicators.csv", responses=CSV_RESPONSE)
def export_indicators(
    session: SessionDep,
    _: AnalystReader,
    cohort: CohortQuery = None,
    by: ByQuery = None,
    basis: BasisQuery = "measured",
    date_from: FromQuery = None,
    date_to: ToQuery = None,
) -> PlainTextResponse:
    """The indicators, one row per group × indicator with n, of, share (and target, met)."""
    text = exports.indicators_csv(
        session, cohort=cohort, by=by, basis=basis, window=window(date_from, date_to)
    )
    return PlainTextResponse(text, media_type=CSV, headers=_attachment("indicators.csv"))


@router.get("/{table}.csv", responses=CSV_RESPONSE)
def export_table(
    table: Annotated[exports.Table, Path(description="The table")],
    engine: EngineDep,
    _: AnalystReader,
    filters: FilterDep,
    event_type: Annotated[
        EventType | None, Query(alias="type", description="Events of this type")
    ] = None,
) -> StreamingResponse:
    """One table as CSV with the spec's field names, filtered like its list."""
    filters = replace(filters, event_type=event_type.value if event_type else None)
    return StreamingResponse(
        exports.stream_table_csv(engine, table, filters),
        media_type=CSV,
        headers=_attachment(f"{table.value}.csv"),
    )
