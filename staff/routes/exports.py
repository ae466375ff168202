"""Exports: the CSV files of every record table and of the indicators, with a date window.

Every role (analysts too, as in the API). Each download is noted in the audit log: who, which
table, which filters.
"""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from core.vocab import BASES, GROUPINGS
from outcomes import exports
from outcomes.audit import audit
from outcomes.filters import RecordFilter
from outcomes.models import Cohort
from outcomes.staff import actor_of
from staff.deps import Anyone, DbDep, Visitor
from staff.forms import FormErrors, parse_date
from staff.routes.overview import cohort_picker
from staff.templating import gettext_for, render

router = APIRouter()
TABLES = ("indicators", *(t.value for t in exports.Table))


def _page(
    request: Request,
    db: DbDep,
    visitor: Visitor,
    *,
    typed: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "exports.html",
        {
            "picker": cohort_picker(db),
            "tables": TABLES,
            "groupings": GROUPINGS,
            "bases": BASES,
            "typed": typed or {},
            "errors": errors or FormErrors(),
        },
        visitor=visitor,
        status_code=status_code,
    )


@router.get("/exports")
def exports_page(request: Request, db: DbDep, visitor: Anyone) -> Response:
    """The export form."""
    return _page(request, db, visitor)


@router.get("/exports/download")
def download(
    request: Request,
    db: DbDep,
    visitor: Anyone,
    table: Annotated[str, Query(max_length=32)] = "",
    cohort: Annotated[str, Query(max_length=64)] = "",
    date_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
    by: Annotated[str, Query(max_length=32)] = "",
    basis: Annotated[str, Query(max_length=16)] = "measured",
) -> Response:
    """One CSV file; a bad choice shows the form again with the reason next to the field."""
    _ = gettext_for(visitor.user.language)
    typed = {
        "table": table,
        "cohort": cohort,
        "from": date_from,
        "to": date_to,
        "by": by,
        "basis": basis,
    }
    errors = FormErrors()
    if table not in TABLES:
        errors.add("table", _("Choose what to export."))
    first = parse_date(date_from, "from", errors, _, required=False)
    last = parse_date(date_to, "to", errors, _, required=False)
    if first and last and last < first:
        errors.add("to", _("The end must not be before the start."))
    if cohort and db.get(Cohort, cohort) is None:
        errors.add("cohort", _("There is no such cohort."))
    if by and by not in GROUPINGS:
        errors.add("by", _("Choose one of the groupings."))
    if basis not in BASES:
        errors.add("basis", _("Choose one of the bases."))
    if errors:
        return _page(request, db, visitor, typed=typed, errors=errors, status_code=422)
    window = (first, last) if first or last else None
    if table == "indicators":
        text = exports.indicators_csv(
            db, cohort=cohort or None, by=by or None, basis=basis, window=window
        )
    else:
        out = io.StringIO()
        exports.write_table_csv(
            db, table, out, RecordFilter(cohort=cohort or None, date_from=first, date_to=last)
        )
        text = out.getvalue()
    audit(
        db,
        actor=actor_of(visitor.user),
        action="export",
        table_name=table,
        record_id="csv",
        before=None,
        after={k: v for k, v in typed.items() if v and k != "table"},
    )
    name = "-".join(p for p in (table, cohort, date_from, date_to) if p) or table
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}.csv"',
            "Cache-Control": "no-store",
        },
    )
