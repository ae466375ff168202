"""``stegvis up [--host] [--port] [--json]``: Stegvis in one process on one port; and
``stegvis serve``: one of several stateless instances behind a reverse proxy (webhook mode,
PostgreSQL; see ``deploy/``).

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
            "staff": f"{root}/staff",
            "bot": True,
        }
        lines = [
            f"Stegvis sandbox: {assembled.sandbox_url}",
            f"  staff API docs {root}/docs   (make a token: stegvis token create --role admin "
            "--name me)",
            f"  emulator       {root}/_emulator/docs",
            f"  staff pages    {root}/staff   (make a login: stegvis staff add EMAIL --role admin)",
        ]
    else:
        assembled = assemble_telegram(settings)
        mode = "webhook" if settings.webhook_url else "polling"
        info = {"mode": mode, "api_docs": f"{root}/docs", "webhook_url": settings.webhook_url}
        lines = [f"Stegvis on Telegram ({mode}); staff API docs: {root}/docs; pages: {root}/staff"]
    if as_json:
        lines = [json.dumps(info)]

    def ready() -> None:
        for line in lines:
            typer.echo(line)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(assembled, sock, ready))


def serve_command(
    host: Annotated[str | None, typer.Option(help="address to listen on (STEGVIS_HOST)")] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="port for everything (STEGVIS_PORT)")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print the instance's URLs as one JSON line")
    ] = False,
    rate_limiter: Annotated[
        bool,
        typer.Option(
            "--rate-limiter/--no-rate-limiter", help="PTB's rate limiter (off: benchmarks)"
        ),
    ] = True,
) -> None:
    """Run one of several instances behind a proxy: API, staff pages, webhook, sender (PostgreSQL)."""
    from urllib.parse import urlsplit

    from core.settings import get_settings
    from emulator.server import bind_socket
    from stegvis.up import assemble_instance, instance_problem, serve

    settings = get_settings()
    problem = instance_problem(settings)
    if problem is not None:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
    host = host or settings.host
    port = port or settings.port
    try:
        sock = bind_socket(host, port)
    except OSError as exc:
        typer.echo(f"error: cannot listen on {host}:{port} ({exc.strerror})", err=True)
        raise typer.Exit(1) from None
    assembled = assemble_instance(settings, rate_limiter=rate_limiter)
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
    root = f"http://{local}:{sock.getsockname()[1]}"
    path = urlsplit(settings.webhook_url or "").path or "/"
    info = {"mode": "instance", "url": root, "webhook": f"{root}{path}"}
    line = (
        json.dumps(info)
        if as_json
        else f"Stegvis instance on {root}: webhook {path}, staff API {root}/docs"
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(assembled, sock, lambda: typer.echo(line)))
