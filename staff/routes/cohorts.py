"""Cohort set-up: create a cohort with its targets, add participants and mentors (by form, CSV or
the JSON Lines import file), create pairs, and print the invite sheet. Admin and staff only.

Every form is checked whole before anything is saved, says what is wrong next to the field and
keeps what was typed; a file is imported all or nothing with the importer's numbered errors.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import Session, col, select

from core.vocab import Arm, EducationLevel, Gender, MigrationCategory
from outcomes import service
from outcomes.clock import today
from outcomes.contacts import Contact
from outcomes.csv_import import import_csv
from outcomes.errors import Conflict, DomainError, Invalid
from outcomes.importer import ImportRejected, import_jsonl
from outcomes.models import Cohort, Mentor, Pair, Participant
from outcomes.schemas import CohortCreate, MentorCreate, PairCreate, ParticipantCreate
from outcomes.staff import actor_of
from staff import cards as sheet
from staff.deps import DbDep, StaffForm, StaffOnly, Visitor, settings_of
from staff.forms import FormErrors, Translate, parse_date, parse_int, parse_percent
from staff.i18n import CARD_LANGUAGES
from staff.templating import gettext_for, render

router = APIRouter()
MAX_UPLOAD = 20 * 1024 * 1024
SHOWN = 200  # people listed on the set-up page (the rest: the exports)
TARGET_FIELDS = ("job_or_steps", "network_expanded", "got_job", "response_rate")


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _counts(db: Session) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for name, model, column in (
        ("participants", Participant, Participant.cohort),
        ("mentors", Mentor, Mentor.cohort),
    ):
        for cohort, count in db.exec(
            select(column, func.count()).select_from(model).group_by(column)
        ).all():
            out.setdefault(str(cohort), {})[name] = int(count)
    for cohort, count in db.exec(
        select(Participant.cohort, func.count())
        .select_from(Pair)
        .join(Participant, col(Participant.id) == col(Pair.participant))
        .group_by(Participant.cohort)
    ).all():
        out.setdefault(str(cohort), {})["pairs"] = int(count)
    return out


def _cohorts_page(
    request: Request,
    db: Session,
    visitor: Visitor,
    *,
    errors: FormErrors | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    from staff.routes.overview import cohorts

    return render(
        request,
        "cohorts.html",
        {
            "cohorts": cohorts(db),
            "counts": _counts(db),
            "errors": errors or FormErrors(),
            "typed": typed or {},
            "target_fields": TARGET_FIELDS,
        },
        visitor=visitor,
        status_code=status_code,
    )


@router.get("/cohorts")
def cohorts_page(request: Request, db: DbDep, visitor: StaffOnly) -> Response:
    """The cohorts, and a form for a new one."""
    return _cohorts_page(request, db, visitor)


def _typed(values: dict[str, Any]) -> dict[str, str]:
    """The form's fields as typed (the route's string parameters), to show them again."""
    return {k: v for k, v in values.items() if isinstance(v, str) and k != "cohort_id"}


def _check_id(value: str, field: str, errors: FormErrors, _: Translate) -> str | None:
    """An optional record id (letters, digits, ``_ . : -``), or None to make one."""
    value = value.strip()
    if not value:
        return None
    if len(value) > 64 or not all(c.isascii() and (c.isalnum() or c in "_.:-") for c in value):
        errors.add(field, _("Use at most 64 letters a–z, digits and _ . : - (no spaces)."))
    return value


@router.post("/cohorts")
def create_cohort(
    request: Request,
    db: DbDep,
    visitor: StaffForm,
    id: Annotated[str, Form()] = "",  # noqa: A002 - the record's field
    name: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    end: Annotated[str, Form()] = "",
    region: Annotated[str, Form()] = "",
    target_participants: Annotated[str, Form()] = "",
    target_job_or_steps: Annotated[str, Form()] = "",
    target_network_expanded: Annotated[str, Form()] = "",
    target_got_job: Annotated[str, Form()] = "",
    target_response_rate: Annotated[str, Form()] = "",
) -> Response:
    """Create a cohort with its targets (shares typed as percentages)."""
    _ = gettext_for(visitor.user.language)
    typed = _typed(dict(locals()))
    errors = FormErrors()
    cohort_id = _check_id(id, "id", errors, _)
    if cohort_id is None and "id" not in errors:
        errors.add("id", _("Give the cohort an id, for example 2026-spring."))
    if not name.strip():
        errors.add("name", _("Give the cohort a name."))
    elif len(name.strip()) > 200:
        errors.add("name", _("At most 200 characters."))
    first = parse_date(start, "start", errors, _)
    last = parse_date(end, "end", errors, _)
    if first and last and last < first:
        errors.add("end", _("The end must not be before the start."))
    if len(region) > 100:
        errors.add("region", _("At most 100 characters."))
    targets: dict[str, float] = {}
    people = parse_int(target_participants, "target_participants", errors, _, low=0, high=10**7)
    if people is not None:
        targets["participants"] = people
    for field in TARGET_FIELDS:
        value = parse_percent(typed[f"target_{field}"], f"target_{field}", errors, _)
        if value is not None:
            targets[field] = value
    if cohort_id and not errors and db.get(Cohort, cohort_id) is not None:
        errors.add("id", _("A cohort with this id exists already."))
    if not errors:
        try:
            data = CohortCreate.model_validate(
                {
                    "id": cohort_id or "",
                    "name": name.strip(),
                    "start": first,
                    "end": last,
                    "region": region.strip() or None,
                    "targets": targets or None,
                }
            )
            service.create_record(db, Cohort, data, actor=actor_of(visitor.user))
        except ValidationError as exc:
            errors.from_validation(exc, _)
        except DomainError as exc:
            errors.add("_form", str(exc))
    if errors:
        db.rollback()
        return _cohorts_page(request, db, visitor, errors=errors, typed=typed, status_code=422)
    return RedirectResponse(f"{_root(request)}/cohorts/{cohort_id}?done=created", status_code=303)


# --- one cohort -----------------------------------------------------------------------------


def _cohort_page(
    request: Request,
    db: Session,
    visitor: Visitor,
    cohort_id: str,
    *,
    form: str | None = None,
    errors: FormErrors | None = None,
    typed: dict[str, str] | None = None,
    upload_errors: list[Any] | None = None,
    report: dict[str, Any] | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    cohort = service.get(db, Cohort, cohort_id)
    participants = db.exec(
        select(Participant).where(Participant.cohort == cohort_id).order_by(col(Participant.id))
    ).all()
    mentors = db.exec(
        select(Mentor).where(Mentor.cohort == cohort_id).order_by(col(Mentor.id))
    ).all()
    pairs = db.exec(
        select(Pair)
        .join(Participant, col(Participant.id) == col(Pair.participant))
        .where(Participant.cohort == cohort_id)
        .order_by(col(Pair.id))
    ).all()
    people = [p.id for p in participants] + [m.id for m in mentors]
    joined = set(db.exec(select(Contact.person).where(col(Contact.person).in_(people))).all())
    paired = {p.participant for p in pairs if p.ended_on is None} | {
        p.mentor for p in pairs if p.ended_on is None
    }
    return render(
        request,
        "cohort.html",
        {
            "cohort": cohort,
            "participants": participants[:SHOWN],
            "mentors": mentors[:SHOWN],
            "pairs": pairs[:SHOWN],
            "n_participants": len(participants),
            "n_mentors": len(mentors),
            "n_pairs": len(pairs),
            "unpaired_participants": [p for p in participants if p.id not in paired],
            "unpaired_mentors": [m for m in mentors if m.id not in paired],
            "joined": joined,
            "need_cards": len(sheet.pairs_needing_cards(db, cohort_id)),
            "form": form,
            "errors": errors or FormErrors(),
            "typed": typed or {},
            "upload_errors": upload_errors,
            "report": report,
            "done": done,
            "shown": SHOWN,
            "genders": [g.value for g in Gender],
            "education_levels": [e.value for e in EducationLevel],
            "migration_categories": [m.value for m in MigrationCategory],
            "arms": [a.value for a in Arm],
            "card_languages": CARD_LANGUAGES,
            "today": today(),
        },
        visitor=visitor,
        status_code=status_code,
    )


@router.get("/cohorts/{cohort_id}")
def cohort_page(
    request: Request, db: DbDep, visitor: StaffOnly, cohort_id: str, done: str | None = None
) -> Response:
    """A cohort's set-up: its people and pairs, the forms, the upload and the invite sheet."""
    return _cohort_page(request, db, visitor, cohort_id, done=done)


def _finish(
    request: Request,
    db: Session,
    visitor: Visitor,
    cohort_id: str,
    form: str,
    errors: FormErrors,
    typed: dict[str, str],
    save: Any,
    done: str,
) -> Response:
    """Save when the form has no errors, else show it again with them (nothing saved)."""
    if not errors:
        try:
            save()
        except ValidationError as exc:
            errors.from_validation(exc, gettext_for(visitor.user.language))
        except Conflict as exc:
            errors.add("id", str(exc))
        except DomainError as exc:
            errors.add("_form", str(exc))
    if errors:
        db.rollback()
        return _cohort_page(
            request, db, visitor, cohort_id, form=form, errors=errors, typed=typed, status_code=422
        )
    return RedirectResponse(
        f"{_root(request)}/cohorts/{cohort_id}?done={done}#{form}", status_code=303
    )


@router.post("/cohorts/{cohort_id}/participants")
def add_participant(
    request: Request,
    db: DbDep,
    visitor: StaffForm,
    cohort_id: str,
    id: Annotated[str, Form()] = "",  # noqa: A002
    gender: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "",
    birth_year: Annotated[str, Form()] = "",
    education_level: Annotated[str, Form()] = "",
    arrival_year: Annotated[str, Form()] = "",
    migration_category: Annotated[str, Form()] = "",
    occupation_field: Annotated[str, Form()] = "",
    arm: Annotated[str, Form()] = "intervention",
    joined_on: Annotated[str, Form()] = "",
) -> Response:
    """Add one participant to the cohort (an id is made when none is given)."""
    _ = gettext_for(visitor.user.language)
    service.get(db, Cohort, cohort_id)
    typed = _typed(dict(locals()))
    errors = FormErrors()
    person = _check_id(id, "id", errors, _) or service.new_id("p")
    if gender not in {g.value for g in Gender}:
        errors.add("gender", _("Choose a gender (or not stated)."))
    born = parse_int(birth_year, "birth_year", errors, _, low=1900, high=today().year)
    arrived = parse_int(arrival_year, "arrival_year", errors, _, low=1900, high=today().year)
    joined = parse_date(joined_on, "joined_on", errors, _, required=False)
    if education_level and education_level not in {e.value for e in EducationLevel}:
        errors.add("education_level", _("Choose one of the levels."))
    if migration_category and migration_category not in {m.value for m in MigrationCategory}:
        errors.add("migration_category", _("Choose one of the categories."))
    if arm not in {a.value for a in Arm}:
        errors.add("arm", _("Choose intervention or control."))
    if len(occupation_field) > 200:
        errors.add("occupation_field", _("At most 200 characters."))
    if not errors and db.get(Participant, person) is not None:
        errors.add("id", _("Someone has this id already."))

    def save() -> None:
        data = ParticipantCreate.model_validate(
            {
                "id": person,
                "cohort": cohort_id,
                "gender": gender,
                "language": language or None,
                "birth_year": born,
                "education_level": education_level or None,
                "arrival_year": arrived,
                "migration_category": migration_category or None,
                "occupation_field": occupation_field.strip() or None,
                "arm": arm,
                "joined_on": joined,
            }
        )
        service.create_record(db, Participant, data, actor=actor_of(visitor.user))

    return _finish(
        request,
        db,
        visitor,
        cohort_id,
        "add-participant",
        errors,
        typed,
        save,
        f"participant:{person}",
    )


@router.post("/cohorts/{cohort_id}/mentors")
def add_mentor(
    request: Request,
    db: DbDep,
    visitor: StaffForm,
    cohort_id: str,
    id: Annotated[str, Form()] = "",  # noqa: A002
    language: Annotated[str, Form()] = "",
    occupation_field: Annotated[str, Form()] = "",
) -> Response:
    """Add one mentor to the cohort (an id is made when none is given)."""
    _ = gettext_for(visitor.user.language)
    service.get(db, Cohort, cohort_id)
    typed = {"id": id, "language": language, "occupation_field": occupation_field}
    errors = FormErrors()
    person = _check_id(id, "id", errors, _) or service.new_id("m")
    if len(occupation_field) > 200:
        errors.add("occupation_field", _("At most 200 characters."))
    if not errors and db.get(Mentor, person) is not None:
        errors.add("id", _("Someone has this id already."))

    def save() -> None:
        data = MentorCreate(
            id=person,
            cohort=cohort_id,
            language=language or None,
            occupation_field=occupation_field.strip() or None,
        )
        service.create_record(db, Mentor, data, actor=actor_of(visitor.user))

    return _finish(
        request, db, visitor, cohort_id, "add-mentor", errors, typed, save, f"mentor:{person}"
    )


@router.post("/cohorts/{cohort_id}/pairs")
def add_pair(
    request: Request,
    db: DbDep,
    visitor: StaffForm,
    cohort_id: str,
    id: Annotated[str, Form()] = "",  # noqa: A002
    mentor: Annotated[str, Form()] = "",
    participant: Annotated[str, Form()] = "",
    matched_on: Annotated[str, Form()] = "",
) -> Response:
    """Match a mentor and a participant of the cohort."""
    _ = gettext_for(visitor.user.language)
    service.get(db, Cohort, cohort_id)
    typed = {"id": id, "mentor": mentor, "participant": participant, "matched_on": matched_on}
    errors = FormErrors()
    pair_id = _check_id(id, "id", errors, _) or service.new_id("pair")
    m = db.get(Mentor, mentor) if mentor else None
    p = db.get(Participant, participant) if participant else None
    if m is None or m.cohort != cohort_id:
        errors.add("mentor", _("Choose a mentor of this cohort."))
    if p is None or p.cohort != cohort_id:
        errors.add("participant", _("Choose a participant of this cohort."))
    day = parse_date(matched_on, "matched_on", errors, _)
    if not errors and db.get(Pair, pair_id) is not None:
        errors.add("id", _("A pair with this id exists already."))

    def save() -> None:
        data = PairCreate.model_validate(
            {"id": pair_id, "mentor": mentor, "participant": participant, "matched_on": day}
        )
        service.create_record(db, Pair, data, actor=actor_of(visitor.user))

    return _finish(
        request, db, visitor, cohort_id, "add-pair", errors, typed, save, f"pair:{pair_id}"
    )


UPLOAD_KINDS = ("auto", "participant", "mentor", "pair")


@router.post("/cohorts/{cohort_id}/upload")
def upload(
    request: Request,
    db: DbDep,
    visitor: StaffForm,
    cohort_id: str,
    file: Annotated[UploadFile | None, File()] = None,
    kind: Annotated[str, Form()] = "auto",
) -> Response:
    """A CSV or JSON Lines file: all or nothing, with every bad line named."""
    _ = gettext_for(visitor.user.language)
    service.get(db, Cohort, cohort_id)
    typed = {"kind": kind}
    errors = FormErrors()
    data = b""
    if file is None or not file.filename:
        errors.add("file", _("Choose a file."))
    else:
        data = file.file.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            errors.add("file", _("The file is larger than 20 MB."))
        elif not data.strip():
            errors.add("file", _("The file is empty."))
    if kind not in UPLOAD_KINDS:
        errors.add("kind", _("Choose what the rows are."))
    text = ""
    if not errors:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            errors.add(
                "file",
                _("The file is not UTF-8 text (byte {n}). Save it as CSV UTF-8.").format(
                    n=exc.start
                ),
            )
    if errors:
        return _cohort_page(
            request,
            db,
            visitor,
            cohort_id,
            form="upload",
            errors=errors,
            typed=typed,
            status_code=422,
        )
    name = (file.filename or "").lower() if file else ""
    is_jsonl = name.endswith((".jsonl", ".ndjson", ".json")) or text.lstrip().startswith("{")
    actor = actor_of(visitor.user)
    try:
        if is_jsonl:
            report = import_jsonl(db, io.StringIO(text, newline=None), actor=actor)
        else:
            report = import_csv(
                db, text, actor=actor, kind=None if kind == "auto" else kind, cohort=cohort_id
            )
    except ImportRejected as exc:
        db.rollback()
        return _cohort_page(
            request,
            db,
            visitor,
            cohort_id,
            form="upload",
            typed=typed,
            upload_errors=exc.errors,
            status_code=422,
        )
    except Invalid as exc:
        db.rollback()
        errors.add("file", str(exc))
        return _cohort_page(
            request,
            db,
            visitor,
            cohort_id,
            form="upload",
            errors=errors,
            typed=typed,
            status_code=422,
        )
    db.flush()
    return _cohort_page(request, db, visitor, cohort_id, form="upload", report=report.as_dict())


@router.post("/cohorts/{cohort_id}/invites")
def invite_sheet(
    request: Request,
    db: DbDep,
    visitor: StaffForm,
    cohort_id: str,
    download: Annotated[str, Form()] = "",
) -> Response:
    """New invite links and the printable A4 sheet of cards (to open, or to download)."""
    cohort = service.get(db, Cohort, cohort_id)
    made = sheet.make_cards(
        db, settings_of(request), cohort=cohort_id, actor=actor_of(visitor.user)
    )
    response = render(
        request,
        "invite_sheet.html",
        {
            "cohort": cohort,
            "cards": made,
            "download": bool(download),
            "css": sheet.sheet_css(),
            "TITLE": sheet.TITLE,
            "FOR_ROLE": sheet.FOR_ROLE,
            "STEPS": sheet.STEPS,
            "PERSONAL": sheet.PERSONAL,
            "QUESTIONS": sheet.QUESTIONS,
            "QR_ALT": sheet.QR_ALT,
            "YOUR_CODE": sheet.YOUR_CODE,
        },
        visitor=visitor,
    )
    if download:
        name = f"invites-{cohort_id}-{date.isoformat(today())}.html"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
