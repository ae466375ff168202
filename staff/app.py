"""The staff pages as an ASGI app; ``api/main.py`` mounts it at ``/staff`` (same port as the API).

To add a page, write ``staff/routes/<name>.py`` with a ``router = APIRouter()`` whose paths are
relative to ``/staff`` and add its module name to ``ROUTERS``. Everything a page needs (CSS,
the one small script, no fonts, no CDN) is served from ``staff/static`` at ``/staff/static``.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.settings import Settings
from outcomes.errors import DomainError, NotFound
from staff.deps import SESSION_COOKIE, CsrfRejected, Forbidden, LoginRequired
from staff.templating import gettext_for, language_of, render

STATIC = Path(__file__).parent / "static"
ROUTERS = (
    "staff.routes.auth",
    "staff.routes.overview",
    "staff.routes.pairs",
    "staff.routes.cohorts",
    "staff.routes.group_meetings",
    "staff.routes.study",
    "staff.routes.exports",
    "staff.routes.report",
    "staff.routes.accounts",
    "staff.routes.announcements",
)


def safe_next(target: str | None, root: str) -> str | None:
    """Where to go after the login: only a path of these pages (never another site)."""
    if not target or not target.startswith(root + "/") or target.startswith("//"):
        return None
    if "\\" in target or "\n" in target or "\r" in target:
        return None
    return target


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    return render(
        request,
        "error.html",
        {"title": title, "message": message},
        visitor=getattr(request.state, "visitor", None),
        status_code=status,
    )


def create_staff_app(settings: Settings, engine: Engine) -> FastAPI:
    """The staff pages on ``engine``; mounted by ``api.main.create_app`` at ``/staff``."""
    app = FastAPI(title="Stegvis staff pages", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.engine = engine
    app.state.settings = settings
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for name in ROUTERS:
        app.include_router(importlib.import_module(name).router)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, _exc: LoginRequired) -> Response:
        root = request.scope.get("root_path", "").rstrip("/")
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target = f"{root}/login"
        if request.method == "GET" and safe_next(here, root):
            target += "?next=" + quote(here, safe="")
        response = RedirectResponse(target, status_code=303)
        if SESSION_COOKIE in request.cookies:
            response.delete_cookie(SESSION_COOKIE, path=root or "/")
        return response

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, _exc: Forbidden) -> Response:
        _ = gettext_for(language_of(request))
        return _error_page(
            request,
            403,
            _("Not for your role"),
            _("Your role does not give access to this page. Ask an administrator if you need it."),
        )

    @app.exception_handler(CsrfRejected)
    async def csrf_rejected(request: Request, _exc: CsrfRejected) -> Response:
        _ = gettext_for(language_of(request))
        return _error_page(
            request,
            403,
            _("The form could not be accepted"),
            _(
                "The form was sent without its security token, or from a page that is too old. "
                "Go back, reload the page and try again."
            ),
        )

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        _ = gettext_for(language_of(request))
        return _error_page(request, 404, _("Not found"), str(exc))

    @app.exception_handler(DomainError)
    async def refused(request: Request, exc: DomainError) -> Response:
        _ = gettext_for(language_of(request))
        return _error_page(request, 400, _("That could not be done"), str(exc))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        _ = gettext_for(language_of(request))
        where = ", ".join(".".join(str(p) for p in e["loc"][1:]) for e in exc.errors())
        return _error_page(
            request, 400, _("The address is not right"), _("Check: {where}").format(where=where)
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        _ = gettext_for(language_of(request))
        if exc.status_code == 404:
            return _error_page(request, 404, _("Not found"), _("There is no such page."))
        return _error_page(request, exc.status_code, _("That could not be done"), str(exc.detail))

    return app
