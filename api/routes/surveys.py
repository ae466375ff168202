"""Survey responses (one per participant and wave): create, read, update, list. Staff and admin."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status
from sqlmodel import col

from api.deps import FilterDep, PagingDep, SessionDep, StaffDep, actor
from outcomes import service
from outcomes.filters import clauses
from outcomes.models import Survey
from outcomes.schemas import Page, SurveyCreate, SurveyPublic, SurveyUpdate

router = APIRouter(prefix="/surveys", tags=["surveys"])
SurveyId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The survey response's id")]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_survey(body: SurveyCreate, session: SessionDep, token: StaffDep) -> SurveyPublic:
    """Store a survey response (409 when that participant has answered that wave already)."""
    return service.survey_public(service.create_survey(session, survey=body, actor=actor(token)))


@router.get("/{survey_id}")
def read_survey(survey_id: SurveyId, session: SessionDep, _: StaffDep) -> SurveyPublic:
    """One survey response."""
    return service.survey_public(service.get(session, Survey, survey_id))


@router.patch("/{survey_id}")
def update_survey(
    survey_id: SurveyId, body: SurveyUpdate, session: SessionDep, token: StaffDep
) -> SurveyPublic:
    """Change the date or replace the answers; the earlier version goes to the audit log."""
    row = service.update_survey(session, survey_id=survey_id, change=body, actor=actor(token))
    return service.survey_public(row)


@router.get("")
def list_surveys(
    session: SessionDep, _: StaffDep, paging: PagingDep, filters: FilterDep
) -> Page[SurveyPublic]:
    """Survey responses by id; ``from``/``to`` apply to ``answered_on``."""
    rows, total = service.list_page(
        session,
        Survey,
        filters=clauses(Survey, filters),
        limit=paging.limit,
        offset=paging.offset,
        order_by=col(Survey.id),
    )
    return Page(
        items=[service.survey_public(r) for r in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )
