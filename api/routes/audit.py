"""The audit log: who changed which record when, with the record before and after. Admin only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlmodel import col

from api.deps import ID, ID_PATTERN, AdminDep, PagingDep, SessionDep
from outcomes import service
from outcomes.models import AuditLog
from outcomes.schemas import AuditLogPublic, Page

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("")
def list_audit(
    session: SessionDep,
    _: AdminDep,
    paging: PagingDep,
    table: Annotated[
        str | None,
        Query(max_length=32, pattern=r"^[a-z_]+$", description="Only this table, e.g. event"),
    ] = None,
    record: Annotated[
        str | None,
        Query(min_length=1, max_length=ID, pattern=ID_PATTERN, description="Only this record id"),
    ] = None,
) -> Page[AuditLogPublic]:
    """Audit entries, newest first."""
    filters: list[Any] = []
    if table is not None:
        filters.append(col(AuditLog.table_name) == table)
    if record is not None:
        filters.append(col(AuditLog.record_id) == record)
    rows, total = service.list_page(
        session,
        AuditLog,
        filters=filters,
        limit=paging.limit,
        offset=paging.offset,
        order_by=col(AuditLog.id).desc(),
    )
    return Page(
        items=[AuditLogPublic.model_validate(r, from_attributes=True) for r in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )
