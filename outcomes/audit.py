"""The audit log: every correction, voiding and deletion keeps who, when and the earlier version."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlmodel import Session

from outcomes.bulk import insert_rows
from outcomes.clock import utcnow
from outcomes.models import AuditLog
from outcomes.types import table_of


def _jsonable(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, date | datetime):
            value = value.isoformat()
        elif isinstance(value, Enum):
            value = value.value
        out[key] = value
    return out


def audit(
    session: Session,
    *,
    actor: str,
    action: str,
    table_name: str,
    record_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """Add one audit entry to the session's transaction."""
    session.add(
        AuditLog(
            actor=actor,
            action=action,
            table_name=table_name,
            record_id=record_id,
            before=_jsonable(before),
            after=_jsonable(after),
            at=utcnow(),
        )
    )


def audit_rows(
    session: Session,
    *,
    actor: str,
    action: str,
    table_name: str,
    changes: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None]],
) -> None:
    """Add many audit entries at once (record id, before, after)."""
    now = utcnow()
    insert_rows(
        session,
        table_of(AuditLog),
        [
            {
                "actor": actor,
                "action": action,
                "table_name": table_name,
                "record_id": rid,
                "before": _jsonable(b),
                "after": _jsonable(a),
                "at": now,
            }
            for rid, b, a in changes
        ],
    )
