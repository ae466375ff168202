"""Commands that keep data and let it go: ``stegvis backup``, ``stegvis restore``, ``stegvis retention``.

``stegvis backup --out FILE`` · ``stegvis restore FILE [--force]`` ·
``stegvis retention [--dry-run] [--json]``. The work is in ``outcomes/backup.py`` and
``outcomes/retention.py``; a refusal ends with a plain message on stderr and a non-zero exit
code, having changed nothing.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from stegvis.commands.common import CLI_ACTOR, fail

KEYS_WARNING = (
    "warning: the archive holds the keys that decrypt the Telegram chat ids (keys.json): keep "
    "it as safe as the database itself (it is written with mode 600)"
)


def backup_command(
    out: Annotated[Path, typer.Option("--out", help="The archive to write (.tar.gz)")],
) -> None:
    """One archive of the database, the keys file and the Chroma index (with a manifest)."""
    from core.settings import get_settings
    from outcomes.backup import BackupError, backup
    from stegvis.commands.database import engine

    settings = get_settings()
    started = time.perf_counter()
    try:
        manifest = backup(settings, out, engine=engine(settings))
    except BackupError as exc:
        fail(str(exc))
    seconds = time.perf_counter() - started
    size = out.stat().st_size
    inside = [f"database ({manifest['database']['dialect']}, {manifest['schema_revision']})"]
    if manifest["keys"].get("file"):
        inside.append("keys.json")
    if manifest["chroma"]:
        inside.append(f"chroma ({manifest['chroma']['files']} files)")
    typer.echo(f"wrote {out} ({size / 1e6:.1f} MB in {seconds:.1f} s): {', '.join(inside)}")
    if manifest["keys"].get("file"):
        typer.echo(KEYS_WARNING, err=True)
    if manifest["keys"].get("environment"):
        typer.echo(f"warning: {manifest['keys']['environment']}", err=True)


def restore_command(
    file: Annotated[Path, typer.Argument(help="An archive of `stegvis backup`")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a database or data folder that holds data")
    ] = False,
) -> None:
    """Restore a backup into an empty data folder and database (--force: replace what is there)."""
    from core.settings import get_settings
    from outcomes.backup import BackupError, restore

    try:
        manifest = restore(get_settings(), file, force=force)
    except BackupError as exc:
        fail(str(exc))
    rows = sum(manifest["rows"].values())
    typer.echo(
        f"restored {file} (made {manifest['created_at']}, schema {manifest['schema_revision']}): "
        f"{rows} rows in {len(manifest['rows'])} tables"
        + (", keys.json" if manifest["keys"].get("file") else "")
        + (", the Chroma index" if manifest["chroma"] else "")
    )


def retention_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say what would go; change nothing")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Machine-readable JSON on stdout")
    ] = False,
) -> None:
    """Remove what is past its retention time (--dry-run: say what would go, per table)."""
    from core.settings import get_settings
    from outcomes import retention
    from stegvis.commands.database import transaction

    settings = get_settings()
    with transaction(settings) as session:
        if dry_run:
            lines = retention.plan(session, settings)
        else:
            lines = retention.apply(session, settings, actor=CLI_ACTOR)
    if as_json:
        typer.echo(json.dumps({"dry_run": dry_run, "tables": [ln.as_dict() for ln in lines]}))
        return
    verb = "would go" if dry_run else "removed"
    typer.echo(f"{'table':<22}{verb:>10}  {'rows from before':<26}rule")
    for line in lines:
        cutoff = line.cutoff
        when = (
            cutoff.strftime("%Y-%m-%d %H:%M UTC") if isinstance(cutoff, datetime) else str(cutoff)
        )
        typer.echo(f"{line.table:<22}{line.count:>10}  {when:<26}{line.rule}")
    if dry_run:
        typer.echo("(a dry run: nothing was removed)")
