"""Announcements: write to a cohort, its mentors, its participants or the pairs with a health
flag; preview who gets which language, then send; follow and cancel while it goes out.

Admin and staff. The same domain functions as ``/api/v1/announcements``
(``outcomes/announcements.py``); the bot's sender sends them (at most once per person).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from core.languages import LANGUAGES, NATIVE_NAMES
from outcomes import announcements as ann
from outcomes.announcements import AUDIENCES, AnnouncementCreate
from outcomes.errors import DomainError, NotFound
from outcomes.health import FLAGS
from outcomes.staff import actor_of
from staff.deps import DbDep, StaffForm, StaffOnly, Visitor
from staff.forms import FormErrors
from staff.routes.overview import cohort_picker
from staff.templating import gettext_for, render

router = APIRouter()
FIELDS = ("cohort", "audience", "flag", *(f"text_{lang}" for lang in LANGUAGES))


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _page(
    request: Request,
    db: Session,
    visitor: Visitor,
    *,
    typed: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    preview: ann.AnnouncementPreview | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "announcements.html",
        {
            "picker": cohort_picker(db),
            "audiences": AUDIENCES,
            "flags": FLAGS,
            "bot_languages": LANGUAGES,
            "native_names": NATIVE_NAMES,
            "typed": typed or {},
            "errors": errors or FormErrors(),
            "preview": preview,
            "recent": [ann.public(db, row) for row in ann.list_announcements(db, limit=20)],
        },
        visitor=visitor,
        status_code=status_code,
    )


@router.get("/announcements")
def announcements_page(request: Request, db: DbDep, visitor: StaffOnly) -> Response:
    """The form for a new announcement, and the latest ones with their counts."""
    return _page(request, db, visitor)


def _parse(form: dict[str, str], errors: FormErrors, _: Any) -> AnnouncementCreate | None:
    texts = {lang: form.get(f"text_{lang}", "") for lang in LANGUAGES}
    try:
        return AnnouncementCreate(
            cohort=form.get("cohort", ""),
            audience=form.get("audience", ""),  # type: ignore[arg-type]
            flag=form.get("flag") or None,
            texts={lang: t for lang, t in texts.items() if t.strip()},
        )
    except ValidationError as exc:
        for error in exc.errors():
            loc = [str(p) for p in error["loc"]]
            message = str(error.get("msg", "")).removeprefix("Value error, ")
            if loc and loc[0] == "texts":
                errors.add(
                    "text_sv", _("Write the message in Swedish (the other languages are optional).")
                )
            elif loc and loc[0] in ("cohort", "audience", "flag"):
                errors.add(loc[0], _("Choose one."))
            elif "flag" in message:
                errors.add("flag", _("Choose the flag of the pairs to write to."))
            else:
                errors.add("_form", message)
        return None


async def _typed(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(form.get(k, "")) for k in FIELDS}


@router.post("/announcements/preview")
async def preview(request: Request, db: DbDep, visitor: StaffForm) -> Response:
    """Who would get it and in which language; nothing is sent yet."""
    _ = gettext_for(visitor.user.language)
    typed = await _typed(request)
    errors = FormErrors()
    data = _parse(typed, errors, _)
    result = None
    if data is not None:
        try:
            result = ann.preview_announcement(db, data)
        except NotFound:
            errors.add("cohort", _("There is no such cohort."))
        if result is not None and result.recipients == 0:
            errors.add("_form", _("No one in this audience is connected to the bot yet."))
    if errors:
        return _page(request, db, visitor, typed=typed, errors=errors, status_code=422)
    return _page(request, db, visitor, typed=typed, preview=result)


@router.post("/announcements")
async def send(request: Request, db: DbDep, visitor: StaffForm) -> Response:
    """Send a previewed announcement (the bot begins within seconds)."""
    _ = gettext_for(visitor.user.language)
    typed = await _typed(request)
    errors = FormErrors()
    data = _parse(typed, errors, _)
    if data is not None:
        try:
            row = ann.create_announcement(db, data, actor=actor_of(visitor.user))
        except NotFound:
            errors.add("cohort", _("There is no such cohort."))
        except DomainError:
            errors.add("_form", _("No one in this audience is connected to the bot yet."))
    if errors or data is None:
        db.rollback()
        return _page(request, db, visitor, typed=typed, errors=errors, status_code=422)
    return RedirectResponse(f"{_root(request)}/announcements/{row.id}", status_code=303)


@router.get("/announcements/{announcement_id}")
def announcement_page(
    request: Request, db: DbDep, visitor: StaffOnly, announcement_id: int
) -> Response:
    """One announcement: its texts and how far it has gone (sent, delivered, blocked …)."""
    row = ann.public(db, ann.get_announcement(db, announcement_id))
    return render(
        request,
        "announcement.html",
        {"a": row, "native_names": NATIVE_NAMES},
        visitor=visitor,
    )


@router.post("/announcements/{announcement_id}/cancel")
def cancel(
    request: Request,
    db: DbDep,
    visitor: StaffForm,
    announcement_id: int,
) -> Response:
    """Stop it: no one not yet reached gets it (recorded as cancelled)."""
    ann.cancel_announcement(db, announcement_id, actor=actor_of(visitor.user))
    return RedirectResponse(f"{_root(request)}/announcements/{announcement_id}", status_code=303)
