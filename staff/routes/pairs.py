"""Pairs and their health; a pair's page with its timeline, where staff correct or void an event.

Admin and staff only: analysts never see a pair's or a person's page. Corrections go through the
same domain functions as the API (``outcomes.service.correct_event`` / ``void_event``), so the
audit log keeps the earlier version with who and when.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from core.vocab import Contribution, EventStatus, EventType, Extent
from outcomes import service
from outcomes.errors import DomainError, NotFound
from outcomes.health import FLAGS, SORTS, flag_counts, health_of, pair_health, pair_timeline
from outcomes.models import Event, Mentor, Pair, Participant
from outcomes.schemas import EventAttributes, EventUpdate
from outcomes.staff import actor_of
from staff.deps import DbDep, StaffForm, StaffOnly
from staff.forms import FormErrors, parse_date
from staff.routes.overview import cohort_picker
from staff.templating import gettext_for, render

router = APIRouter()
PER_PAGE = 50


@router.get("/pairs")
def pairs_page(
    request: Request,
    db: DbDep,
    visitor: StaffOnly,
    cohort: Annotated[str | None, Query(max_length=64)] = None,
    flag: Annotated[str | None, Query(max_length=32)] = None,
    sort: Annotated[str, Query(max_length=32)] = "flags",
    order: Annotated[str | None, Query(pattern="^(asc|desc)$")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Every pair with its health; sortable, filterable by flag."""
    cohort = cohort or None
    flag = flag if flag in FLAGS else None
    sort = sort if sort in SORTS else "flags"
    descending = None if order is None else order == "desc"
    items, total = pair_health(
        db,
        cohort=cohort,
        flag=flag,
        sort=sort,
        descending=descending,
        limit=PER_PAGE,
        offset=(page - 1) * PER_PAGE,
    )
    shown_desc = descending if descending is not None else sort != "pair"
    return render(
        request,
        "pairs.html",
        {
            "picker": cohort_picker(db),
            "cohort": cohort,
            "flag": flag,
            "flags": FLAGS,
            "counts": flag_counts(db, cohort=cohort),
            "sort": sort,
            "descending": shown_desc,
            "items": items,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PER_PAGE)),
        },
        visitor=visitor,
    )


def _pair_page(
    request: Request,
    db: DbDep,
    visitor: Any,
    pair_id: str,
    *,
    errors: dict[str, FormErrors] | None = None,
    typed: dict[str, dict[str, str]] | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    pair = service.get(db, Pair, pair_id)
    return render(
        request,
        "pair.html",
        {
            "pair": pair,
            "participant": service.get(db, Participant, pair.participant),
            "mentor": service.get(db, Mentor, pair.mentor),
            "health": health_of(db, pair_id),
            "timeline": pair_timeline(db, pair_id),
            "errors": errors or {},
            "typed": typed or {},
            "done": done,
            "event_types": [t.value for t in EventType],
            "extents": [e.value for e in Extent],
            "contributions": [c.value for c in Contribution],
        },
        visitor=visitor,
        status_code=status_code,
    )


@router.get("/pairs/{pair_id}")
def pair_page(
    request: Request,
    db: DbDep,
    visitor: StaffOnly,
    pair_id: str,
    done: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """A pair: its health and its timeline (meetings, events, surveys, check-ins)."""
    return _pair_page(request, db, visitor, pair_id, done=done)


def _event_of(db: DbDep, pair_id: str, event_id: str) -> Event:
    pair = service.get(db, Pair, pair_id)
    event = service.get(db, Event, event_id)
    if event.participant != pair.participant:
        raise NotFound(f"event {event_id!r} is not of pair {pair_id!r}")
    return event


@router.post("/pairs/{pair_id}/events/{event_id}/void")
def void_event(
    request: Request, db: DbDep, visitor: StaffForm, pair_id: str, event_id: str
) -> Response:
    """Void an event: it no longer counts, and its history is kept."""
    _event_of(db, pair_id, event_id)
    service.void_event(db, event_id=event_id, actor=actor_of(visitor.user))
    return RedirectResponse(
        f"{request.scope.get('root_path', '')}/pairs/{pair_id}?done=voided:{event_id}#event-{event_id}",
        status_code=303,
    )


@router.post("/pairs/{pair_id}/events/{event_id}/correct")
def correct_event(
    request: Request,
    db: DbDep,
    visitor: StaffForm,
    pair_id: str,
    event_id: str,
    type: Annotated[str, Form()] = "",  # noqa: A002 - the field's name in the spec
    occurred_on: Annotated[str, Form()] = "",
    status: Annotated[str, Form()] = "",
    extent: Annotated[str, Form()] = "",
    relevant: Annotated[str, Form()] = "",
    program_contributed: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Correct an event (type, date, status, attributes); the earlier version is audited."""
    _ = gettext_for(visitor.user.language)
    _event_of(db, pair_id, event_id)
    typed = {
        "type": type,
        "occurred_on": occurred_on,
        "status": status,
        "extent": extent,
        "relevant": relevant,
        "program_contributed": program_contributed,
        "note": note,
    }
    errors = FormErrors()
    day = parse_date(occurred_on, "occurred_on", errors, _)
    if type not in {t.value for t in EventType}:
        errors.add("type", _("Choose what happened."))
    if status not in {s.value for s in EventStatus}:
        errors.add("status", _("Choose confirmed or voided."))
    if relevant not in ("", "true", "false"):
        errors.add("relevant", _("Choose yes, no or not said."))
    if len(note) > 1000:
        errors.add("note", _("At most 1000 characters."))
    change: EventUpdate | None = None
    if not errors:
        try:
            attributes = EventAttributes.model_validate(
                {
                    "extent": extent or None,
                    "relevant": {"true": True, "false": False}.get(relevant),
                    "program_contributed": program_contributed or None,
                    "note": note.strip() or None,
                }
            )
            change = EventUpdate.model_validate(
                {
                    "type": type,
                    "occurred_on": day,
                    "status": status,
                    "attributes": attributes,
                }
            )
        except ValidationError as exc:
            errors.from_validation(exc, _)
    if change is not None and not errors:
        try:
            service.correct_event(
                db, event_id=event_id, change=change, actor=actor_of(visitor.user)
            )
        except DomainError as exc:
            errors.add("type", str(exc))
    if errors:
        db.rollback()
        return _pair_page(
            request,
            db,
            visitor,
            pair_id,
            errors={event_id: errors},
            typed={event_id: typed},
            status_code=422,
        )
    return RedirectResponse(
        f"{request.scope.get('root_path', '')}/pairs/{pair_id}?done=corrected:{event_id}#event-{event_id}",
        status_code=303,
    )
