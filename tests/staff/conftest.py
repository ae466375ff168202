"""Staff pages fixtures: the app on the test database, accounts per role, logged-in clients."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.main import create_app
from core.settings import Settings
from outcomes import staff
from outcomes.clock import set_clock

PASSWORD = "Kanelbullar på fredag 42"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def app(db: Engine, settings: Settings) -> FastAPI:
    return create_app(settings, engine=db)


@pytest.fixture
def accounts(db: Engine) -> dict[str, str]:
    """One account per role: ``{"admin": email, "staff": ..., "analyst": ...}``."""
    emails = {}
    with Session(db) as session:
        for role, language in (("admin", "en"), ("staff", "en"), ("analyst", "en")):
            email = f"{role}@example.org"
            staff.add_staff(
                session, email=email, role=role, password=PASSWORD, actor="test", language=language
            )
            emails[role] = email
        session.commit()
    return emails


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def log_in(client: TestClient, email: str, password: str = PASSWORD):
    page = client.get("/staff/login")
    return client.post(
        "/staff/login",
        data={"email": email, "password": password, "csrf": csrf_of(page.text)},
        follow_redirects=False,
    )


@pytest.fixture
def client_for(app: FastAPI, accounts) -> Iterator[Callable[[str], TestClient]]:
    """``client_for("staff")``: a browser-like client logged in with that role's account."""
    made: list[TestClient] = []

    def make(role: str) -> TestClient:
        client = TestClient(app, raise_server_exceptions=True)
        made.append(client)
        answer = log_in(client, accounts[role])
        assert answer.status_code == 303, answer.text
        return client

    yield make
    for c in made:
        c.close()


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[TestClient]:
    c = TestClient(app, raise_server_exceptions=True, headers={"Accept-Language": "en-GB,en"})
    yield c
    c.close()


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    fake = FakeClock()
    set_clock(lambda: fake.now)
    yield fake
    set_clock(None)


@pytest.fixture
def tokens(db: Engine) -> dict[str, str]:
    """One API token per role (for the JSON twin of the pairs page)."""
    from outcomes.tokens import create_token

    secrets: dict[str, str] = {}
    with Session(db) as session:
        for role in ("admin", "staff", "analyst"):
            _row, secrets[role] = create_token(session, name=f"{role}-1", role=role, actor="test")
        session.commit()
    return secrets
