"""The ASGI pieces ``stegvis up`` puts on one port: path dispatch, one lifespan, two endpoints.

``Dispatch`` sends the emulator's and the sandbox page's paths to the emulator app and everything
else to the staff API; ``combine`` makes one Starlette app whose lifespan runs the lifespans of
its parts; ``webhook_route`` takes Telegram's updates for the bot in webhook mode (the secret
token header checked first) and answers 200 only once the update is handled — 500 when it
failed, 503 while the bot is not running, so that Telegram delivers it again (exactly-once
effect, see ``bot/runner.py``); ``invite_route`` is the sandbox page's "invite me into a demo
pair".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.runner import BotRunner, NotReady, UpdateFailed
from outcomes.contacts import PersonRole
from outcomes.demo import DemoInvites

EMULATOR_PREFIXES = ("/bot", "/file/bot", "/_emulator", "/sandbox")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  (a header name)
log = logging.getLogger(__name__)


class Dispatch:
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


def combine(
    routes: Sequence[BaseRoute],
    parts: Sequence[Starlette],
    on_shutdown: Sequence[Callable[[], Awaitable[None]]] = (),
) -> Starlette:
    """One ASGI app whose lifespan runs the lifespans of ``parts``, then ``on_shutdown``."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for part in parts:
                await stack.enter_async_context(part.router.lifespan_context(part))
            for callback in on_shutdown:
                stack.push_async_callback(callback)
            yield

    return Starlette(routes=list(routes), lifespan=lifespan)


def webhook_route(path: str, runner: BotRunner) -> Route:
    """``POST path``: an update from Telegram for the bot, if it carries the secret token."""

    async def receive_update(request: Request) -> Response:
        if not runner.accepts(request.headers.get(SECRET_HEADER, "")):
            return JSONResponse({"detail": "wrong secret token"}, status_code=403)
        try:
            data = await request.json()
        except ValueError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return JSONResponse({"detail": "the body must be a Telegram Update"}, 400)
        try:
            await runner.process(data)
        except NotReady:
            return JSONResponse({"detail": "the bot is not running yet"}, status_code=503)
        except UpdateFailed:  # already logged by the bot's error handler
            return JSONResponse({"detail": "the update failed; send it again"}, 500)
        except Exception as exc:  # e.g. a malformed update PTB cannot read
            log.error("webhook update %s failed: %s", data["update_id"], type(exc).__name__)
            return JSONResponse({"detail": "the update failed; send it again"}, 500)
        return Response(status_code=200)

    return Route(path, receive_update, methods=["POST"])


def invite_route(invites: DemoInvites) -> Route:
    """``POST /_sandbox/invite {"role": "mentor"}``: an invite token into a demo pair."""

    async def invite(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        role = body.get("role") if isinstance(body, dict) else None
        if role not in tuple(PersonRole):
            return JSONResponse({"detail": 'role must be "mentor" or "participant"'}, 422)
        token = await asyncio.to_thread(invites.take, PersonRole(role))
        return JSONResponse({"role": role, "start": token}, status_code=201)

    return Route("/_sandbox/invite", invite, methods=["POST"])
