"""The Report button: the round report as PDF or HTML, the file ``stegvis report`` makes.

Every role (a report shows what the overview shows, with small cells hidden). The form chooses
the cohorts (none: all), a date window, a study, the language and the format; the download is
noted in the audit log like the exports.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlmodel import col, select

from core.vocab import BASES
from outcomes.audit import audit
from outcomes.models import Cohort
from outcomes.staff import actor_of
from outcomes.study_models import Study
from staff.deps import Anyone, DbDep, Visitor, settings_of
from staff.forms import FormErrors, parse_date
from staff.report import FORMATS, REPORT_LANGUAGES, ReportError, make_report
from staff.routes.overview import cohort_picker
from staff.templating import gettext_for, render

router = APIRouter()


def _page(
    request: Request,
    db: DbDep,
    visitor: Visitor,
    *,
    typed: dict[str, str] | None = None,
    chosen: list[str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    studies = list(db.exec(select(Study).order_by(col(Study.id))).all())
    return render(
        request,
        "report_form.html",
        {
            "picker": cohort_picker(db),
            "studies": studies,
            "chosen": chosen or [],
            "typed": typed or {"language": visitor.user.language, "format": "pdf"},
            "errors": errors or FormErrors(),
            "formats": FORMATS,
            "min_cell": settings_of(request).report_min_cell,
        },
        visitor=visitor,
        status_code=status_code,
    )


def _cohort_ids(values: list[str] | None) -> list[str]:
    """The cohorts chosen: ticked boxes, or ids typed in one field (spaces or commas between;
    an id has neither), each once in the order given."""
    return list(
        dict.fromkeys(part for v in values or [] for part in re.split(r"[\s,]+", v) if part)
    )


@router.get("/report")
def report_page(
    request: Request,
    db: DbDep,
    visitor: Anyone,
    cohort: Annotated[list[str] | None, Query(max_length=4000)] = None,
) -> Response:
    """The report form (``?cohort=ID`` ticks that cohort)."""
    return _page(request, db, visitor, chosen=_cohort_ids(cohort))


@router.get("/report/download")
def download(
    request: Request,
    db: DbDep,
    visitor: Anyone,
    cohort: Annotated[list[str] | None, Query(max_length=4000)] = None,
    date_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
    study: Annotated[str, Query(max_length=64)] = "",
    language: Annotated[str, Query(max_length=8)] = "sv",
    output: Annotated[str, Query(alias="format", max_length=8)] = "pdf",
    basis: Annotated[str, Query(max_length=16)] = "measured",
) -> Response:
    """The report file; a bad choice shows the form again with the reason next to the field."""
    _ = gettext_for(visitor.user.language)
    chosen = _cohort_ids(cohort)
    typed = {
        "from": date_from,
        "to": date_to,
        "study": study,
        "language": language,
        "format": output,
        "basis": basis,
    }
    errors = FormErrors()
    first = parse_date(date_from, "from", errors, _, required=False)
    last = parse_date(date_to, "to", errors, _, required=False)
    if first and last and last < first:
        errors.add("to", _("The end must not be before the start."))
    if any(db.get(Cohort, c) is None for c in chosen):
        errors.add("cohort", _("There is no such cohort."))
    if study and db.get(Study, study) is None:
        errors.add("study", _("There is no such study."))
    if language not in REPORT_LANGUAGES:
        errors.add("language", _("Choose Swedish or English."))
    if output not in FORMATS:
        errors.add("format", _("Choose PDF or HTML."))
    if basis not in BASES:
        errors.add("basis", _("Choose one of the bases."))
    content = b""
    if not errors:
        try:
            content = make_report(
                db,
                settings_of(request),
                cohorts=chosen or None,
                window=(first, last) if first or last else None,
                study=study or None,
                basis=basis,
                lang=language,
                output=output,
            )
        except ReportError:
            errors.add(
                "format", _("A PDF cannot be made on this server (no Chromium); choose HTML.")
            )
    if errors:
        return _page(
            request, db, visitor, typed=typed, chosen=chosen, errors=errors, status_code=422
        )
    audit(
        db,
        actor=actor_of(visitor.user),
        action="export",
        table_name="report",
        record_id=output,
        before=None,
        after={"cohorts": chosen, **{k: v for k, v in typed.items() if v}},
    )
    name = "-".join(["report", *chosen[:3], date_from, date_to]).strip("-").replace("--", "-")
    media = "application/pdf" if output == "pdf" else "text/html; charset=utf-8"
    return Response(
        content,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{name}.{output}"',
            "Cache-Control": "no-store",
        },
    )
