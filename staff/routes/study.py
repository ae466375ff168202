"""The study page: the comparison of spec/study.md once the study engine exists (every role).

The hook: ``staff.study_hook.study_view(session)`` returns ``None`` while ``outcomes.study`` is
not there, and the page says "no study yet". When the study engine lands, that function turns its
result into what ``study.html`` shows (plain sentences, intervals as whiskers, the attrition
funnel by arm, the balance table).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from staff.deps import Anyone, DbDep
from staff.study_hook import study_view
from staff.templating import render

router = APIRouter()


@router.get("/study")
def study_page(request: Request, db: DbDep, visitor: Anyone) -> Response:
    """The study comparison, or "no study yet"."""
    return render(request, "study.html", {"study": study_view(db)}, visitor=visitor)
