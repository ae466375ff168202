"""The study endpoints: roles, the engine's JSON unchanged (the same as the CLI's), staff create
and edit studies, tidy CSV exports, sentences, steering."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from outcomes.importer import import_jsonl
from outcomes.study import compute_study
from outcomes.study_models import ASSOCIATION_STEPS, COMPARISON_INDICATORS
from stegvis.cli import build_cli
from tests.utils.generate_study import generate_study

GENERATED = generate_study(150, seed=3, events_per_participant=6)
LINES = [json.dumps(r) for r in GENERATED]


@pytest.fixture
def records(db: Engine) -> list[dict[str, Any]]:
    records = GENERATED
    with Session(db) as session:
        import_jsonl(session, LINES, actor="test")
        session.commit()
    return records


def test_analysts_read_studies_and_only_staff_write(
    client: TestClient, records, analyst, staff, admin
) -> None:
    listed = client.get("/api/v1/studies", headers=analyst)
    assert listed.status_code == 200, listed.text
    assert [s["id"] for s in listed.json()["items"]] == ["rise", "rise-b"]
    assert listed.json()["total"] == 2
    assert client.get("/api/v1/studies/rise", headers=analyst).status_code == 200
    body = {"id": "new", "name": "New", "cohorts": ["c05"]}
    assert client.post("/api/v1/studies", json=body, headers=analyst).status_code == 403
    assert (
        client.patch("/api/v1/studies/rise", json={"name": "X"}, headers=analyst).status_code == 403
    )
    assert client.delete("/api/v1/studies/rise", headers=analyst).status_code == 403
    for path in ("/api/v1/studies", "/api/v1/studies/rise", "/api/v1/steering"):
        assert client.get(path).status_code == 401
    created = client.post("/api/v1/studies", json=body, headers=staff)
    assert created.status_code == 201, created.text
    assert created.json() == {
        "id": "new",
        "name": "New",
        "cohorts": ["c05"],
        "primary": ["got_job", "job_or_steps", "network_expanded"],
        "alpha": 0.05,
        "power": 0.8,
        "register_end_month": 7,
    }
    assert client.post("/api/v1/studies", json=body, headers=admin).status_code == 409
    edited = client.patch(
        "/api/v1/studies/new", json={"cohorts": ["c05", "c06"], "alpha": 0.1}, headers=staff
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["cohorts"], edited.json()["alpha"]) == (["c05", "c06"], 0.1)
    result = client.get("/api/v1/studies/new", headers=analyst).json()
    assert result["study"]["alpha"] == 0.1
    assert result["register"] is None
    audit = client.get("/api/v1/audit", params={"record_id": "new"}, headers=admin)
    assert audit.status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"id": "x", "name": "X", "cohorts": ["nope"]}, 422, "cohort 'nope' does not exist"),
        ({"id": "x", "name": "X", "cohorts": []}, 422, "cohorts"),
        ({"id": "x", "name": "X", "cohorts": ["c01"], "primary": ["jobs"]}, 422, "primary"),
        ({"id": "x", "name": "X", "cohorts": ["c01"], "power": 1}, 422, "power"),
        ({"id": "x", "name": "X", "cohorts": ["c01"], "extra": 1}, 422, "extra"),
    ],
)
def test_a_bad_study_is_refused_with_a_reason(
    client: TestClient, records, staff, body, status, words
) -> None:
    response = client.post("/api/v1/studies", json=body, headers=staff)
    assert response.status_code == status
    assert words in response.text
    assert client.get("/api/v1/studies/x", headers=staff).status_code == 404


def test_an_edit_may_not_empty_or_break_a_study(client: TestClient, records, staff) -> None:
    assert (
        client.patch("/api/v1/studies/rise", json={"name": None}, headers=staff).status_code == 422
    )
    response = client.patch("/api/v1/studies/rise", json={"cohorts": ["c03", "zz"]}, headers=staff)
    assert response.status_code == 422
    assert "zz" in response.text
    assert client.get("/api/v1/studies/rise", headers=staff).json()["study"]["cohorts"] == [
        "c03",
        "c04",
    ]
    assert (
        client.patch("/api/v1/studies/none", json={"name": "N"}, headers=staff).status_code == 404
    )


def test_the_api_the_cli_and_the_engine_give_the_same_json(
    client: TestClient, records, analyst, db, settings
) -> None:
    cli = build_cli()
    for basis in ("measured", "enrolled"):
        api = client.get("/api/v1/studies/rise", params={"basis": basis}, headers=analyst)
        assert api.status_code == 200, api.text
        run = CliRunner().invoke(cli, ["study", "rise", "--json", "--basis", basis])
        assert run.exit_code == 0, run.output
        with Session(db) as session:
            engine = compute_study(session, "rise", basis=basis)  # type: ignore[arg-type]
        assert api.json() == json.loads(run.stdout) == json.loads(json.dumps(engine))
        assert api.json()["study"]["basis"] == basis
    assert (
        client.get("/api/v1/studies/rise", params={"basis": "all"}, headers=analyst).status_code
        == 422
    )
    assert client.get("/api/v1/studies/nope", headers=analyst).status_code == 404


def test_tidy_csv_exports_have_one_row_per_indicator(client: TestClient, records, analyst) -> None:
    result = client.get("/api/v1/studies/rise", headers=analyst).json()
    response = client.get("/api/v1/studies/rise/comparisons.csv", headers=analyst)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["indicator"] for r in rows] == list(COMPARISON_INDICATORS)
    job = rows[0]
    got = result["comparisons"]["got_job"]
    assert int(job["intervention_n"]) == got["intervention"]["n"]
    assert float(job["difference_ci_low"]) == got["difference_ci"][0]
    assert float(job["p_holm"]) == got["p_holm"]
    assert job["verdict"] == got["verdict"]
    assert (job["family"], job["basis"], job["study"]) == ("primary", "measured", "rise")
    response = client.get(
        "/api/v1/studies/rise/associations.csv", params={"basis": "enrolled"}, headers=analyst
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["step"] for r in rows] == list(ASSOCIATION_STEPS)
    enrolled = client.get("/api/v1/studies/rise", params={"basis": "enrolled"}, headers=analyst)
    visit = enrolled.json()["associations"]["workplace_visit"]
    row = rows[ASSOCIATION_STEPS.index("workplace_visit")]
    assert int(row["with_step_of"]) == visit["with_step"]["of"]
    assert (float(row["odds_ratio"]) if row["odds_ratio"] else None) == visit["odds_ratio"]
    assert client.get("/api/v1/studies/nope/comparisons.csv", headers=analyst).status_code == 404


def test_sentences_in_english_and_swedish(client: TestClient, records, analyst) -> None:
    en = client.get("/api/v1/studies/rise/sentences", headers=analyst).json()
    sv = client.get("/api/v1/studies/rise/sentences", params={"lang": "sv"}, headers=analyst).json()
    assert set(en["comparisons"]) == set(COMPARISON_INDICATORS)
    assert " vs " in en["comparisons"]["got_job"]
    assert " mot " in sv["comparisons"]["got_job"]
    assert "not effects" in en["association_note"]
    assert "inte effekter" in sv["association_note"]
    assert (
        client.get(
            "/api/v1/studies/rise/sentences", params={"lang": "fr"}, headers=analyst
        ).status_code
        == 422
    )


def test_deleting_a_study_through_the_api_takes_its_register_rows(
    client: TestClient, records, staff
) -> None:
    before = client.get("/api/v1/studies/rise", headers=staff).json()["register"]
    assert before is not None
    response = client.delete("/api/v1/studies/rise", headers=staff)
    assert response.status_code == 200
    persons = sum(1 for r in records if r["kind"] == "register_person")
    months = sum(1 for r in records if r["kind"] == "register_month")
    assert response.json() == {"register_persons": persons, "register_months": months}
    assert client.get("/api/v1/studies/rise", headers=staff).status_code == 404


def test_steering_shows_which_source_is_in_use(client: TestClient, records, analyst) -> None:
    response = client.get("/api/v1/steering", headers=analyst)
    assert response.status_code == 200
    body = response.json()
    measured = sum(1 for r in records if r["kind"] == "survey" and r["wave"] == "result")
    assert body["measured"] <= measured
    assert body["source"] == ("program" if body["measured"] >= 200 else "report")
    assert body["min_measured"] == 200


def test_the_study_endpoints_are_in_the_openapi_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/studies",
        "/api/v1/studies/{study_id}",
        "/api/v1/studies/{study_id}/comparisons.csv",
        "/api/v1/studies/{study_id}/associations.csv",
        "/api/v1/studies/{study_id}/sentences",
        "/api/v1/steering",
    ):
        assert path in paths, path
    assert set(paths["/api/v1/studies/{study_id}"]) == {"get", "patch", "delete"}
