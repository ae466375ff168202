"""Commands of the outcomes store: import, indicators, export, token, db, keys.

``stegvis import FILE.jsonl`` · ``stegvis indicators [--json] [--cohort ID] [--by G] [--basis B]``
· ``stegvis export TABLE [--out FILE] [--cohort ID] [--from DAY] [--to DAY]`` ·
``stegvis token create|list|revoke`` · ``stegvis db upgrade`` · ``stegvis keys rotate``. Each calls
the same functions as the API; bad input ends with a plain message on stderr and a non-zero exit
code.
"""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from core.vocab import (
    BASES,
    GROUPINGS,
    INDICATORS,
    MENTOR_INDICATORS,
    EventType,
    ExportTable,
    Role,
)
from stegvis.commands.common import CLI_ACTOR, fail

if TYPE_CHECKING:
    from outcomes.importer import ImportReport

EXPORTS = (*(t.value for t in ExportTable), "indicators")
IMPORT_PROGRESS_BYTES = (
    4 << 20
)  # from 4 MiB (about 25,000 lines: a couple of seconds) the stages show

CohortOpt = Annotated[str | None, typer.Option("--cohort", help="Only this cohort (id)")]
ByOpt = Annotated[str | None, typer.Option("--by", help=f"Group by: {' | '.join(GROUPINGS)}")]
BasisOpt = Annotated[str, typer.Option("--basis", help=f"{' | '.join(BASES)}")]
FromOpt = Annotated[
    datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="From this day (YYYY-MM-DD)")
]
ToOpt = Annotated[
    datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="To this day (YYYY-MM-DD)")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout")]


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def _window(
    date_from: datetime | None, date_to: datetime | None
) -> tuple[date | None, date | None] | None:
    if date_from is None and date_to is None:
        return None
    return (_day(date_from), _day(date_to))


def _check_choice(value: str | None, choices: tuple[str, ...], what: str) -> None:
    if value is not None and value not in choices:
        fail(f"unknown {what} {value!r}; expected one of {', '.join(choices)}", 2)


# --- import ---------------------------------------------------------------------------------


def import_command(
    file: Annotated[Path, typer.Argument(help="A JSON Lines file in the spec's import format")],
    as_json: JsonOpt = False,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="Show the stages on stderr (default: for files from 4 MiB)",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Import a JSON Lines file: all lines are checked first; one bad line and nothing is written."""
    from core.progress import SILENT
    from core.settings import get_settings
    from outcomes.importer import FileLines, ImportRejected, import_jsonl
    from stegvis.commands.database import transaction
    from stegvis.commands.stages import stages

    if not file.is_file():
        fail(f"{file}: no such file", 2)
    if progress is None:
        progress = file.stat().st_size >= IMPORT_PROGRESS_BYTES
    try:
        with (
            stages("import") if progress else nullcontext(SILENT) as shown,
            transaction() as session,
        ):
            report = import_jsonl(
                session,
                FileLines(file),
                actor=CLI_ACTOR,
                progress=shown,
                limits=get_settings().json_limits,
            )
    except ImportRejected as exc:
        for error in exc.errors:
            typer.echo(str(error), err=True)
        fail(f"{file}: {exc}")
    except UnicodeDecodeError as exc:
        fail(f"{file} is not UTF-8 text (byte {exc.start}); nothing was imported")
    _print_import(file, report, as_json)


def _print_import(file: Path, report: ImportReport, as_json: bool) -> None:
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if as_json:
        typer.echo(json.dumps(report.as_dict()))
        return
    typer.echo(f"imported {file} ({report.lines} lines)")
    typer.echo(f"{'kind':<12}{'created':>9}{'updated':>9}{'unchanged':>11}")
    for kind in report.created:
        typer.echo(
            f"{kind:<12}{report.created[kind]:>9}{report.updated.get(kind, 0):>9}"
            f"{report.unchanged.get(kind, 0):>11}"
        )


# --- indicators -----------------------------------------------------------------------------


def _fmt(ind: dict[str, Any]) -> str:
    share = "–" if ind["share"] is None else f"{100 * ind['share']:.1f}%"
    return f"{ind['n']}/{ind['of']} {share}"


def render_table(
    result: dict[str, Any], indicators: tuple[str, ...], *, people: str = "enrolled"
) -> str:
    """The engine's result as a table for a person: one column per group, one row per indicator
    (``people``: the blocks' head count, ``mentors`` for the mentors' indicators)."""
    columns: list[tuple[str, dict[str, Any]]] = [("total", result["total"])]
    for group in result["groups"]:
        ((by, value),) = group["key"].items()
        columns.append((f"{by}={value if value is not None else '–'}", group))
    rows: list[tuple[str, list[str]]] = [
        (people, [str(block[people]) for _, block in columns]),
        (
            "measured",
            [
                _fmt({"n": b["measured"], "of": b[people], "share": b["response_rate"]})
                for _, b in columns
            ],
        ),
        *((name, [_fmt(b["indicators"][name]) for _, b in columns]) for name in indicators),
    ]
    first = max(len(r[0]) for r in rows) + 2
    widths = [
        max(len(title), *(len(r[1][i]) for r in rows)) + 2 for i, (title, _) in enumerate(columns)
    ]
    filters = result["filters"]
    lines = [
        ", ".join(f"{k}: {v if v is not None else 'all'}" for k, v in filters.items()),
        "".ljust(first) + "".join(t.rjust(w) for (t, _), w in zip(columns, widths, strict=True)),
    ]
    for name, cells in rows:
        lines.append(
            name.ljust(first) + "".join(c.rjust(w) for c, w in zip(cells, widths, strict=True))
        )
    for title, block in columns:
        for key, t in (block.get("targets") or {}).items():
            state = {True: "met", False: "not met", None: "–"}[t["met"]]
            lines.append(f"target {title} {key}: {t['target']} (actual {t['actual']}, {state})")
    return "\n".join(lines)


def indicators_command(
    as_json: JsonOpt = False,
    cohort: CohortOpt = None,
    by: ByOpt = None,
    basis: BasisOpt = "measured",
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    group_meetings: Annotated[
        bool,
        typer.Option(
            "--group-meetings",
            help="Per cohort, the share of participants who attended each group meeting kind "
            "(the same as GET /api/v1/indicators/group-meetings)",
        ),
    ] = False,
    mentors: Annotated[
        bool,
        typer.Option(
            "--mentors",
            help="What the mentors gain, from their own survey, in total and per cohort "
            "(the same as GET /api/v1/indicators/mentors; takes --cohort only)",
        ),
    ] = False,
) -> None:
    """The indicators of spec/outcomes.md; --json prints exactly what the API returns."""
    from outcomes.indicators import (
        compute_indicators,
        compute_mentor_indicators,
        group_meeting_attendance,
    )
    from stegvis.commands.database import transaction

    _check_choice(by, GROUPINGS, "grouping")
    _check_choice(basis, BASES, "basis")
    if mentors:
        extra = [
            name
            for name, given in (
                ("--by", by is not None),
                ("--basis", basis != "measured"),
                ("--from", date_from is not None),
                ("--to", date_to is not None),
                ("--group-meetings", group_meetings),
            )
            if given
        ]
        if extra:
            fail(f"--mentors takes --cohort only, not {', '.join(extra)}", 2)
        with transaction() as session:
            mentor_result = compute_mentor_indicators(session, cohort=cohort)
        typer.echo(
            json.dumps(mentor_result, ensure_ascii=False)
            if as_json
            else render_table(mentor_result, MENTOR_INDICATORS, people="mentors")
        )
        return
    if group_meetings:
        with transaction() as session:
            shares = group_meeting_attendance(
                session, cohort=cohort, window=_window(date_from, date_to)
            )
        if as_json:
            typer.echo(json.dumps(shares, ensure_ascii=False))
            return
        for entry in shares["cohorts"]:
            parts = [
                f"{k} {entry[k]['n']}/{entry[k]['of']}"
                for k in entry
                if k not in ("cohort", "enrolled")
            ]
            typer.echo(f"{entry['cohort']} (enrolled {entry['enrolled']}): " + ", ".join(parts))
        return
    with transaction() as session:
        result = compute_indicators(
            session,
            cohort=cohort,
            by=by,  # type: ignore[arg-type]
            basis=basis,  # type: ignore[arg-type]
            window=_window(date_from, date_to),
        )
    typer.echo(
        json.dumps(result, ensure_ascii=False) if as_json else render_table(result, INDICATORS)
    )


# --- export ---------------------------------------------------------------------------------


def export_command(
    table: Annotated[str, typer.Argument(help=f"One of: {', '.join(EXPORTS)}")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file (default stdout)")
    ] = None,
    cohort: CohortOpt = None,
    participant: Annotated[
        str | None, typer.Option("--participant", help="Only this participant")
    ] = None,
    event_type: Annotated[str | None, typer.Option("--type", help="Events of this type")] = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    by: ByOpt = None,
    basis: BasisOpt = "measured",
) -> None:
    """A table as CSV with the spec's field names, or indicators as tidy CSV."""
    from outcomes import exports
    from outcomes.filters import RecordFilter
    from stegvis.commands.database import transaction

    _check_choice(table, EXPORTS, "table")
    _check_choice(event_type, tuple(EventType), "event type")
    _check_choice(by, GROUPINGS, "grouping")
    _check_choice(basis, BASES, "basis")

    def write(fh: TextIO) -> None:
        with transaction() as session:
            if table == "indicators":
                fh.write(
                    exports.indicators_csv(
                        session,
                        cohort=cohort,
                        by=by,
                        basis=basis,
                        window=_window(date_from, date_to),
                    )
                )
                return
            f = RecordFilter(
                cohort=cohort,
                participant=participant,
                event_type=event_type,
                date_from=_day(date_from),
                date_to=_day(date_to),
            )
            count = exports.write_table_csv(session, table, fh, f)
            if out is not None:
                typer.echo(f"wrote {count} {table} to {out}", err=True)

    if date_from and date_to and date_to < date_from:
        fail(f"the date window ends ({_day(date_to)}) before it starts ({_day(date_from)})", 2)
    if out is None:
        write(sys.stdout)
        return
    tmp = out.with_name(out.name + ".part")  # a failed export leaves no half-written file
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            write(fh)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)


# --- tokens ---------------------------------------------------------------------------------

token_app = typer.Typer(help="Staff API tokens: create, list, revoke.", no_args_is_help=True)


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option("--role", help=f"{' | '.join(Role)}")],
    name: Annotated[str, typer.Option("--name", help="Who or what uses the token")],
    as_json: JsonOpt = False,
) -> None:
    """Create a token and print it once (only its hash is stored)."""
    from outcomes import tokens
    from stegvis.commands.database import transaction

    _check_choice(role, tuple(Role), "role")
    with transaction() as session:
        row, secret = tokens.create_token(session, name=name, role=role, actor=CLI_ACTOR)
    if as_json:
        public = tokens.token_public(row).model_dump(mode="json")
        typer.echo(json.dumps({**public, "token": secret}))
        return
    typer.echo(secret)
    typer.echo(
        f"token {row.id} ({row.role}, {row.name!r}): copy it now, it is not shown again", err=True
    )


@token_app.command("list")
def token_list(as_json: JsonOpt = False) -> None:
    """Every token (never the secrets)."""
    from outcomes import tokens
    from stegvis.commands.database import transaction

    with transaction() as session:
        rows = [tokens.token_public(r) for r in tokens.list_tokens(session)]
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in rows]))
        return
    typer.echo(f"{'id':>4}  {'role':<8} {'name':<30} {'created':<20} {'last used':<20} revoked")
    for r in rows:

        def when(d: datetime | None) -> str:
            return d.strftime("%Y-%m-%d %H:%M") if d else "–"

        typer.echo(
            f"{r.id:>4}  {r.role.value:<8} {r.name[:30]:<30} {when(r.created_at):<20} "
            f"{when(r.last_used_at):<20} {when(r.revoked_at)}"
        )


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id (see token list)")],
) -> None:
    """Revoke a token: it stops working at once."""
    from outcomes import tokens
    from stegvis.commands.database import transaction

    with transaction() as session:
        row = tokens.revoke_token(session, token_id, actor=CLI_ACTOR)
    typer.echo(f"revoked token {row.id} ({row.role}, {row.name!r})")


# --- db -------------------------------------------------------------------------------------

db_app = typer.Typer(help="The database.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema up to the newest migration."""
    from core.settings import get_settings
    from outcomes.db import get_engine, migrate

    eng = get_engine(get_settings())
    migrate(eng)
    typer.echo(f"{eng.dialect.name} database is up to date")


# --- keys -----------------------------------------------------------------------------------

keys_app = typer.Typer(help="The keys that protect Telegram chat ids.", no_args_is_help=True)


@keys_app.command("rotate")
def keys_rotate(
    generate: Annotated[
        bool,
        typer.Option(
            "--generate", help="Embedded default: make new keys first, drop the old ones after"
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Re-encrypt every chat id and re-key every user under the current (first) keys.

    Production: put the new key first in STEGVIS_HMAC_KEY and STEGVIS_CONTACT_KEY
    ("new,old"), restart, run this, then remove the old keys. The embedded default:
    ``--generate`` does it all with the keys file.
    """
    from core.settings import add_generated_keys, drop_old_generated_keys, get_settings
    from outcomes import contacts
    from stegvis.commands.database import transaction

    settings = get_settings()
    if generate and settings.keys_from_environment:
        fail(
            "the keys come from STEGVIS_HMAC_KEY / STEGVIS_CONTACT_KEY: put the new key first "
            'there ("new,old"), then run `stegvis keys rotate` without --generate',
            code=2,
        )
    if generate:
        add_generated_keys(settings.ensure_data_dir())
    with transaction() as session:
        report = contacts.rotate_keys(session, settings)
    complete = not report.unreadable and not report.not_rekeyed
    if generate and complete:
        drop_old_generated_keys(settings.data_dir)
    out = {
        "contacts": report.contacts,
        "rotated": report.rotated,
        "unreadable": report.unreadable,
        "not_rekeyed": report.not_rekeyed,
        "old_keys_dropped": generate and complete,
    }
    if as_json:
        typer.echo(json.dumps(out))
    else:
        typer.echo(f"{report.rotated} of {report.contacts} contacts now use the current keys")
        for person in report.unreadable:
            typer.echo(f"  {person}: no configured key reads the chat id; left as it was", err=True)
        for person in report.not_rekeyed:
            typer.echo(f"  {person}: user key does not match the chat id; not re-keyed", err=True)
        if generate and complete:
            typer.echo("the old keys were removed from the keys file")
        elif (
            complete
            and len(settings.secrets_of("hmac_key")) + len(settings.secrets_of("contact_key")) > 2
        ):
            typer.echo("the old keys can now be removed")
    if not complete:
        raise typer.Exit(1)
