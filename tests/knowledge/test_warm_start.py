"""The knowledge base is warm before the first search (issue 17 item 7, issue 14 deliverable 5).

The API warms it in the background at start and a search that comes meanwhile waits for that
warm-up instead of loading everything a second time beside it; ``knowledge.service.ensure_ready``
does the work once a process however often it is asked (``stegvis up``: the API and the bot).
The bot's side (no update taken before its warm-up) is in ``tests/bot/test_runner.py``.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from api.main import create_app
from bot.runner import knowledge_warm_up
from core.settings import Settings
from knowledge import service
from knowledge.answer import Answer
from knowledge.index import index_is_missing
from knowledge.retrieve import Retriever
from outcomes.tokens import create_token
from progress.classify import get_classifier
from tests.knowledge.conftest import FIXTURES
from tests.utils.waiting import eventually


def _token(db: Engine) -> dict[str, str]:
    with Session(db) as session:
        _, secret = create_token(session, name="warm-test", role="staff", actor="test")
        session.commit()
    return {"Authorization": f"Bearer {secret}"}


async def test_a_search_during_the_warm_up_waits_for_it(
    db: Engine, settings: Settings, installed: Retriever, monkeypatch: pytest.MonkeyPatch
) -> None:
    order: list[str] = []
    release = asyncio.Event()
    real_ask = service.ask

    async def slow_warm_up(_settings: Settings | None = None) -> None:
        order.append("warm-up begun")
        await release.wait()
        order.append("warm-up done")

    async def recorded_ask(question: str, **kwargs: object) -> Answer:
        order.append("search")
        return await real_ask(question, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "ensure_ready", slow_warm_up)
    monkeypatch.setattr(service, "ask", recorded_ask)
    app = create_app(settings.model_copy(update={"knowledge_warmup": True}), engine=db)
    headers = _token(db)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://stegvis") as client:
            health = (await client.get("/health")).json()
            assert health["knowledge"] == "warming"
            search = asyncio.create_task(
                client.get(
                    "/api/v1/knowledge/search",
                    params={"q": "Hur långt ska ett CV vara?"},
                    headers=headers,
                )
            )
            await eventually(
                lambda: getattr(app.state, "knowledge_waiting", 0) == 1 or search.done(),
                what="the search waiting for the warm-up",
            )
            assert order == ["warm-up begun"]  # held: no search beside the warm-up
            assert not search.done()
            release.set()
            response = await asyncio.wait_for(search, timeout=30)
            assert response.status_code == 200, response.text
            assert response.json()["passages"][0]["topic"] == "cv"
            assert (await client.get("/health")).json()["knowledge"] == "ready"
    assert order == ["warm-up begun", "warm-up done", "search"]


async def test_ensure_ready_prepares_once_a_process(
    installed: Retriever, fixture_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    searched: list[str] = []
    real_search = installed.search

    def counted(question: str, **kwargs: object):  # type: ignore[no-untyped-def]
        searched.append(question)
        return real_search(question, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(installed, "search", counted)
    assert not service.is_ready()
    await service.ensure_ready(fixture_settings)
    assert service.is_ready()
    assert len(searched) == len(service.WARM_TEXTS)  # every script's detector and the model
    await asyncio.gather(
        service.ensure_ready(fixture_settings), service.ensure_ready(fixture_settings)
    )
    assert len(searched) == len(service.WARM_TEXTS)  # asked again (the bot, the API): no work
    answer = await service.ask("Hur långt ska ett CV vara?", lang_hint="sv")
    assert answer.found


@pytest.mark.slow
async def test_the_bots_warm_up_builds_a_missing_index_and_the_first_question_finds_it(
    tmp_path: Path,
) -> None:
    """A fresh install: no index yet. The bot's warm-up (what runs before it takes an update)
    builds it and loads the classifier; the first question is then answered with material."""
    materials = tmp_path / "materials"
    materials.mkdir()
    shutil.copy(FIXTURES / "cv.sv.md", materials / "cv.sv.md")
    fresh = Settings(
        data_dir=tmp_path / "data", materials_dir=materials, chroma_collection="stegvis_fresh"
    )
    service.set_retriever(None)
    try:
        assert index_is_missing(fresh)
        await knowledge_warm_up(fresh)()
        assert not index_is_missing(fresh)
        assert service.is_ready()
        assert get_classifier.cache_info().currsize == 1  # the classifier is loaded too
        answer = await service.ask("Hur långt ska ett CV vara?", lang_hint="sv")
    finally:
        service.set_retriever(None)
    assert answer.found
    assert answer.passages[0].topic == "cv"
