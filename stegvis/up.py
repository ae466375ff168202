"""``stegvis up``: Stegvis in one process on one port (127.0.0.1:8000 by default).

Without ``STEGVIS_TELEGRAM_TOKEN`` it is the sandbox: the staff API, the Telegram emulator, the
web chat at ``/sandbox`` and the bot, which polls the emulator over loopback HTTP from the same
event loop. The emulator's bot token is generated once per data folder (it is not a secret: it
only opens the local emulator) and its users are kept in ``sandbox-users.json`` there, so people
and update ids survive a restart. With the token set it talks to real Telegram: long polling by
default, or a webhook on this same port with ``STEGVIS_WEBHOOK_URL`` and
``STEGVIS_WEBHOOK_SECRET``. The database is migrated on start in both cases.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from core.settings import Settings, get_settings

log = logging.getLogger(__name__)

SANDBOX_TOKEN_FILE = "sandbox-bot-token"  # noqa: S105  (a file name)
SANDBOX_USERS_FILE = "sandbox-users.json"
EMULATOR_PREFIXES = ("/bot", "/file/bot", "/_emulator", "/sandbox")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  (a header name)
BotFactory = Callable[..., Any]  # (settings, *, base_url=..., base_file_url=...) -> Application


# -- the parts ---------------------------------------------------------------------------------


def sandbox_token_for(data_dir: Path) -> str:
    """The emulator's bot token for this data folder, made on first use."""
    from emulator.config import sandbox_token

    path = data_dir / SANDBOX_TOKEN_FILE
    if path.exists():
        return path.read_text().strip()
    token = sandbox_token(secrets.token_hex(16))
    path.write_text(token + "\n")
    return token


def _load_users(path: Path) -> list[Any]:
    from emulator.config import UserSpec

    if not path.exists():
        return []
    return [UserSpec(**item) for item in json.loads(path.read_text())]


def _save_user(path: Path, user: Any) -> None:
    users = json.loads(path.read_text()) if path.exists() else []
    fields = user.public()
    users.append(
        {
            k: fields[k]
            for k in ("user_id", "first_name", "last_name", "username", "language_code", "role")
        }
    )
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(users, ensure_ascii=False, indent=1))
    tmp.replace(path)


def default_bot_factory() -> BotFactory | None:
    """``bot.app.build_application``, or None while the bot package has no app yet."""
    try:
        from bot.app import build_application
    except ModuleNotFoundError as exc:
        if exc.name in ("bot", "bot.app"):
            return None
        raise
    return build_application  # type: ignore[no-any-return]


@dataclass
class BotRunner:
    """Starts and stops a python-telegram-bot Application inside an already running loop."""

    application: Any
    webhook_url: str | None = None
    webhook_secret: str | None = None
    _started: bool = field(default=False, init=False)

    async def start(self, *, connect_timeout: float = 15.0) -> None:
        """Initialize (retrying until the Bot API answers), then poll or set the webhook."""
        from telegram import Update
        from telegram.error import NetworkError

        app = self.application
        deadline = time.monotonic() + connect_timeout
        while True:
            try:
                await app.initialize()
                break
            except NetworkError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)
        if app.post_init:
            await app.post_init(app)
        if self.webhook_url:
            await app.bot.set_webhook(
                self.webhook_url, secret_token=self.webhook_secret, allowed_updates=Update.ALL_TYPES
            )
        else:
            await app.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        await app.start()
        self._started = True

    async def stop(self) -> None:
        """Stop polling and the application (safe to call twice)."""
        if not self._started:
            return
        self._started = False
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        if app.post_stop:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)


class _Dispatch:
    """Send emulator and sandbox paths to the emulator app, everything else to the staff API."""

    def __init__(self, api: ASGIApp, emulator_app: ASGIApp) -> None:
        self.api = api
        self.emulator_app = emulator_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if path == "/" or path.startswith(EMULATOR_PREFIXES):
            await self.emulator_app(scope, receive, send)
        else:
            await self.api(scope, receive, send)


def _combine(
    routes: list[Any], parts: list[Any], on_shutdown: list[Callable[[], Awaitable[None]]]
) -> Starlette:
    """One ASGI app whose lifespan runs the lifespans of ``parts`` (FastAPI/Starlette apps)."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for part in parts:
                await stack.enter_async_context(part.router.lifespan_context(part))
            for callback in on_shutdown:
                stack.push_async_callback(callback)
            yield

    return Starlette(routes=routes, lifespan=lifespan)


class SandboxInvites:
    """Invite links for sandbox people, so a new mentor or participant can join in one step.

    Each request for a role takes the waiting invite of that role if the other side of the newest
    demo pair already has one out, else makes a new demo pair (cohort "sandbox", pseudonymous
    mentor, participant and pair records) and hands out one of its two invites. So a mentor and a
    participant created one after the other become a pair. Demo data only: the sandbox database.
    """

    COHORT = "sandbox"

    def __init__(self, engine: Any, settings: Settings) -> None:
        self._engine = engine
        self._settings = settings
        self._waiting: dict[str, str] = {}  # role -> the unused token of the newest demo pair

    def _new_pair(self) -> dict[str, str]:
        from datetime import timedelta

        from core.vocab import Gender
        from outcomes.clock import today
        from outcomes.db import session_scope
        from outcomes.invites import create_invites
        from outcomes.models import Cohort, Mentor, Pair, Participant
        from outcomes.schemas import CohortCreate, MentorCreate, PairCreate, ParticipantCreate
        from outcomes.service import create_record, new_id

        actor = "sandbox"
        day = today()
        with session_scope(self._engine) as session:
            if session.get(Cohort, self.COHORT) is None:
                cohort = CohortCreate(
                    id=self.COHORT,
                    name="Sandbox (demo data)",
                    start=day - timedelta(days=30),
                    end=day + timedelta(days=365),
                )
                create_record(session, Cohort, cohort, actor=actor)
            mentor = create_record(
                session, Mentor, MentorCreate(id=new_id("sbx-m"), cohort=self.COHORT), actor=actor
            )
            participant = create_record(
                session,
                Participant,
                ParticipantCreate(
                    id=new_id("sbx-p"), cohort=self.COHORT, gender=Gender.unspecified
                ),
                actor=actor,
            )
            pair = PairCreate(
                id=new_id("sbx"), mentor=mentor.id, participant=participant.id, matched_on=day
            )
            create_record(session, Pair, pair, actor=actor)
            issued = create_invites(session, pair_id=pair.id, actor=actor, settings=self._settings)
        return {role.value: invite.token for role, invite in issued.items()}

    def take(self, role: str) -> str:
        """A fresh invite token for ``role`` (``mentor`` or ``participant``)."""
        token = self._waiting.pop(role, None)
        if token is not None:
            return token
        tokens = self._new_pair()
        other = "participant" if role == "mentor" else "mentor"
        self._waiting[other] = tokens[other]
        return tokens[role]


def _invite_route(invites: SandboxInvites) -> Route:
    async def invite(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        role = body.get("role") if isinstance(body, dict) else None
        if role not in ("mentor", "participant"):
            return JSONResponse({"detail": 'role must be "mentor" or "participant"'}, 422)
        token = await asyncio.to_thread(invites.take, role)
        return JSONResponse({"role": role, "start": token}, status_code=201)

    return Route("/_sandbox/invite", invite, methods=["POST"])


@dataclass
class Assembled:
    """What ``stegvis up`` serves: the ASGI app, the bot runner (if any) and the emulator."""

    app: Starlette
    runner: BotRunner | None
    emulator: Any | None = None
    sandbox_url: str | None = None


def _migrated_api(settings: Settings) -> tuple[Any, Any]:
    """The staff API on the database, migrated first; and the engine."""
    from api.main import create_app
    from outcomes.db import get_engine

    engine = get_engine(settings, migrate_on_start=True)
    return create_app(settings, engine=engine), engine


def assemble_sandbox(
    settings: Settings, *, root_url: str, build_bot: BotFactory | None = None
) -> Assembled:
    """Staff API + emulator + sandbox page + the bot polling the emulator at ``root_url``."""
    from emulator.app import create_emulator_app
    from emulator.config import BotSpec, EmulatorConfig, LimitsConfig
    from emulator.core import Emulator

    data_dir = settings.ensure_data_dir()
    api, engine = _migrated_api(settings)
    token = sandbox_token_for(data_dir)
    users_path = data_dir / SANDBOX_USERS_FILE
    config = EmulatorConfig(
        bots=[BotSpec(token=token, username=settings.bot_username, first_name="Stegvis")],
        limits=LimitsConfig(enabled=settings.emulator_rate_limits),
        users=_load_users(users_path),
        # update ids keep rising across restarts (the bot remembers the ids it handled)
        first_update_id=int(time.time() * 1000),
    )
    emulator = Emulator(config, on_user_created=lambda user: _save_user(users_path, user))
    emulator_app = create_emulator_app(emulator=emulator)
    runner = None
    factory = build_bot or default_bot_factory()
    if factory is not None:
        bot_settings = settings.model_copy(
            update={"telegram_token": SecretStr(token), "telegram_base_url": f"{root_url}/bot"}
        )
        application = factory(
            bot_settings, base_url=f"{root_url}/bot", base_file_url=f"{root_url}/file/bot"
        )
        runner = BotRunner(application)
    app = _combine(
        [
            _invite_route(SandboxInvites(engine, settings)),
            Mount("", app=_Dispatch(api, emulator_app)),
        ],
        [emulator_app, api],
        [runner.stop] if runner else [],
    )
    return Assembled(app, runner, emulator, f"{root_url}/sandbox")


def _webhook_route(path: str, runner: BotRunner, secret: str) -> Route:
    async def receive_update(request: Request) -> Response:
        from telegram import Update

        if not secrets.compare_digest(request.headers.get(SECRET_HEADER, ""), secret):
            return JSONResponse({"detail": "wrong secret token"}, status_code=403)
        application = runner.application
        await application.update_queue.put(Update.de_json(await request.json(), application.bot))
        return Response(status_code=200)

    return Route(path, receive_update, methods=["POST"])


def assemble_telegram(settings: Settings, *, build_bot: BotFactory | None = None) -> Assembled:
    """Staff API + the bot on real Telegram (polling, or a webhook on this port)."""
    api, _engine = _migrated_api(settings)
    factory = build_bot or default_bot_factory()
    if factory is None:
        raise RuntimeError("the bot is not built yet: bot/app.py has no build_application")
    application = factory(settings)
    webhook_url = settings.webhook_url
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    runner = BotRunner(application, webhook_url=webhook_url, webhook_secret=secret)
    routes: list[Any] = []
    if webhook_url:
        assert secret is not None
        routes.append(_webhook_route(urlsplit(webhook_url).path or "/", runner, secret))
    routes.append(Mount("", app=api))
    return Assembled(_combine(routes, [api], [runner.stop]), runner)


# -- serving -----------------------------------------------------------------------------------


async def _serve(assembled: Assembled, sock: Any, ready_lines: list[str]) -> None:
    from emulator.server import serve_until_interrupted

    runner = assembled.runner
    before_exit: list[Callable[[], Awaitable[None]]] = []
    if runner is not None:
        before_exit.append(runner.stop)  # while the emulator still answers the bot
    if assembled.emulator is not None:
        before_exit.append(assembled.emulator.aclose)  # ends the sandbox page's long polls

    async def started() -> None:
        if runner is not None:
            await runner.start()
        for line in ready_lines:
            typer.echo(line)

    await serve_until_interrupted(assembled.app, sock, before_exit=before_exit, on_started=started)
    if runner is not None:
        await runner.stop()


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
    from emulator.server import bind_socket

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
    if settings.telegram_token is None:
        assembled = assemble_sandbox(settings, root_url=root)
        info = {
            "mode": "sandbox",
            "sandbox": assembled.sandbox_url,
            "api_docs": f"{root}/docs",
            "emulator_docs": f"{root}/_emulator/docs",
            "staff": f"{root}/staff",
            "bot": assembled.runner is not None,
        }
        lines = [
            f"Stegvis sandbox: {assembled.sandbox_url}",
            f"  staff API docs {root}/docs   (make a token: stegvis token create --role admin "
            "--name me)",
            f"  emulator       {root}/_emulator/docs",
            f"  staff pages    {root}/staff   (make a login: stegvis staff add EMAIL --role admin)",
        ]
        if assembled.runner is None:
            lines.append("  note: bot/app.py is not there yet, so nobody answers in the chat")
    else:
        try:
            assembled = assemble_telegram(settings)
        except RuntimeError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
        mode = "webhook" if settings.webhook_url else "polling"
        info = {"mode": mode, "api_docs": f"{root}/docs", "webhook_url": settings.webhook_url}
        lines = [f"Stegvis on Telegram ({mode}); staff API docs: {root}/docs; pages: {root}/staff"]
    if as_json:
        lines = [json.dumps(info)]
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(assembled, sock, lines))


def register(app: typer.Typer) -> None:
    """Add ``stegvis up``."""
    app.command("up")(up_command)
