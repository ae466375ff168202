"""Studies (spec/study.md): staff create and edit them; analysts and up read the comparisons.

``GET /api/v1/studies/{id}`` returns the study engine's JSON unchanged — the same as
``stegvis study ID --json`` — with ``basis`` as there; ``…/comparisons.csv`` and
``…/associations.csv`` the tidy tables; ``…/sentences`` every comparison in plain words.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse, PlainTextResponse

from api.deps import AnalystReader, PagingDep, RecordId, SessionDep, StaffDep, actor
from api.routes.exports import CSV, CSV_RESPONSE
from api.routes.indicators import BasisQuery
from outcomes import study_service
from outcomes.schemas import Page
from outcomes.study import associations_csv, comparisons_csv, compute_study
from outcomes.study_models import StudyCreate, StudyPublic, StudyUpdate, study_public
from outcomes.study_text import Language, study_sentences

router = APIRouter(prefix="/studies", tags=["studies"])
LangQuery = Annotated[Language, Query(description="`en` or `sv`")]


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get("")
def list_studies(session: SessionDep, _: AnalystReader, paging: PagingDep) -> Page[StudyPublic]:
    """Every study, by id."""
    rows, total = study_service.list_studies(session, limit=paging.limit, offset=paging.offset)
    return Page(
        items=[study_public(r) for r in rows], total=total, limit=paging.limit, offset=paging.offset
    )


@router.post("", status_code=status.HTTP_201_CREATED)
def create_study(body: StudyCreate, session: SessionDep, token: StaffDep) -> StudyPublic:
    """Create a study over cohorts that exist (409 when the id exists)."""
    return study_public(study_service.create_study(session, body, actor=actor(token)))


@router.get("/{study_id}", response_model=dict[str, Any])
def read_study(
    study_id: RecordId, session: SessionDep, _: AnalystReader, basis: BasisQuery = "measured"
) -> JSONResponse:
    """Attrition, balance, comparisons, associations and the register comparison."""
    return JSONResponse(compute_study(session, study_id, basis=basis))


@router.patch("/{study_id}")
def update_study(
    study_id: RecordId, body: StudyUpdate, session: SessionDep, token: StaffDep
) -> StudyPublic:
    """Change the fields given; the earlier version goes to the audit log."""
    return study_public(study_service.update_study(session, study_id, body, actor=actor(token)))


@router.delete("/{study_id}")
def delete_study(study_id: RecordId, session: SessionDep, token: StaffDep) -> dict[str, int]:
    """Delete a study with its register persons and months (how many of each went)."""
    return study_service.delete_study(session, study_id, actor=actor(token))


@router.get("/{study_id}/comparisons.csv", responses=CSV_RESPONSE)
def export_comparisons(
    study_id: RecordId, session: SessionDep, _: AnalystReader, basis: BasisQuery = "measured"
) -> PlainTextResponse:
    """The comparisons as tidy CSV: one row per indicator."""
    text = comparisons_csv(compute_study(session, study_id, basis=basis))
    return PlainTextResponse(
        text, media_type=CSV, headers=_attachment(f"{study_id}-comparisons.csv")
    )


@router.get("/{study_id}/associations.csv", responses=CSV_RESPONSE)
def export_associations(
    study_id: RecordId, session: SessionDep, _: AnalystReader, basis: BasisQuery = "measured"
) -> PlainTextResponse:
    """Which steps go with getting a job, as tidy CSV: one row per step (associations, not
    effects)."""
    text = associations_csv(compute_study(session, study_id, basis=basis))
    return PlainTextResponse(
        text, media_type=CSV, headers=_attachment(f"{study_id}-associations.csv")
    )


@router.get("/{study_id}/sentences", response_model=dict[str, Any])
def read_sentences(
    study_id: RecordId,
    session: SessionDep,
    _: AnalystReader,
    basis: BasisQuery = "measured",
    lang: LangQuery = "en",
) -> JSONResponse:
    """Each comparison and association in one plain sentence, in English or Swedish."""
    return JSONResponse(study_sentences(compute_study(session, study_id, basis=basis), lang))
