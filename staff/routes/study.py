"""The study page: the comparison of spec/study.md for a chosen study (every role, analysts too).

``staff.study_hook.study_view`` turns the study engine's result into the page: plain sentences,
intervals drawn as whiskers, the attrition funnel by arm and the balance tables, each chart with
its table; without a study the page says "no study yet".
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from outcomes.errors import NotFound
from staff.deps import Anyone, DbDep
from staff.study_hook import study_view
from staff.templating import render

router = APIRouter()


@router.get("/study")
def study_page(
    request: Request,
    db: DbDep,
    visitor: Anyone,
    study: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The comparison of one study (picked), or "no study yet"."""
    try:
        view = study_view(db, study or None, visitor.user.language)
    except NotFound:
        view, unknown = study_view(db, None, visitor.user.language), study
    else:
        unknown = None
    return render(
        request,
        "study.html",
        {"study": view, "unknown": unknown},
        visitor=visitor,
        status_code=404 if unknown else 200,
    )
