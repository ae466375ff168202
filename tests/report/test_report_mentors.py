"""The round report's section on what the mentors gain: the numbers of the one engine
(``compute_mentor_indicators``, also ``GET /api/v1/indicators/mentors``) for the cohorts in
scope, and "< 5" where fewer than five mentors would be counted."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlmodel import Session

from outcomes.indicators import compute_mentor_indicators
from outcomes.mentor_surveys import MentorSurvey
from outcomes.models import Cohort, Mentor
from tests.report.conftest import HIDDEN, expected, figures, same, shown_count, tables_of
from tests.utils.reference_mentor_indicators import reference_mentor_indicators

ORDER = (
    "mentor_more_contact",
    "mentor_more_knowledge",
    "mentor_more_engagement",
    "mentor_satisfied",
    "mentor_would_again",
)


def _mentors(session: Session) -> tuple[list[dict], list[dict]]:
    """Cohort ``big``: 12 mentors (answers vary); cohort ``few``: 3 mentors, all answered."""
    for c in ("big", "few"):
        session.add(Cohort(id=c, name=c.title(), start=date(2025, 2, 1), end=date(2025, 9, 30)))
    session.flush()
    mentors = [{"id": f"big{k}", "cohort": "big"} for k in range(12)]
    mentors += [{"id": f"few{k}", "cohort": "few"} for k in range(3)]
    rows: list[dict] = []
    for k, m in enumerate(mentors):
        session.add(Mentor(id=m["id"], cohort=m["cohort"]))
        if k % 6 == 5:
            continue  # never answered
        start = {
            "contact_newcomers": 1 + k % 3,
            "integration_knowledge": 2,
            "integration_engagement": 3,
        }
        rows.append({"person": m["id"], "wave": "mentor_start", "status": "complete", **start})
        if k % 4 == 3 and m["cohort"] == "big":
            continue  # no end survey
        end = {
            "contact_newcomers": 1 + (k * 2) % 5,
            "integration_knowledge": 2 + k % 2,
            "integration_engagement": 3 - k % 2,
            "satisfaction": 2 + k % 4,
            "mentor_again": ("yes", "no", "unsure")[k % 3],
        }
        rows.append({"person": m["id"], "wave": "mentor_end", "status": "complete", **end})
    session.flush()
    for r in rows:
        session.add(MentorSurvey(answered_on=date(2025, 3, 1), **r))
    session.commit()
    return mentors, rows


def _report(stegvis, tmp_path: Path, *args: str) -> dict[str, list[list[str]]]:
    out = tmp_path / "report.html"
    stegvis("report", "--format", "html", "--language", "en", "--out", out, *args)
    return tables_of(out.read_text(encoding="utf-8"))


def _shown(block: dict) -> list:
    want = [expected(block["measured"], block["mentors"], block["response_rate"])]
    return want + [expected(**block["indicators"][name]) for name in ORDER]


def test_the_report_shows_what_the_mentors_gain_as_the_engine_counts_it(
    session, stegvis, tmp_path
) -> None:
    mentors, rows = _mentors(session)
    engine = compute_mentor_indicators(session, cohorts=["big", "few"])
    # the engine's numbers are an independent computation's (the section shows the engine's)
    assert engine["total"] == reference_mentor_indicators(mentors, rows, None)["total"]

    table = _report(stegvis, tmp_path)["mentors-table"]
    assert table[1][1] == str(shown_count(15))
    assert same([f for row in table[2:] for f in figures(row[1])], _shown(engine["total"]))

    big = compute_mentor_indicators(session, cohort="big")["total"]
    table = _report(stegvis, tmp_path, "--cohort", "big")["mentors-table"]
    assert table[1][1] == "12"
    assert same([f for row in table[2:] for f in figures(row[1])], _shown(big))


def test_a_cohort_of_three_mentors_shows_less_than_five(session, stegvis, tmp_path) -> None:
    _mentors(session)
    exact = compute_mentor_indicators(session, cohort="few")["total"]
    assert exact["mentors"] == 3  # the API keeps the exact numbers
    assert exact["measured"] == 3
    table = _report(stegvis, tmp_path, "--cohort", "few")["mentors-table"]
    assert table[1][1] == HIDDEN
    for row in table[2:]:
        assert figures(row[1]) == [(HIDDEN, HIDDEN, "–")], row
