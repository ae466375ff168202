"""``stegvis emulator``: serve the Telegram Bot API emulator and the sandbox page on its own."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Annotated

import typer


def emulator_command(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port")] = 8081,
    token: Annotated[
        str | None, typer.Option(help="the bot token to accept (default: a fixed sandbox token)")
    ] = None,
    username: Annotated[str, typer.Option(help="the bot's username")] = "StegvisBot",
    limits: Annotated[
        bool, typer.Option("--limits/--no-limits", help="apply Telegram's flood limits")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="print the URLs as JSON")] = False,
) -> None:
    """Run the Telegram Bot API emulator (python-telegram-bot connects with base_url)."""
    from emulator.app import create_emulator_app
    from emulator.config import TOKEN_PATTERN, BotSpec, EmulatorConfig, LimitsConfig, sandbox_token
    from emulator.server import bind_socket, serve_until_interrupted

    bot_token = token or sandbox_token("stegvis-emulator")
    if not TOKEN_PATTERN.fullmatch(bot_token):
        typer.echo(
            "error: --token must look like a Telegram token: digits, a colon, 35 letters, digits, "
            "'_' or '-' (e.g. 123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11)",
            err=True,
        )
        raise typer.Exit(2)
    config = EmulatorConfig(
        bots=[
            BotSpec(
                token=bot_token,
                username=username,
                first_name=username.removesuffix("Bot") or username,
            )
        ],
        limits=LimitsConfig(enabled=limits),
    )
    try:
        sock = bind_socket(host, port)
    except OSError as exc:
        typer.echo(
            f"error: cannot listen on {host}:{port} ({exc.strerror}); choose another "
            "port with --port",
            err=True,
        )
        raise typer.Exit(1) from None
    root = f"http://{host}:{sock.getsockname()[1]}"
    info = {
        "base_url": f"{root}/bot",
        "base_file_url": f"{root}/file/bot",
        "token": bot_token,
        "sandbox": f"{root}/sandbox",
        "control_api": f"{root}/_emulator/docs",
    }
    if as_json:
        typer.echo(json.dumps(info))
    else:
        typer.echo(f"Telegram emulator on {root}")
        typer.echo(f"  bot token      {bot_token}")
        typer.echo(f"  base_url       {info['base_url']}")
        typer.echo(f"  base_file_url  {info['base_file_url']}")
        typer.echo(f"  sandbox chat   {info['sandbox']}")
        typer.echo(f"  control API    {info['control_api']}")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_until_interrupted(create_emulator_app(config), sock))
