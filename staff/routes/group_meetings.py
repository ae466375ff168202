"""Group meetings in the workspace: plan one for a cohort (the bot invites everyone connected),
follow the answers, show the check-in code, and tick who came. Admin and staff only.

The form is checked whole before anything is saved (``outcomes/group_meetings.plan`` does the
rest: a time in the past, an unknown cohort, a language the bot does not speak); attendance is
saved for every listed person at once, all or nothing.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from core.languages import LANGUAGES
from outcomes import group_meetings as gm
from outcomes.clock import STOCKHOLM
from outcomes.errors import DomainError, NotFound
from outcomes.models import Cohort
from outcomes.staff import actor_of
from staff.deps import DbDep, StaffForm, StaffOnly, Visitor
from staff.forms import FormErrors, parse_date
from staff.i18n import N_
from staff.routes.overview import cohort_picker
from staff.templating import gettext_for, render

router = APIRouter()
MeetingId = Annotated[int, Path(ge=1, le=2**31 - 1)]
NOTE_LANGUAGES = LANGUAGES  # a note may be written in every language the bot speaks
KIND_LABELS = {
    "kickoff": N_("Kick-off"),
    "workshop_interview": N_("Interview workshop"),
    "workshop_networking": N_("Networking workshop"),
}


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _list_page(
    request: Request,
    db: Session,
    visitor: Visitor,
    cohort: str | None,
    *,
    errors: FormErrors | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    picker = cohort_picker(db)
    if cohort is None and picker.options:
        cohort = picker.options[0][0]  # the newest
    meetings = (
        [gm.public(db, m) for m in gm.of_cohort(db, cohort)]
        if cohort and db.get(Cohort, cohort)
        else []
    )
    return render(
        request,
        "group_meetings.html",
        {
            "picker": picker,
            "cohort": cohort,
            "meetings": meetings,
            "kinds": KIND_LABELS,
            "note_languages": NOTE_LANGUAGES,
            "errors": errors or FormErrors(),
            "typed": typed or {},
        },
        visitor=visitor,
        status_code=status_code,
    )


@router.get("/group-meetings")
def group_meetings_page(
    request: Request, db: DbDep, visitor: StaffOnly, cohort: str | None = None
) -> Response:
    """A cohort's group meetings with their answers, and the form to plan one."""
    if cohort and db.get(Cohort, cohort) is None:
        raise NotFound(f"cohort {cohort!r} does not exist")
    return _list_page(request, db, visitor, cohort or None)


@router.post("/group-meetings")
async def plan_group_meeting(
    request: Request,
    db: DbDep,
    visitor: StaffForm,
    cohort: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    day: Annotated[str, Form()] = "",
    starts: Annotated[str, Form()] = "",
    ends: Annotated[str, Form()] = "",
    place: Annotated[str, Form()] = "",
) -> Response:
    """Plan a meeting: the invitations start going out at once."""
    _ = gettext_for(visitor.user.language)
    form = await request.form()
    typed: dict[str, str] = {
        "cohort": cohort,
        "kind": kind,
        "day": day,
        "starts": starts,
        "ends": ends,
        "place": place,
    }
    notes: dict[str, str] = {}
    for lang in NOTE_LANGUAGES:
        text = str(form.get(f"note_{lang}", "")).strip()
        typed[f"note_{lang}"] = text
        if text:
            notes[lang] = text
    errors = FormErrors()
    if db.get(Cohort, cohort) is None:
        errors.add("cohort", _("Choose a cohort."))
    if kind not in KIND_LABELS:
        errors.add("kind", _("Choose the kind of meeting."))
    date = parse_date(day, "day", errors, _)
    start_time = _parse_time(starts, "starts", errors, _, required=True)
    end_time = _parse_time(ends, "ends", errors, _, required=False)
    if not place.strip():
        errors.add("place", _("Give a place or a video link."))
    meeting_id: int | None = None
    if not errors and date is not None and start_time is not None:
        starts_at = datetime.combine(date, start_time, STOCKHOLM)
        ends_at = datetime.combine(date, end_time, STOCKHOLM) if end_time else None
        if ends_at is not None and ends_at <= starts_at:
            errors.add("ends", _("The end must be after the start."))
        else:
            try:
                data = gm.GroupMeetingCreate(
                    cohort=cohort,
                    kind=kind,  # type: ignore[arg-type]
                    starts_at=starts_at,
                    ends_at=ends_at,
                    place=place,
                    note=notes or None,
                )
                meeting_id = gm.plan(db, data, actor=actor_of(visitor.user)).id
            except ValidationError as exc:
                errors.from_validation(exc, _)
            except DomainError as exc:
                if "past" in str(exc):
                    errors.add("day", _("The meeting must start in the future."))
                else:
                    errors.add("_form", str(exc))
    if errors or meeting_id is None:
        db.rollback()
        return _list_page(
            request, db, visitor, cohort or None, errors=errors, typed=typed, status_code=422
        )
    return RedirectResponse(
        f"{_root(request)}/group-meetings/{meeting_id}?done=planned", status_code=303
    )


def _parse_time(
    text: str, field: str, errors: FormErrors, _: Any, *, required: bool
) -> time | None:
    value = text.strip()
    if not value:
        if required:
            errors.add(field, _("Give a time, for example 17:30."))
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        errors.add(field, _("Give a time, for example 17:30."))
        return None


# --- one meeting ----------------------------------------------------------------------------


def _meeting_page(
    request: Request,
    db: Session,
    visitor: Visitor,
    meeting_id: int,
    *,
    done: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    meeting = gm.get(db, meeting_id)
    return render(
        request,
        "group_meeting.html",
        {
            "meeting": gm.public(db, meeting),
            "people": gm.people(db, meeting_id),
            "kinds": KIND_LABELS,
            "done": done,
            "error": error,
        },
        visitor=visitor,
        status_code=status_code,
    )


@router.get("/group-meetings/{meeting_id}")
def group_meeting_page(
    request: Request, db: DbDep, visitor: StaffOnly, meeting_id: MeetingId, done: str | None = None
) -> Response:
    """One meeting: its counts, its check-in code, and who came."""
    return _meeting_page(request, db, visitor, meeting_id, done=done)


@router.post("/group-meetings/{meeting_id}/attendance")
async def save_attendance(
    request: Request, db: DbDep, visitor: StaffForm, meeting_id: MeetingId
) -> Response:
    """Tick who came: everyone listed is saved as present (ticked) or not (unticked)."""
    form = await request.form()
    present = {str(v) for v in form.getlist("present")}
    try:
        for row in gm.people(db, meeting_id):
            gm.mark_attendance(
                db,
                meeting_id=meeting_id,
                person=row.person,
                attended=row.person in present,
                actor=actor_of(visitor.user),
            )
    except DomainError:
        db.rollback()
        _ = gettext_for(visitor.user.language)
        error = _("Attendance can be ticked from half an hour before the meeting starts.")
        return _meeting_page(request, db, visitor, meeting_id, error=error, status_code=422)
    return RedirectResponse(
        f"{_root(request)}/group-meetings/{meeting_id}?done=saved", status_code=303
    )
