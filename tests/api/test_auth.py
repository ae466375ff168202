"""Who may call what: 401 without a valid token, 403 for too weak a role, on every route."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from outcomes.models import ApiToken
from outcomes.tokens import hash_secret, revoke_token
from tests.api.conftest import bearer
from tests.utils.factories import make_participant

ADMIN = {"admin"}
STAFF = {"admin", "staff"}
ANY = {"admin", "staff", "analyst"}

# (method, path, roles allowed) for every route this team owns
MATRIX: list[tuple[str, str, set[str]]] = [
    *(
        (m, f"/api/v1/{r}{p}", STAFF)
        for r in ("cohorts", "participants", "mentors", "pairs", "events", "meetings")
        for m, p in (("POST", ""), ("GET", ""), ("GET", "/x1"), ("PATCH", "/x1"))
    ),
    *(
        (m, f"/api/v1/surveys{p}", STAFF)
        for m, p in (("POST", ""), ("GET", ""), ("GET", "/1"), ("PATCH", "/1"))
    ),
    ("GET", "/api/v1/pairs/health", STAFF),
    ("POST", "/api/v1/events/x1/void", STAFF),
    ("GET", "/api/v1/events/x1/history", STAFF),
    ("POST", "/api/v1/imports", STAFF),
    ("GET", "/api/v1/indicators", ANY),
    ("GET", "/api/v1/indicators/group-meetings", ANY),
    ("GET", "/api/v1/indicators/mentors", ANY),
    ("GET", "/api/v1/exports/indicators.csv", ANY),
    *(
        ("GET", f"/api/v1/exports/{t}.csv", ANY)
        for t in ("cohorts", "participants", "mentors", "pairs", "surveys", "events", "meetings")
    ),
    ("POST", "/api/v1/tokens", ADMIN),
    ("GET", "/api/v1/tokens", ADMIN),
    ("DELETE", "/api/v1/tokens/999", ADMIN),
    ("GET", "/api/v1/audit", ADMIN),
]
OWN_TAGS = {
    "cohorts",
    "participants",
    "mentors",
    "pairs",
    "events",
    "surveys",
    "meetings",
    "imports",
    "indicators",
    "exports",
    "tokens",
    "audit",
}


def _concrete(path: str) -> str:
    """A path template with its parameters filled in."""
    path = path.replace("{table}", "events").replace("{survey_id}", "1")
    path = path.replace("{token_id}", "999")
    return re.sub(r"\{[^}]+\}", "x1", path)


def _operations(app: FastAPI) -> list[tuple[str, str, set[str]]]:
    """(method, path, tags) of every operation the app documents."""
    return sorted(
        (method.upper(), path, set(op.get("tags", [])))
        for path, ops in app.openapi()["paths"].items()
        for method, op in ops.items()
    )


def _api_routes(app: FastAPI) -> list[tuple[str, str]]:
    return [(m, p) for m, p, _ in _operations(app) if p.startswith("/api/")]


def _template(path: str) -> str:
    path = re.sub(r"/exports/(?!indicators)\w+\.csv$", "/exports/{table}.csv", path)
    return re.sub(r"/(x1|1|999|\{(?!table)[^}]+\})(?=/|$)", "/{id}", path)


def test_matrix_covers_every_route_of_ours(app: FastAPI) -> None:
    ours = {(m, _template(p)) for m, p, tags in _operations(app) if OWN_TAGS & tags}
    assert ours == {(m, _template(p)) for m, p, _ in MATRIX}


@pytest.mark.parametrize(
    "header",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
        {"Authorization": "Bearer not-a-real-token"},
        {"Authorization": "Bearer " + "x" * 5000},
    ],
    ids=["none", "empty", "basic", "wrong", "huge"],
)
def test_every_api_route_refuses_a_missing_or_wrong_token(
    app: FastAPI, client: TestClient, tokens: dict[str, str], header: dict[str, str]
) -> None:
    routes = _api_routes(app)
    assert len(routes) >= 35
    for method, path in routes:
        response = client.request(method, _concrete(path), headers=header, json={})
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert "detail" in response.json()


def test_a_body_that_is_not_even_json_still_gets_401_without_a_token(client: TestClient) -> None:
    response = client.post(
        "/api/v1/cohorts", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 401


def test_a_revoked_token_stops_working_at_once(client: TestClient, db, tokens) -> None:
    assert client.get("/api/v1/cohorts", headers=bearer(tokens["staff"])).status_code == 200
    with Session(db) as session:
        row = session.exec(
            select(ApiToken).where(ApiToken.token_hash == hash_secret(tokens["staff"]))
        ).one()
        revoke_token(session, row.id, actor="test")
        session.commit()
    response = client.get("/api/v1/cohorts", headers=bearer(tokens["staff"]))
    assert response.status_code == 401
    assert response.json()["detail"] == "the token is unknown or revoked"


@pytest.mark.parametrize(
    ("method", "path", "allowed"), MATRIX, ids=[f"{m} {p}" for m, p, _ in MATRIX]
)
def test_role_matrix(
    client: TestClient, tokens: dict[str, str], method: str, path: str, allowed: set[str]
) -> None:
    for role, secret in tokens.items():
        response = client.request(method, path, headers=bearer(secret), json={})
        if role in allowed:
            assert response.status_code not in (401, 403, 500), (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            assert role in response.json()["detail"]


def test_analyst_cannot_read_a_participant_that_exists(client: TestClient, session, tokens) -> None:
    """The template's test_read_item_not_enough_permissions: the record is there, but not for them."""
    person = make_participant(session, id="p-secret", birth_year=1990)
    session.commit()
    response = client.get(f"/api/v1/participants/{person.id}", headers=bearer(tokens["analyst"]))
    assert response.status_code == 403
    assert "1990" not in response.text
    assert "p-secret" not in response.text
    listing = client.get("/api/v1/participants", headers=bearer(tokens["analyst"]))
    assert listing.status_code == 403
    # the same request with a staff token does see it
    ok = client.get(f"/api/v1/participants/{person.id}", headers=bearer(tokens["staff"]))
    assert ok.status_code == 200
    assert ok.json()["birth_year"] == 1990


def test_staff_cannot_make_tokens_and_none_is_made(client: TestClient, session, tokens) -> None:
    before = len(session.exec(select(ApiToken)).all())
    response = client.post(
        "/api/v1/tokens", json={"name": "sneaky", "role": "admin"}, headers=bearer(tokens["staff"])
    )
    assert response.status_code == 403
    assert len(session.exec(select(ApiToken)).all()) == before


def test_analyst_cannot_write_and_nothing_is_written(client: TestClient, session, tokens) -> None:
    body = {"id": "c9", "name": "R9", "start": "2025-01-01", "end": "2025-06-30"}
    response = client.post("/api/v1/cohorts", json=body, headers=bearer(tokens["analyst"]))
    assert response.status_code == 403
    assert client.get("/api/v1/cohorts/c9", headers=bearer(tokens["staff"])).status_code == 404


def test_health_and_docs_are_open(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok", "database": "ok", "knowledge": "off"}
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    # every /api route declares the bearer requirement in the schema
    for path, operations in schema["paths"].items():
        for op in operations.values():
            assert (op.get("security") == [{"HTTPBearer": []}]) == path.startswith("/api/"), path


def test_using_a_token_notes_when_it_was_last_used(client: TestClient, session, tokens) -> None:
    client.get("/api/v1/indicators", headers=bearer(tokens["analyst"]))
    row = session.exec(
        select(ApiToken).where(ApiToken.token_hash == hash_secret(tokens["analyst"]))
    ).one()
    assert row.last_used_at is not None
