"""Cohorts (program rounds): create, read, update, list. Staff and admin."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlmodel import col

from api.deps import FilterDep, PagingDep, RecordId, SessionDep, StaffDep, actor
from outcomes import service
from outcomes.filters import clauses
from outcomes.models import Cohort
from outcomes.schemas import CohortCreate, CohortPublic, CohortUpdate, Page

router = APIRouter(prefix="/cohorts", tags=["cohorts"])


def _public(row: Cohort) -> CohortPublic:
    return CohortPublic.model_validate(row, from_attributes=True)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_cohort(body: CohortCreate, session: SessionDep, token: StaffDep) -> CohortPublic:
    """Create a cohort (409 when the id exists)."""
    return _public(service.create_record(session, Cohort, body, actor=actor(token)))


@router.get("/{cohort_id}")
def read_cohort(cohort_id: RecordId, session: SessionDep, _: StaffDep) -> CohortPublic:
    """One cohort."""
    return _public(service.get(session, Cohort, cohort_id))


@router.patch("/{cohort_id}")
def update_cohort(
    cohort_id: RecordId, body: CohortUpdate, session: SessionDep, token: StaffDep
) -> CohortPublic:
    """Change the fields given; the earlier version goes to the audit log."""
    return _public(service.update_record(session, Cohort, cohort_id, body, actor=actor(token)))


@router.get("")
def list_cohorts(
    session: SessionDep, _: StaffDep, paging: PagingDep, filters: FilterDep
) -> Page[CohortPublic]:
    """Cohorts by id; ``from``/``to`` keep the cohorts running on some day of that window."""
    rows, total = service.list_page(
        session,
        Cohort,
        filters=clauses(Cohort, filters),
        limit=paging.limit,
        offset=paging.offset,
        order_by=col(Cohort.id),
    )
    return Page(
        items=[_public(r) for r in rows], total=total, limit=paging.limit, offset=paging.offset
    )
