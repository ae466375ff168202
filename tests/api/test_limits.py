"""What an attacker or an unlucky client sends: bodies nested too deep, too large, not JSON,
numbers for dates, control characters. Each gets a clear 4xx and nothing is written."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from api.main import create_app
from core.settings import Settings
from outcomes.models import Cohort
from tests.utils.factories import jsonl, line, small_program

COHORT = {"id": "c1", "name": "Round 1", "start": "2025-01-01", "end": "2025-12-31"}


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _cohorts(db: Engine) -> int:
    with Session(db) as s:
        return int(s.exec(select(func.count()).select_from(Cohort)).one())


@pytest.fixture
def small_limits(db: Engine, settings: Settings) -> Iterator[TestClient]:
    """The API with small body limits (1 kB for JSON, 4 kB for files)."""
    limited = settings.model_copy(update={"max_json_bytes": 1000, "max_upload_bytes": 4000})
    client = TestClient(create_app(limited, engine=db), raise_server_exceptions=False)
    yield client
    client.close()


@pytest.mark.parametrize("content_type", ["application/json", None])
def test_a_body_nested_500_deep_is_refused_and_the_next_request_is_served(
    client: TestClient, staff, db, content_type
) -> None:
    body = '{"id": "c9", "name": "R", "start": "2025-01-01", "end": "2025-12-31", "targets": '
    body += '{"participants": ' + _nested(500) + "}}"
    headers = {**staff, **({"content-type": content_type} if content_type else {})}
    response = client.post("/api/v1/cohorts", content=body, headers=headers)
    assert response.status_code == 422, response.text[:300]
    assert len(response.text) < 2000  # a clear answer, not the body echoed back
    if content_type:
        assert "nested" in response.json()["detail"]
    assert client.post("/api/v1/cohorts", json=COHORT, headers=staff).status_code == 201
    assert _cohorts(db) == 1


def test_a_body_nested_100000_deep_is_refused(client: TestClient, staff, db) -> None:
    for content_type in ("application/json", None):
        headers = {**staff, **({"content-type": content_type} if content_type else {})}
        response = client.post("/api/v1/cohorts", content=_nested(100_000), headers=headers)
        assert response.status_code in (400, 422), response.text[:300]
    assert _cohorts(db) == 0


def test_an_import_line_nested_1000_deep_is_a_bad_line(client: TestClient, staff, db) -> None:
    lines = [*small_program()[:1], _nested(1000), small_program()[1]]
    response = client.post(
        "/api/v1/imports", content=jsonl(*lines), headers={**staff, "content-type": "text/plain"}
    )
    assert response.status_code == 422, response.text[:300]
    [error] = response.json()["errors"]
    assert error["line"] == 2
    assert "nested" in error["reason"]
    assert _cohorts(db) == 0


def test_a_json_body_over_the_limit_is_refused_before_it_is_read(
    small_limits: TestClient, staff, db
) -> None:
    big = {**COHORT, "name": "x" * 2000}
    response = small_limits.post("/api/v1/cohorts", json=big, headers=staff)
    assert response.status_code == 413
    assert "1000 bytes" in response.json()["detail"]
    assert small_limits.post("/api/v1/cohorts", json=COHORT, headers=staff).status_code == 201


def test_a_file_over_the_limit_is_refused_with_or_without_a_length(
    small_limits: TestClient, staff, db
) -> None:
    body = jsonl(*small_program()).encode() * 3
    assert len(body) > 4000
    headers = {**staff, "content-type": "text/plain"}
    with_length = small_limits.post("/api/v1/imports", content=body, headers=headers)
    assert with_length.status_code == 413
    assert "4000 bytes" in with_length.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no content-length: sent in chunks
        for i in range(0, len(body), 1000):
            yield body[i : i + 1000]

    chunked = small_limits.post("/api/v1/imports", content=chunks(), headers=headers)
    assert chunked.status_code == 413
    assert _cohorts(db) == 0
    small = jsonl(*small_program()).encode()
    assert len(small) < 4000
    assert small_limits.post("/api/v1/imports", content=small, headers=headers).status_code == 200


def test_without_a_token_a_large_body_is_still_401(small_limits: TestClient) -> None:
    response = small_limits.post("/api/v1/cohorts", content=b"[" * 5000)
    assert response.status_code == 401


def test_a_default_app_refuses_a_60_mb_import(client: TestClient, staff, db) -> None:
    body = b"\n".join([line("cohort", id="c1", name="x" * 100).encode()] * 500_000)
    assert len(body) > 60_000_000
    response = client.post(
        "/api/v1/imports", content=body, headers={**staff, "content-type": "text/plain"}
    )
    assert response.status_code == 413
    assert _cohorts(db) == 0


@pytest.mark.parametrize("text", ["R\u0000", "R\u0007", "R\u001b[31m", "R\u007f", "\ud800"])
def test_control_characters_in_a_json_body_are_refused(client: TestClient, staff, db, text):
    import json

    body = json.dumps({**COHORT, "name": text})  # escaped: \u0000 etc.
    response = client.post(
        "/api/v1/cohorts", content=body, headers={**staff, "content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert "'name'" in response.json()["detail"]
    assert _cohorts(db) == 0


def test_tab_and_newline_pass_the_body_check(client: TestClient, staff, db) -> None:
    body = {**COHORT, "name": "Round 1\tspring\nSkåne"}
    assert client.post("/api/v1/cohorts", json=body, headers=staff).status_code == 201


@pytest.mark.parametrize("day", ["1900-01-01", "2999-12-31", "1989-12-31", "2101-01-01"])
def test_dates_outside_1990_to_2100_are_refused(client: TestClient, staff, db, day) -> None:
    response = client.post("/api/v1/cohorts", json={**COHORT, "start": day}, headers=staff)
    assert response.status_code == 422, response.text
    assert "start" in response.text
    response = client.post("/api/v1/cohorts", json={**COHORT, "end": day}, headers=staff)
    assert response.status_code == 422, response.text
    assert _cohorts(db) == 0


@pytest.mark.parametrize("value", ["0.0", "0", "1700000000", "2025-1-1", "20250101"])
def test_date_query_parameters_are_days_not_numbers(client: TestClient, staff, value) -> None:
    for path in ("/api/v1/events", "/api/v1/indicators"):
        response = client.get(path, params={"from": value}, headers=staff)
        assert response.status_code == 422, (path, response.text)
        assert "YYYY-MM-DD" in response.text
    ok = client.get("/api/v1/events", params={"from": "2025-01-01"}, headers=staff)
    assert ok.status_code == 200


def test_the_schema_documents_400_and_413(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    post = paths["/api/v1/cohorts"]["post"]["responses"]
    assert {"400", "413", "422"} <= post.keys()
    assert "400" in paths["/api/v1/imports"]["post"]["responses"]


def test_an_unparsable_body_gets_the_documented_400(client: TestClient, staff) -> None:
    response = client.post(
        "/api/v1/cohorts", content=b'{"id": "c1"', headers={**staff, "content-type": "text/plain"}
    )
    assert response.status_code in (400, 422)
    assert response.json()["detail"]


def test_the_api_reports_undecodable_lines_and_warnings(client, staff, db) -> None:
    body = jsonl(*small_program()).encode() + b'{"kind": "cohort", "id": "\xff"}\n'
    headers = {**staff, "content-type": "text/plain"}
    response = client.post("/api/v1/imports", content=body, headers=headers)
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["line"] == len(small_program()) + 1
    assert "not UTF-8" in error["reason"]
    early_event = line(
        "event",
        id="e9",
        participant="p1",
        type="cv_improved",
        occurred_on="2024-06-01",
        source="staff",
    )
    early = jsonl(*small_program(), early_event)
    response = client.post("/api/v1/imports", content=early.encode(), headers=headers)
    assert response.status_code == 200, response.text
    [warning] = response.json()["warnings"]
    assert warning["line"] == len(small_program()) + 1
