"""``stegvis api [--host] [--port]``: serve the staff API with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer


def api_command(
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port to listen on")] = None,
) -> None:
    """Serve the staff API (docs at /docs); defaults from STEGVIS_HOST / STEGVIS_PORT."""
    import uvicorn

    from api.main import create_app
    from core.settings import get_settings

    settings = get_settings()
    app = create_app(settings)
    uvicorn.run(app, host=host or settings.host, port=port or settings.port)
