"""``stegvis up``, assembled: Stegvis in one process on one port (127.0.0.1:8000 by default).

Without ``STEGVIS_TELEGRAM_TOKEN`` it is the sandbox (``assemble_sandbox``): the staff API, the
Telegram emulator, the web chat at ``/sandbox`` and the bot, which polls the emulator over
loopback HTTP from the same event loop; the emulator's token and people are kept in the data
folder (``stegvis/sandbox.py``), and the page's "invite me" makes demo pairs (``outcomes/demo.py``).
With the token set (``assemble_telegram``) it talks to real Telegram: long polling by default, or
a webhook on this same port with ``STEGVIS_WEBHOOK_URL`` and ``STEGVIS_WEBHOOK_SECRET``. The
database is migrated on start in both cases. The bot runs with ``bot.runner.BotRunner``, as
``stegvis bot`` does; ``serve`` runs it all until Ctrl+C. The command itself (options, messages)
is ``stegvis/commands/up.py``.
"""

from __future__ import annotations

import functools
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount

from api.main import create_app
from bot.app import build_application
from bot.runner import BotApplication, BotRunner, WarmUp, knowledge_warm_up
from core.settings import Settings
from emulator.app import create_emulator_app
from emulator.config import BotSpec, EmulatorConfig, LimitsConfig
from emulator.core import Emulator
from emulator.server import serve_until_interrupted
from outcomes.db import get_engine
from outcomes.demo import DemoInvites
from stegvis.asgi import Dispatch, combine, invite_route, webhook_route
from stegvis.sandbox import SANDBOX_USERS_FILE, load_users, sandbox_token_for, save_user


class SandboxBotFactory(Protocol):
    """Builds the sandbox's bot against the emulator (``bot.app.build_application`` fits)."""

    def __call__(
        self, settings: Settings, *, base_url: str, base_file_url: str
    ) -> BotApplication: ...


class TelegramBotFactory(Protocol):
    """Builds the bot for real Telegram from the settings (``bot.app.build_application`` fits)."""

    def __call__(self, settings: Settings) -> BotApplication: ...


@dataclass
class Assembled:
    """What ``stegvis up`` serves: the ASGI app, the bot's runner and (sandbox) the emulator."""

    app: Starlette
    runner: BotRunner
    emulator: Emulator | None = None
    sandbox_url: str | None = None


def _migrated_api(settings: Settings) -> tuple[FastAPI, Engine]:
    """The staff API on the database, migrated first; and the engine."""
    engine = get_engine(settings, migrate_on_start=True)
    return create_app(settings, engine=engine), engine


def assemble_sandbox(
    settings: Settings, *, root_url: str, build_bot: SandboxBotFactory | None = None
) -> Assembled:
    """Staff API + emulator + sandbox page + the bot polling the emulator at ``root_url``.

    ``build_bot`` stands in for the real bot (``bot.app.build_application``, which also warms up
    the knowledge base at start); tests pass a small bot of their own.
    """
    data_dir = settings.ensure_data_dir()
    api, engine = _migrated_api(settings)
    token = sandbox_token_for(data_dir)
    users_path = data_dir / SANDBOX_USERS_FILE
    config = EmulatorConfig(
        bots=[BotSpec(token=token, username=settings.bot_username, first_name="Stegvis")],
        limits=LimitsConfig(enabled=settings.emulator_rate_limits),
        users=load_users(users_path),
        # update ids keep rising across restarts (the bot remembers the ids it handled)
        first_update_id=int(time.time() * 1000),
    )
    emulator = Emulator(config, on_user_created=lambda user: save_user(users_path, user))
    emulator_app = create_emulator_app(emulator=emulator)
    bot_settings = settings.model_copy(
        update={"telegram_token": SecretStr(token), "telegram_base_url": f"{root_url}/bot"}
    )
    warm_up: WarmUp | None = None
    if build_bot is None:
        build_bot, warm_up = build_application, knowledge_warm_up(settings)
    application = build_bot(
        bot_settings, base_url=f"{root_url}/bot", base_file_url=f"{root_url}/file/bot"
    )
    runner = BotRunner(application, warm_up=warm_up)
    routes: list[BaseRoute] = [
        invite_route(DemoInvites(engine, settings)),
        Mount("", app=Dispatch(api, emulator_app)),
    ]
    app = combine(routes, [emulator_app, api], [runner.stop])
    return Assembled(app, runner, emulator, f"{root_url}/sandbox")


def assemble_telegram(
    settings: Settings, *, build_bot: TelegramBotFactory | None = None, rate_limiter: bool = True
) -> Assembled:
    """Staff API + the bot on real Telegram (polling, or a webhook on this port);
    ``rate_limiter=False`` leaves out PTB's limiter (benchmarks against the emulator)."""
    api, _engine = _migrated_api(settings)
    warm_up: WarmUp | None = None
    if build_bot is None:
        build_bot = functools.partial(build_application, rate_limiter=rate_limiter)
        warm_up = knowledge_warm_up(settings) if settings.knowledge_warmup else None
    webhook_url = settings.webhook_url
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    runner = BotRunner(
        build_bot(settings), webhook_url=webhook_url, webhook_secret=secret, warm_up=warm_up
    )
    routes: list[BaseRoute] = []
    if webhook_url:
        if secret is None:
            raise ValueError("STEGVIS_WEBHOOK_URL needs STEGVIS_WEBHOOK_SECRET")
        routes.append(webhook_route(urlsplit(webhook_url).path or "/", runner))
    routes.append(Mount("", app=api))
    return Assembled(combine(routes, [api], [runner.stop]), runner)


def instance_problem(settings: Settings) -> str | None:
    """Why ``stegvis serve`` cannot run as one of several instances, or None."""
    if settings.telegram_token is None:
        return "stegvis serve needs STEGVIS_TELEGRAM_TOKEN (the sandbox is `stegvis up`)"
    if not settings.webhook_url or settings.webhook_secret is None:
        return (
            "stegvis serve needs STEGVIS_WEBHOOK_URL (the proxy's public URL) and "
            "STEGVIS_WEBHOOK_SECRET (1-256 characters A-Z a-z 0-9 _ -)"
        )
    if not settings.resolved_database_url.startswith("postgresql"):
        return (
            "stegvis serve runs several instances on one PostgreSQL database: set "
            "STEGVIS_DATABASE_URL=postgresql+psycopg://... (SQLite: use `stegvis up`)"
        )
    return None


def assemble_instance(
    settings: Settings, *, build_bot: TelegramBotFactory | None = None, rate_limiter: bool = True
) -> Assembled:
    """One stateless instance of several behind a reverse proxy (``stegvis serve``).

    The staff API and pages, the webhook endpoint (each update handled before the answer) and
    the scheduled sender, all on PostgreSQL: the instances share nothing else (conversation
    state and handled update ids are in the database, the knowledge index in a Chroma server
    with ``STEGVIS_CHROMA_URL``), and their senders claim due items with ``FOR UPDATE SKIP
    LOCKED``, so each goes out once whichever instance takes it. Migrating on start is
    serialized by an advisory lock (``outcomes.db.migrate``).
    """
    problem = instance_problem(settings)
    if problem is not None:
        raise ValueError(problem)
    return assemble_telegram(settings, build_bot=build_bot, rate_limiter=rate_limiter)


async def serve(
    assembled: Assembled, sock: socket.socket, on_ready: Callable[[], None] = lambda: None
) -> None:
    """Serve on ``sock`` and start the bot; ``on_ready`` once both run; stop both on Ctrl+C."""
    runner = assembled.runner
    before_exit: list[Callable[[], Awaitable[None]]] = [runner.stop]  # while the emulator answers
    if assembled.emulator is not None:
        before_exit.append(assembled.emulator.aclose)  # ends the sandbox page's long polls

    async def started() -> None:
        await runner.start()  # returns once the bot takes updates: after its warm-up
        if runner.started:
            on_ready()

    await serve_until_interrupted(assembled.app, sock, before_exit=before_exit, on_started=started)
    await runner.stop()
