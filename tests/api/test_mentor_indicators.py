"""GET /api/v1/indicators/mentors: the one engine's numbers unchanged, for every role."""

from __future__ import annotations

import json
from datetime import date

from fastapi.testclient import TestClient
from sqlmodel import Session
from typer.testing import CliRunner

from outcomes.indicators import compute_mentor_indicators
from outcomes.mentor_surveys import MentorSurvey
from outcomes.models import Cohort, Mentor
from stegvis.cli import build_cli


def _three_mentors(db) -> None:
    """Cohort c1 with three mentors whose contact with newcomers rose, stayed and fell."""
    with Session(db) as session:
        session.add(Cohort(id="c1", name="R1", start=date(2025, 2, 1), end=date(2025, 9, 30)))
        session.flush()
        for i, (start, end) in enumerate([(2, 4), (3, 3), (4, 1)]):
            session.add(Mentor(id=f"m{i}", cohort="c1"))
            session.flush()
            for wave, value in (("mentor_start", start), ("mentor_end", end)):
                session.add(
                    MentorSurvey(
                        person=f"m{i}",
                        wave=wave,
                        answered_on=date(2025, 3, 1),
                        status="complete",
                        contact_newcomers=value,
                    )
                )
        session.commit()


def test_the_api_gives_the_engines_numbers(client: TestClient, analyst, db) -> None:
    _three_mentors(db)
    with Session(db) as session:
        expected = compute_mentor_indicators(session, cohort="c1")
    answer = client.get("/api/v1/indicators/mentors?cohort=c1", headers=analyst)
    assert answer.status_code == 200, answer.text
    assert answer.json() == expected
    assert expected["total"]["indicators"]["mentor_more_contact"] == {
        "n": 1,
        "of": 3,
        "share": 0.3333,
    }
    assert client.get("/api/v1/indicators/mentors?cohort=nope", headers=analyst).status_code == 404
    assert client.get("/api/v1/indicators/mentors").status_code == 401


def test_stegvis_indicators_mentors_prints_what_the_api_gives(
    client: TestClient, analyst, db
) -> None:
    _three_mentors(db)
    cli = CliRunner()
    for args, path in (([], ""), (["--cohort", "c1"], "?cohort=c1")):
        printed = cli.invoke(build_cli(), ["indicators", "--mentors", "--json", *args])
        assert printed.exit_code == 0, printed.output
        api = client.get(f"/api/v1/indicators/mentors{path}", headers=analyst).json()
        assert json.loads(printed.stdout) == api
    table = cli.invoke(build_cli(), ["indicators", "--mentors"]).stdout
    lines = {line.split()[0]: line.split()[1:] for line in table.splitlines()[2:] if line}
    assert lines["mentors"][:2] == ["3", "3"]  # total, cohort=c1
    assert lines["mentor_more_contact"][0].startswith("1/3")
    refused = cli.invoke(build_cli(), ["indicators", "--mentors", "--by", "gender"])
    assert refused.exit_code == 2
    assert "--mentors takes --cohort only, not --by" in refused.output
    unknown = cli.invoke(build_cli(), ["indicators", "--mentors", "--cohort", "nope"])
    assert unknown.exit_code != 0
    assert "cohort 'nope' does not exist" in unknown.output
