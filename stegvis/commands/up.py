"""``stegvis up [--host] [--port] [--json]``: Stegvis in one process on one port.

The options, the checks and the messages; ``stegvis/up.py`` assembles and serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Annotated, Any

import typer


def up_command(
    host: Annotated[str | None, typer.Option(help="address to listen on (STEGVIS_HOST)")] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="port for everything (STEGVIS_PORT)")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print the URLs as one JSON line")
    ] = False,
) -> None:
    """Run Stegvis: the sandbox (no STEGVIS_TELEGRAM_TOKEN) or the bot on real Telegram."""
    from core.settings import get_settings
    from emulator.server import bind_socket
    from stegvis.up import assemble_sandbox, assemble_telegram, serve

    settings = get_settings()
    host = host or settings.host
    port = port or settings.port
    if settings.telegram_token and settings.webhook_url and not settings.webhook_secret:
        typer.echo(
            "error: STEGVIS_WEBHOOK_URL needs STEGVIS_WEBHOOK_SECRET (1-256 characters "
            "A-Z a-z 0-9 _ -)",
            err=True,
        )
        raise typer.Exit(2)
    try:
        sock = bind_socket(host, port)
    except OSError as exc:
        typer.echo(
            f"error: cannot listen on {host}:{port} ({exc.strerror}); is something else "
            "running there? Choose another port with --port.",
            err=True,
        )
        raise typer.Exit(1) from None
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
    root = f"http://{local}:{sock.getsockname()[1]}"
    info: dict[str, Any]
    if settings.telegram_token is None:
        assembled = assemble_sandbox(settings, root_url=root)
        info = {
            "mode": "sandbox",
            "sandbox": assembled.sandbox_url,
            "api_docs": f"{root}/docs",
            "emulator_docs": f"{root}/_emulator/docs",
            "bot": True,
        }
        lines = [
            f"Stegvis sandbox: {assembled.sandbox_url}",
            f"  staff API docs {root}/docs   (make a token: stegvis token create --role admin "
            "--name me)",
            f"  emulator       {root}/_emulator/docs",
        ]
    else:
        assembled = assemble_telegram(settings)
        mode = "webhook" if settings.webhook_url else "polling"
        info = {"mode": mode, "api_docs": f"{root}/docs", "webhook_url": settings.webhook_url}
        lines = [f"Stegvis on Telegram ({mode}); staff API docs: {root}/docs"]
    if as_json:
        lines = [json.dumps(info)]

    def ready() -> None:
        for line in lines:
            typer.echo(line)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(assembled, sock, ready))
