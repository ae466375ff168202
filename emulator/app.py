"""The emulator as an ASGI application: Bot API, control API and sandbox page on one port.

``create_emulator_app(config)`` is what ``stegvis emulator`` serves and what tests run under
uvicorn; ``stegvis up`` mounts the same app next to the staff API. The ``Emulator`` object is
at ``app.state.emulator``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from emulator.botapi import QuietDrops, build_bot_api_routes
from emulator.config import EmulatorConfig
from emulator.control import build_control_router
from emulator.core import Emulator
from emulator.sandbox import build_sandbox_routes


def create_emulator_app(
    config: EmulatorConfig | None = None,
    *,
    emulator: Emulator | None = None,
    redirect_root: bool = True,
) -> FastAPI:
    """Build the emulator app around a new ``Emulator`` (or the one given)."""
    emu = emulator or Emulator(config)
    drops = QuietDrops(emu)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        logging.getLogger("uvicorn.error").addFilter(drops)
        try:
            yield
        finally:
            await emu.aclose()
            logging.getLogger("uvicorn.error").removeFilter(drops)

    app = FastAPI(
        title="Stegvis Telegram emulator",
        summary="A Telegram Bot API emulator with a control API and a sandbox web chat",
        docs_url="/_emulator/docs",
        redoc_url=None,
        openapi_url="/_emulator/openapi.json",
        lifespan=lifespan,
    )
    app.state.emulator = emu
    app.router.routes.extend(build_bot_api_routes(emu))
    app.include_router(build_control_router(emu))
    app.router.routes.extend(build_sandbox_routes(redirect_root=redirect_root))
    return app
