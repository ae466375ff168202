"""The audit log: every correction, voiding and deletion keeps who, when and the earlier version.

A person's own words (an event's ``note``: ``FREE_TEXT``) are not copied here: an entry says
that a note was there, or that it changed, never what it says. So the words live in one row
only, and erasing that row erases them (``outcomes/privacy.py``); a correction of a note cannot
be undone from the log, which is the price of that.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlmodel import Session

from outcomes.bulk import insert_rows
from outcomes.clock import utcnow
from outcomes.models import AuditLog
from outcomes.types import table_of

FREE_TEXT = frozenset({"note"})
"""Fields of a person's own words: the log keeps that they were there or changed, not the text."""
KEPT = "[text not kept in the audit log]"
CHANGED = "[changed; text not kept in the audit log]"


def _without_words(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """``before`` and ``after`` with each free text replaced by a marker (None stays None)."""
    if not any(key in FREE_TEXT for values in (before, after) if values for key in values):
        return before, after
    old = dict(before) if before is not None else None
    new = dict(after) if after is not None else None
    for key in FREE_TEXT:
        was = old.get(key) if old is not None else None
        now = new.get(key) if new is not None else None
        if old is not None and was is not None:
            old[key] = KEPT
        if new is not None and now is not None:
            new[key] = CHANGED if old is not None and was is not None and was != now else KEPT
    return old, new


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
    before, after = _without_words(before, after)
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
    changes = [(rid, *_without_words(b, a)) for rid, b, a in changes]
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
