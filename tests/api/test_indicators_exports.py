"""Indicators and exports: the API, the command line and the CSVs give the same numbers."""

from __future__ import annotations

import csv
import io
import json

import pytest
import typer
from fastapi.testclient import TestClient
from sqlmodel import Session
from typer.testing import CliRunner

from outcomes import exports
from outcomes.importer import import_jsonl
from outcomes.indicators import INDICATORS, compute_indicators
from stegvis.cli import build_cli
from tests.utils.factories import line, make_event, make_participant, small_program


@pytest.fixture
def program(db) -> None:
    lines = small_program() + [
        line(
            "cohort",
            id="c2",
            name="Round 2",
            start="2026-01-01",
            end="2026-06-30",
            region="Norrbotten",
        ),
        line("participant", id="p4", cohort="c2", gender="other", arm="intervention"),
        line(
            "survey",
            participant="p4",
            wave="result",
            answered_on="2026-06-01",
            answers={
                "employment": "none",
                "items": {
                    k: True
                    for k in (
                        "cv_improved",
                        "network_expanded",
                        "reference_obtained",
                        "workplace_visit",
                        "swedish_improved",
                    )
                },
            },
        ),
    ]
    with Session(db) as session:
        import_jsonl(session, lines, actor="test")
        session.commit()


def _cli() -> typer.Typer:
    return build_cli()


QUERIES = [
    {},
    {"by": "gender"},
    {"basis": "enrolled"},
    {"cohort": "c1"},
    {"by": "cohort"},
    {"by": "arm", "basis": "enrolled"},
    {"by": "migration_category"},
    {"by": "region"},
    {"from": "2026-01-01"},
    {"cohort": "c1", "by": "gender", "from": "2025-01-01", "to": "2025-12-31"},
]


@pytest.mark.parametrize("query", QUERIES, ids=[json.dumps(q) for q in QUERIES])
def test_api_and_cli_give_identical_json(client: TestClient, analyst, program, db, query) -> None:
    api = client.get("/api/v1/indicators", params=query, headers=analyst)
    assert api.status_code == 200, api.text
    args = ["indicators", "--json", *(a for k, v in query.items() for a in (f"--{k}", v))]
    result = CliRunner().invoke(_cli(), args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == api.json()
    with Session(db) as session:
        window = None
        if "from" in query or "to" in query:
            from datetime import date

            window = tuple(
                date.fromisoformat(query[k]) if k in query else None for k in ("from", "to")
            )
        engine = compute_indicators(
            session,
            cohort=query.get("cohort"),
            by=query.get("by"),
            basis=query.get("basis", "measured"),
            window=window,
        )
    assert api.json() == json.loads(json.dumps(engine))


def test_indicator_numbers_reach_the_api(client: TestClient, analyst, program) -> None:
    data = client.get("/api/v1/indicators", params={"by": "gender"}, headers=analyst).json()
    total = data["total"]
    assert (total["enrolled"], total["measured"]) == (3, 2)
    assert total["indicators"]["minor_steps_5_of_8"] == {"n": 1, "of": 2, "share": 0.5}
    assert [g["key"] for g in data["groups"]] == [
        {"gender": "man"},
        {"gender": "other"},
        {"gender": "woman"},
    ]
    bad = client.get("/api/v1/indicators", params={"by": "shoe_size"}, headers=analyst)
    assert bad.status_code == 422
    missing = client.get("/api/v1/indicators", params={"cohort": "nope"}, headers=analyst)
    assert missing.status_code == 404
    assert "nope" in missing.json()["detail"]


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_indicators_csv_is_the_engine_flattened(client: TestClient, analyst, program, db) -> None:
    response = client.get(
        "/api/v1/exports/indicators.csv", params={"by": "cohort"}, headers=analyst
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = _csv(response.text)
    with Session(db) as session:
        result = compute_indicators(session, by="cohort")
    per_block = 2 + len(INDICATORS)
    assert len(rows) == per_block * (1 + len(result["groups"]))
    for row in rows:
        block = (
            result["total"]
            if row["by"] == "total"
            else next(g for g in result["groups"] if g["key"]["cohort"] == row["group"])
        )
        if row["indicator"] in block["indicators"]:
            ind = block["indicators"][row["indicator"]]
            assert (int(row["n"]), int(row["of"])) == (ind["n"], ind["of"])
            assert row["share"] == ("" if ind["share"] is None else str(ind["share"]))
    c1 = {r["indicator"]: r for r in rows if r["group"] == "c1"}
    assert c1["enrolled"]["n"] == "2"
    assert float(c1["enrolled"]["target"]) == 3
    assert c1["enrolled"]["met"] == "false"
    assert c1["response_rate"]["n"] == "1"
    assert c1["response_rate"]["of"] == "2"
    assert float(c1["job_or_steps"]["target"]) == 0.5


def test_indicators_csv_from_the_cli_is_the_same(client: TestClient, analyst, program, tmp_path):
    api = client.get(
        "/api/v1/exports/indicators.csv",
        params={"basis": "enrolled", "cohort": "c1"},
        headers=analyst,
    ).text
    out = tmp_path / "ind.csv"
    result = CliRunner().invoke(
        _cli(), ["export", "indicators", "--basis", "enrolled", "--cohort", "c1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().decode() == api


def test_every_table_exports_with_the_spec_field_names(
    client: TestClient, analyst, program
) -> None:
    for table in exports.Table:
        response = client.get(f"/api/v1/exports/{table.value}.csv", headers=analyst)
        assert response.status_code == 200, table
        assert (
            response.headers["content-disposition"] == f'attachment; filename="{table.value}.csv"'
        )
        header = next(csv.reader(io.StringIO(response.text)))
        assert header == exports.header(table)
    events = {
        r["id"]: r for r in _csv(client.get("/api/v1/exports/events.csv", headers=analyst).text)
    }
    assert set(events) == {"e1", "e2", "e3"}
    assert events["e2"]["attributes.extent"] == "part_time"
    assert events["e2"]["attributes.relevant"] == "true"
    assert events["e3"]["status"] == "voided"
    assert events["e1"]["attributes.note"] == ""
    surveys = _csv(client.get("/api/v1/exports/surveys.csv", headers=analyst).text)
    result = next(s for s in surveys if s["participant"] == "p1" and s["wave"] == "result")
    assert result["answers.items.cv_improved"] == "true"
    assert result["answers.items.internship"] == ""
    assert result["answers.program_contributed.job"] == "yes"
    meetings = _csv(client.get("/api/v1/exports/meetings.csv", headers=analyst).text)
    assert meetings[0]["activities"] == "cv;language"
    cohorts = _csv(client.get("/api/v1/exports/cohorts.csv", headers=analyst).text)
    assert json.loads(cohorts[0]["targets"]) == {"job_or_steps": 0.5, "participants": 3}
    assert client.get("/api/v1/exports/tokens.csv", headers=analyst).status_code == 422


@pytest.mark.parametrize(
    ("table", "query", "ids"),
    [
        ("participants", {"cohort": "c2"}, {"p4"}),
        ("participants", {"from": "2026-02-01"}, {"p4"}),
        ("events", {"cohort": "c1", "type": "job_started"}, {"e2"}),
        ("events", {"from": "2025-03-02", "to": "2025-04-30"}, {"e3"}),
        ("pairs", {"participant": "p1"}, {"pair1"}),
        ("meetings", {"cohort": "c2"}, set()),
    ],
)
def test_table_exports_filter_like_the_lists(client, analyst, program, table, query, ids) -> None:
    rows = _csv(client.get(f"/api/v1/exports/{table}.csv", params=query, headers=analyst).text)
    assert {r["id"] for r in rows} == ids


def test_cli_export_writes_the_same_csv_as_the_api(client, analyst, program, tmp_path) -> None:
    api = client.get("/api/v1/exports/events.csv", params={"cohort": "c1"}, headers=analyst).text
    out = tmp_path / "events.csv"
    result = CliRunner().invoke(_cli(), ["export", "events", "--cohort", "c1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().decode() == api
    assert "wrote 3 events" in result.stderr
    stdout = CliRunner().invoke(_cli(), ["export", "cohorts"])
    assert stdout.stdout.replace("\r\n", "\n").splitlines()[0] == ",".join(
        exports.header(exports.Table.cohorts)
    )


def test_free_text_that_a_spreadsheet_would_run_is_defused(client, analyst, session) -> None:
    person = make_participant(session, id="p1", occupation_field='=HYPERLINK("http://x")')
    make_event(session, id="e1", participant=person, note="-2+3", relevant=False)
    session.commit()
    people = _csv(client.get("/api/v1/exports/participants.csv", headers=analyst).text)
    assert people[0]["occupation_field"] == '\'=HYPERLINK("http://x")'
    events = _csv(client.get("/api/v1/exports/events.csv", headers=analyst).text)
    assert events[0]["attributes.note"] == "'-2+3"
    assert events[0]["attributes.relevant"] == "false"
