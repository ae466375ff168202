"""``stegvis report``: the round report, the funder's results pages, as HTML or PDF.

``stegvis report [--cohort ID ...] [--from DATE --to DATE] [--study ID] [--language sv|en]
[--basis measured|enrolled] --format html|pdf --out FILE`` writes the file the workspace's
Report button makes (``staff/report.py``); the numbers are those of ``stegvis indicators --json``
and ``stegvis study ID --json`` for the same choices.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from core.vocab import BASES
from stegvis.commands.common import fail
from stegvis.commands.outcomes import BasisOpt, FromOpt, ToOpt, _check_choice, _window

FORMATS = ("html", "pdf")
LANGUAGES = ("sv", "en")


def report_command(
    output: Annotated[str, typer.Option("--format", help=" | ".join(FORMATS))],
    out: Annotated[Path, typer.Option("--out", help="Write the report to this file")],
    cohort: Annotated[
        list[str] | None,
        typer.Option("--cohort", help="Only this cohort (id); give it again for more"),
    ] = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    study: Annotated[
        str | None, typer.Option("--study", help="Add this study's comparison (id)")
    ] = None,
    language: Annotated[str, typer.Option("--language", help=" | ".join(LANGUAGES))] = "sv",
    basis: BasisOpt = "measured",
) -> None:
    """The round report (--format html|pdf): the numbers of stegvis indicators and study."""
    _check_choice(output, FORMATS, "format")
    _check_choice(language, LANGUAGES, "language")
    _check_choice(basis, BASES, "basis")
    if date_from and date_to and date_to < date_from:
        fail(
            f"the date window ends ({date_to:%Y-%m-%d}) before it starts ({date_from:%Y-%m-%d})", 2
        )

    from core.settings import get_settings
    from staff.report import ReportError, make_report
    from stegvis.commands.database import transaction

    settings = get_settings()
    if settings.org_logo is not None and not settings.org_logo.is_file():
        fail(f"STEGVIS_ORG_LOGO: {settings.org_logo}: no such file", 2)
    try:
        with transaction(settings) as session:
            content = make_report(
                session,
                settings,
                cohorts=cohort or None,
                window=_window(date_from, date_to),
                study=study,
                basis=basis,
                lang=language,
                output=output,
            )
    except ReportError as exc:
        fail(str(exc))
    tmp = out.with_name(out.name + ".part")  # a failed report leaves no half-written file
    try:
        tmp.write_bytes(content)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    typer.echo(f"wrote the report to {out} ({len(content)} bytes)", err=True)
