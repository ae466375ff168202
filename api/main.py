"""The staff API: ``create_app()`` assembles it; nothing happens at import time.

Every route under ``/api/v1`` needs a bearer token (see ``api/deps.py``); ``/health`` and the
OpenAPI docs (``/docs``, ``/openapi.json``) are open. To add a resource, write
``api/routes/<name>.py`` with a ``router = APIRouter(prefix="/<name>", tags=["<name>"])`` whose
paths are relative to ``/api/v1``, import it below and add ``<name>.router`` to ``ROUTERS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from api import errors
from api.deps import UNAUTHORIZED_HEADERS
from api.limits import LimitBodies
from api.routes import (
    announcements,
    audit,
    cohorts,
    events,
    exports,
    group_meetings,
    health,
    imports,
    indicators,
    invites,
    knowledge,
    meetings,
    mentors,
    pairs,
    participants,
    schedule,
    steering,
    studies,
    surveys,
    tokens,
)
from core.settings import Settings, get_settings
from outcomes.db import get_engine
from outcomes.tokens import verify_token
from staff.app import create_staff_app

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
STAFF_PREFIX = "/staff"  # the staff pages (staff/app.py): browser sessions, not bearer tokens
ROUTERS: tuple[APIRouter, ...] = (
    cohorts.router,
    participants.router,
    mentors.router,
    pairs.router,
    events.router,
    surveys.router,
    meetings.router,
    imports.router,
    indicators.router,
    exports.router,
    studies.router,  # study comparisons (spec/study.md)
    steering.router,
    tokens.router,
    audit.router,
    knowledge.router,  # the knowledge base (its own team)
    invites.router,  # pair invites (bot team)
    schedule.router,  # check-in schedule (check-ins team)
    announcements.router,  # announcements to a cohort (issue 13)
    group_meetings.router,  # kick-offs and workshops of a cohort
)
"""Routers mounted under ``/api/v1``."""

OPEN_ROUTERS: tuple[APIRouter, ...] = (health.router,)
"""Routers mounted at the root without authentication."""

DESCRIPTION = """Outcome records of a job-mentoring program (pseudonymous ids only) and the
indicators computed from them as spec/outcomes.md defines them.

Authenticate with `Authorization: Bearer <token>`; tokens are made with
`stegvis token create --role admin|staff|analyst --name NAME` or `POST /api/v1/tokens`.
Roles: **admin** everything; **staff** reads and writes records; **analyst** reads indicators,
studies and exports only."""


class RequireLiveToken:
    """Answer 401 at once when a request to ``/api/`` has no live bearer token.

    The routes check the token and its role themselves (``api/deps.py``); this only makes sure a
    request without a valid one is refused before anything else is looked at — its path, its
    method, or a body that is not even JSON.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        if scope["type"] == "http" and path.startswith("/api/"):
            auth = dict(scope["headers"]).get(b"authorization", b"")
            scheme, _, secret = auth.decode("latin-1").partition(" ")
            secret = secret.strip()
            detail = None
            if scheme.lower() != "bearer" or not secret:
                detail = "not authenticated: send 'Authorization: Bearer <token>'"
            elif not await anyio.to_thread.run_sync(_is_live, scope["app"].state.engine, secret):
                detail = "the token is unknown or revoked"
            if detail is not None:
                response = JSONResponse(
                    {"detail": detail}, status_code=401, headers=UNAUTHORIZED_HEADERS
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _is_live(engine: Engine, secret: str) -> bool:
    with Session(engine) as session:
        return verify_token(session, secret, touch=False) is not None


def _include(app: FastAPI, routers: tuple[APIRouter, ...], prefix: str, **kwargs: Any) -> None:
    for router in routers:
        app.include_router(router, prefix=prefix, **kwargs)


async def _warm_knowledge(app: FastAPI) -> None:
    """Build (when missing) and load the knowledge base, so that no search waits for it."""
    from knowledge import service

    try:
        await service.ensure_ready(app.state.settings)
    except Exception as exc:  # searching will try again; the rest of the API works without it
        log.warning("the knowledge base could not be prepared: %s", type(exc).__name__)
        app.state.knowledge = "failed"
        return
    app.state.knowledge = "ready"


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """At start the knowledge base is warmed in the background (``STEGVIS_KNOWLEDGE_WARMUP``):
    the API answers at once, and a search that comes early waits for the warm-up, not for a
    second one. ``/health`` says ``"knowledge": "warming" | "ready" | "failed"``."""
    task = None
    if app.state.settings.knowledge_warmup:
        app.state.knowledge = "warming"
        task = asyncio.create_task(_warm_knowledge(app), name="knowledge warm-up")
    app.state.knowledge_warming = task  # a search waits for it (api/deps.py knowledge_warmed)
    try:
        yield
    finally:
        if task is not None and not task.done():
            task.cancel()


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """The staff API on the configured database (migrated first when it is the embedded default).

    ``engine`` overrides the configured database (tests pass theirs).
    """
    settings = settings or get_settings()
    if engine is None:
        engine = get_engine(settings, migrate_on_start=settings.database_url is None)
    app = FastAPI(
        title="Stegvis outcomes API", version="1", description=DESCRIPTION, lifespan=_lifespan
    )
    app.state.engine = engine
    app.state.settings = settings
    app.add_middleware(  # inside RequireLiveToken: a request without a token is not read at all
        LimitBodies,
        max_json_bytes=settings.max_json_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        max_depth=settings.max_json_depth,
    )
    app.add_middleware(RequireLiveToken)
    errors.install(app)
    _include(app, OPEN_ROUTERS, "")
    _include(app, ROUTERS, API_PREFIX, responses=errors.ERROR_RESPONSES)
    app.mount(STAFF_PREFIX, create_staff_app(settings, engine))
    return app
