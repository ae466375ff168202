"""API fixtures: the app on the test database, a client, and one live token per role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.main import create_app
from core.settings import Settings
from outcomes.tokens import create_token


@pytest.fixture
def app(db: Engine, settings: Settings) -> FastAPI:
    """The staff API on the test database."""
    return create_app(settings, engine=db)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A client that does not raise the app's errors but answers them (a 500 is a 500).

    Not entered as a context manager: the app has no lifespan, and entering costs a quarter second.
    """
    c = TestClient(app, raise_server_exceptions=False)
    yield c
    c.close()


@pytest.fixture
def tokens(db: Engine) -> dict[str, str]:
    """One live token per role: ``{"admin": secret, "staff": ..., "analyst": ...}``."""
    secrets: dict[str, str] = {}
    with Session(db) as session:
        for role in ("admin", "staff", "analyst"):
            _row, secrets[role] = create_token(session, name=f"{role}-1", role=role, actor="test")
        session.commit()
    return secrets


def bearer(secret: str) -> dict[str, str]:
    """The header that authenticates with ``secret``."""
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def admin(tokens: dict[str, str]) -> dict[str, str]:
    return bearer(tokens["admin"])


@pytest.fixture
def staff(tokens: dict[str, str]) -> dict[str, str]:
    return bearer(tokens["staff"])


@pytest.fixture
def analyst(tokens: dict[str, str]) -> dict[str, str]:
    return bearer(tokens["analyst"])
