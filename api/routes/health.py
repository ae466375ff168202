"""``GET /health``: open, for load balancers and the sandbox; says whether the database answers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.deps import EngineDep

router = APIRouter(tags=["health"])


@router.get("/health")
def health(engine: EngineDep, request: Request) -> JSONResponse:
    """200 ``{"status": "ok"}`` when the database answers, else 503.

    ``knowledge`` is the start-up warm-up of the knowledge base: ``warming``, ``ready``,
    ``failed``, or ``off`` (``STEGVIS_KNOWLEDGE_WARMUP=false``).
    """
    knowledge = getattr(request.app.state, "knowledge", "off")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable", "knowledge": knowledge},
            status_code=503,
        )
    return JSONResponse({"status": "ok", "database": "ok", "knowledge": knowledge})
