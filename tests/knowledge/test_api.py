"""GET /api/v1/knowledge/search: any authenticated role, the same answer as ``stegvis ask``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.main import create_app
from core.languages import LANGUAGES
from core.settings import Settings
from knowledge.retrieve import Retriever
from outcomes.tokens import create_token


@pytest.fixture
def client(db: Engine, settings: Settings, installed: Retriever) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine=db)) as test_client:
        yield test_client


def _token(db: Engine, role: str) -> dict[str, str]:
    with Session(db) as session:
        _, secret = create_token(session, name=f"{role}-test", role=role, actor="test")
        session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.parametrize("role", ["admin", "staff", "analyst"])
def test_any_role_may_search(client: TestClient, db: Engine, role: str) -> None:
    response = client.get(
        "/api/v1/knowledge/search",
        params={"q": "Як знайти стажування у Швеції?", "k": 2},
        headers=_token(db, role),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["lang"] == "uk"
    assert len(body["passages"]) == 2
    assert body["passages"][0]["topic"] == "internship"
    assert body["answer"]


def test_search_needs_a_token(client: TestClient) -> None:
    response = client.get("/api/v1/knowledge/search", params={"q": "Vad är fika?"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    "params", [{"q": ""}, {"q": "fika", "k": 9}, {"q": "fika", "lang": "de"}, {"q": "x" * 1001}]
)
def test_bad_parameters_are_422(
    client: TestClient, db: Engine, params: dict[str, str | int]
) -> None:
    response = client.get("/api/v1/knowledge/search", params=params, headers=_token(db, "staff"))
    assert response.status_code == 422


def test_the_language_hint_lists_the_bot_languages(client: TestClient, db: Engine) -> None:
    spec = client.get("/openapi.json").json()
    [lang] = [
        p
        for p in spec["paths"]["/api/v1/knowledge/search"]["get"]["parameters"]
        if p["name"] == "lang"
    ]
    assert {"type": "string", "enum": list(LANGUAGES)} in lang["schema"]["anyOf"]
    hinted = client.get(
        "/api/v1/knowledge/search", params={"q": "CV", "lang": "ti"}, headers=_token(db, "staff")
    )
    assert hinted.status_code == 200, hinted.text
