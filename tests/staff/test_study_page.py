"""The study page: the engine's comparison with its sentences, whiskers, funnel and balance."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from outcomes import staff
from outcomes.importer import import_jsonl
from outcomes.study import compute_study
from outcomes.study_text import study_sentences
from tests.staff.conftest import log_in
from tests.utils.generate_study import generate_study

LINES = [json.dumps(r) for r in generate_study(120, seed=5, events_per_participant=6)]


@pytest.fixture
def study_records(db: Engine) -> None:
    with Session(db) as session:
        import_jsonl(session, LINES, actor="test")
        session.commit()


def _row(page: str, attribute: str, key: str) -> str:
    found = re.search(rf'<tr {attribute}="{key}"[^>]*>(.*?)</tr>', page, re.S)
    assert found, f"no row {attribute}={key}"
    return found.group(1)


def test_an_analyst_sees_the_engines_comparison_funnel_and_balance(
    client_for, anonymous, study_records, db
) -> None:
    answer = client_for("analyst").get("/staff/study?study=rise")
    assert answer.status_code == 200
    page = answer.text
    with Session(db) as session:
        result = compute_study(session, "rise")
    sentences = study_sentences(result, "en")["comparisons"]
    for name, c in result["comparisons"].items():
        row = _row(page, "data-indicator", name)
        for arm in ("intervention", "control"):
            block = c[arm]
            assert f'data-n="{block["n"]}" data-of="{block["of"]}"' in row, (name, arm)
        assert f'data-difference="{c["difference"]}"' in row
        assert sentences[name].replace("'", "&#39;") in page, name
    # the chart of the intervals and the funnel: real SVG, named for a screen reader
    assert page.count("<svg") >= 2
    assert 'role="img"' in page
    for stage in ("randomised", "baseline", "result"):
        row = _row(page, "data-stage", stage)
        for arm in ("intervention", "control"):
            assert f">{result['attrition'][arm][stage]}<" in row, (stage, arm)
    for which in ("randomised", "measured"):
        table = page[page.index(f'id="balance-{which}"') :]
        for entry in result["balance"][which]:
            assert f'data-covariate="{entry["covariate"]}"' in table
    # the picker lists every study and shows the one chosen; an unknown one is a 404
    assert '<option value="rise" selected>' in page
    assert 'value="rise-b"' in page
    client = client_for("staff")
    other = client.get("/staff/study?study=rise-b")
    assert other.status_code == 200
    assert '<option value="rise-b" selected>' in other.text
    unknown = client.get("/staff/study?study=nope")
    assert unknown.status_code == 404
    assert 'id="unknown-study"' in unknown.text
    # a Swedish account reads the sentences and the headings in Swedish
    with Session(db) as session:
        staff.add_staff(
            session,
            email="analytiker@example.org",
            role="analyst",
            password="Kanelbullar på fredag 42",
            actor="test",
            language="sv",
        )
        session.commit()
    assert log_in(anonymous, "analytiker@example.org").status_code == 303
    page = anonymous.get("/staff/study").text
    swedish = study_sentences(result, "sv")["comparisons"]["job_or_steps"]
    assert swedish.replace("'", "&#39;") in page
    assert "Bortfall per grupp" in page
