"""The sandbox web chat: a static page at ``/sandbox`` that talks to the control API."""

from __future__ import annotations

from pathlib import Path

from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"


async def _page(_request: object) -> Response:
    return FileResponse(STATIC_DIR / "sandbox.html", headers={"Cache-Control": "no-cache"})


async def _to_sandbox(_request: object) -> Response:
    return RedirectResponse("/sandbox")


def build_sandbox_routes(*, redirect_root: bool = True) -> list[BaseRoute]:
    """``/sandbox`` (the page), ``/sandbox/static/*`` (its CSS and JS) and optionally ``/``."""
    routes: list[BaseRoute] = [
        Route("/sandbox", _page, methods=["GET"]),
        Route("/sandbox/", _page, methods=["GET"]),
        Mount("/sandbox/static", StaticFiles(directory=STATIC_DIR), name="sandbox-static"),
    ]
    if redirect_root:
        routes.append(Route("/", _to_sandbox, methods=["GET"]))
    return routes
