"""Commands of the bot: ``stegvis invite PAIR_ID [--json] [--revoke]`` and ``stegvis bot``.

``stegvis invite pair-1 --json`` prints ``{"mentor": {"token", "link", "expires_at"},
"participant": {...}}`` — two single-use deep links, shown once (only their hashes are stored);
new invites revoke the pair's unused ones. ``--status`` lists what became of earlier invites
(declined ones included) and ``--revoke`` revokes the unused ones. ``stegvis bot`` runs the bot
with long polling (``--base-url`` for the emulator).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from stegvis.commands.common import CLI_ACTOR, fail


def invite_command(
    pair_id: Annotated[str, typer.Argument(help="The pair's id")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Machine-readable JSON on stdout")
    ] = False,
    days: Annotated[int | None, typer.Option("--days", help="Days the links stay valid")] = None,
    status: Annotated[bool, typer.Option("--status", help="List the pair's invites")] = False,
    revoke: Annotated[bool, typer.Option("--revoke", help="Revoke the unused invites")] = False,
) -> None:
    """Two single-use invite links to the bot for a pair: one for the mentor, one for the participant."""
    from sqlmodel import Session

    from core.settings import get_settings
    from outcomes import invites
    from outcomes.errors import DomainError
    from stegvis.commands.database import engine

    settings = get_settings()
    with Session(engine(settings), expire_on_commit=False) as session:
        try:
            if status:
                views = invites.list_invites(session, pair_id)
                rows = [
                    {
                        "role": str(v.role),
                        "status": str(v.status),
                        "created_at": v.created_at.isoformat(),
                        "expires_at": v.expires_at.isoformat(),
                    }
                    for v in views
                ]
                if as_json:
                    typer.echo(json.dumps(rows))
                for row in [] if as_json else rows:
                    typer.echo(f"{row['role']:<12} {row['status']:<9} created {row['created_at']}")
                return
            if revoke:
                count = invites.revoke(session, pair_id=pair_id, actor=CLI_ACTOR)
                session.commit()
                typer.echo(json.dumps({"revoked": count}) if as_json else f"revoked {count}")
                return
            issued = invites.create_invites(
                session, pair_id=pair_id, actor=CLI_ACTOR, settings=settings, ttl_days=days
            )
            session.commit()
        except DomainError as exc:
            session.rollback()
            fail(str(exc))
    out = {
        str(role): {"token": i.token, "link": i.link, "expires_at": i.expires_at.isoformat()}
        for role, i in issued.items()
    }
    if as_json:
        typer.echo(json.dumps(out))
        return
    for role, item in out.items():
        typer.echo(f"{role:<12} {item['link']}")
    typer.echo(f"valid until {next(iter(out.values()))['expires_at']}; each link works once")


def bot_command(
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="Bot API base URL (the emulator)")
    ] = None,
    token: Annotated[str | None, typer.Option("--token", help="Bot token")] = None,
) -> None:
    """Run the Telegram bot with long polling."""
    from bot.run import quiet_logs, run

    quiet_logs()
    try:
        run(base_url, token)
    except ValueError as exc:
        fail(str(exc))
