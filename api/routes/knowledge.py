"""Knowledge base search: the answer ``stegvis ask --json`` gives, for any authenticated role."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.deps import CurrentStaff, KnowledgeWarmed
from core.languages import LanguageCode
from knowledge import service
from knowledge.answer import Answer

router = APIRouter(prefix="/knowledge", tags=["knowledge"])


@router.get("/search")
async def search_knowledge(
    request: Request,
    _: CurrentStaff,
    _warmed: KnowledgeWarmed,
    q: Annotated[str, Query(min_length=1, max_length=1000, description="The question")],
    lang: Annotated[
        LanguageCode | None, Query(description="Language hint for short questions")
    ] = None,
    k: Annotated[int, Query(ge=1, le=5, description="Passages to return (≤ 5)")] = 5,
) -> Answer:
    """Passages from the support material for a question, best first, and a short answer.

    ``found`` is false (and ``answer`` empty) when the material has nothing close enough.
    A search during the start-up warm-up waits for it.
    """
    settings = getattr(request.app.state, "settings", None)
    return await service.ask(q, lang_hint=lang, k=k, settings=settings)
