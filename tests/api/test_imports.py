"""POST /api/v1/imports: the same importer as the command line, all or nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from outcomes.models import Cohort, Event, Participant
from tests.utils.factories import jsonl, line, small_program


def _count(db, model) -> int:
    with Session(db) as s:
        return int(s.exec(select(func.count()).select_from(model)).one())


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-ndjson", "application/jsonl", "text/plain; charset=utf-8"],
)
def test_import_a_file_as_the_body(client: TestClient, staff, db, content_type: str) -> None:
    response = client.post(
        "/api/v1/imports",
        content=jsonl(*small_program()).encode(),
        headers={**staff, "content-type": content_type},
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["lines"] == len(small_program())
    assert report["created"] == {
        "cohort": 1,
        "participant": 2,
        "mentor": 1,
        "pair": 1,
        "survey": 2,
        "event": 3,
        "meeting": 1,
    }
    assert _count(db, Event) == 3
    # the records are readable at once, and the import is named in their audit trail
    event = client.get("/api/v1/events/e3", headers=staff).json()
    assert event["status"] == "voided"
    assert event["recorded_by"] == "import"


def test_import_a_multipart_file_twice_changes_nothing(client: TestClient, staff) -> None:
    body = jsonl(*small_program()).encode()
    first = client.post("/api/v1/imports", files={"file": ("round1.jsonl", body)}, headers=staff)
    assert first.status_code == 200, first.text
    second = client.post("/api/v1/imports", files={"file": ("round1.jsonl", body)}, headers=staff)
    assert second.status_code == 200
    assert sum(second.json()["created"].values()) == 0
    assert sum(second.json()["updated"].values()) == 0
    assert sum(second.json()["unchanged"].values()) == 11


def test_a_file_with_bad_lines_writes_nothing_and_names_every_bad_line(client, staff, db) -> None:
    lines = small_program()
    lines.insert(3, line("participant", id="p3", cohort="c1", gender="female"))
    lines.append("{not json")
    lines.append(
        line(
            "event",
            id="e9",
            participant="ghost",
            type="cv_improved",
            occurred_on="2025-03-01",
            source="staff",
        )
    )
    response = client.post(
        "/api/v1/imports", content=jsonl(*lines), headers={**staff, "content-type": "text/plain"}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "3 bad line(s); nothing was imported"
    assert [e["line"] for e in body["errors"]] == [4, 13, 14]
    assert "gender" in body["errors"][0]["reason"]
    assert "female" in body["errors"][0]["reason"]
    assert "not valid JSON" in body["errors"][1]["reason"]
    assert "ghost" in body["errors"][2]["reason"]
    assert _count(db, Cohort) == 0
    assert _count(db, Participant) == 0


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        (
            {"content": b'{"kind": "cohort"}\xff\n', "headers": {"content-type": "text/plain"}},
            "not UTF-8",
        ),
        ({"json": {"kind": "cohort"}}, "multipart/form-data"),
        ({"files": {"other": ("a.jsonl", b"{}")}}, "field 'file'"),
    ],
)
def test_unreadable_uploads_are_refused_clearly(client: TestClient, staff, kwargs, words) -> None:
    headers = {**staff, **kwargs.pop("headers", {})}
    response = client.post("/api/v1/imports", headers=headers, **kwargs)
    assert response.status_code == 422, response.text
    assert words in response.text  # the detail, or the bad line's reason (with its number)


def test_line_numbers_count_blank_lines_and_crlf(client: TestClient, staff) -> None:
    text = "\r\n".join([small_program()[0], "", '{"kind": "mentor", "id": "m1"}']) + "\r\n"
    response = client.post(
        "/api/v1/imports", content=text, headers={**staff, "content-type": "text/plain"}
    )
    assert response.status_code == 422
    assert [e["line"] for e in response.json()["errors"]] == [3]
