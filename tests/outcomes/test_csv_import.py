"""CSV files in the import format (outcomes/csv_import.py): all or nothing, CSV line numbers."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from outcomes.csv_import import import_csv
from outcomes.importer import ImportRejected
from outcomes.models import Event, Mentor, Participant, Survey
from tests.utils.factories import make_cohort


@pytest.fixture
def cohort(session: Session):
    cohort = make_cohort(session, id="c-csv")
    session.commit()
    return cohort


def test_participants_from_a_spreadsheet_join_the_cohort(session, cohort) -> None:
    text = (
        "\ufeffid;gender;birth_year;language;occupation_field\r\n"
        "p-1;woman;1990;ar;sjuksköterska\r\n"
        "p-2;man;;fa;'=Ingenjör\r\n"
    )
    report = import_csv(session, text, kind="participant", cohort=cohort.id, actor="web:a")
    assert report.created["participant"] == 2
    first = session.get(Participant, "p-1")
    assert first is not None
    assert (first.cohort, first.birth_year, first.language) == ("c-csv", 1990, "ar")
    second = session.get(Participant, "p-2")
    assert second.birth_year is None  # an empty cell is a field left out
    assert second.occupation_field == "=Ingenjör"  # the exports' formula guard is taken off


def test_a_kind_column_mixes_records_and_dots_nest(session, cohort) -> None:
    text = (
        "kind,id,cohort,gender,mentor,participant,matched_on,type,occurred_on,source,"
        "attributes.extent,wave,answered_on,answers.employment,answers.items.cv_improved\n"
        "participant,p-9,,woman,,,,,,,,,,,\n"
        "mentor,m-9,,,,,,,,,,,,,\n"
        "pair,pair-9,,,m-9,p-9,2025-02-01,,,,,,,,\n"
        "event,ev-9,,,,p-9,,job_started,2025-03-01,staff,full_time,,,,\n"
        "survey,,,,,p-9,,,,,,result,2025-12-01,part_time,true\n"
    )
    report = import_csv(session, text, cohort=cohort.id, actor="web:a")
    assert report.created == {"participant": 1, "mentor": 1, "pair": 1, "survey": 1, "event": 1}
    assert session.get(Mentor, "m-9").cohort == "c-csv"
    assert session.get(Event, "ev-9").extent == "full_time"
    survey = session.exec(select(Survey)).one()
    assert survey.employment == "part_time"
    assert survey.item_cv_improved is True


def test_bad_rows_are_named_by_their_csv_line_and_nothing_is_written(session, cohort) -> None:
    text = (
        "id,gender,occupation_field\n"
        "p-1,woman,IT\n"
        'p-2,male,"two\nlines"\n'  # a quoted cell spanning two lines: the record ends on line 4
        "p-3,woman,IT,extra\n"
        "\n"
        "p-4,,IT\n"
    )
    with pytest.raises(ImportRejected) as caught:
        import_csv(session, text, kind="participant", cohort=cohort.id, actor="web:a")
    lines = [(e.line, e.reason) for e in caught.value.errors]
    assert [n for n, _ in lines] == [4, 5, 7]
    assert "'male'" in lines[0][1]
    assert "more cell" in lines[1][1]
    assert "gender" in lines[2][1]
    session.rollback()
    assert session.exec(select(Participant)).first() is None


def test_a_file_without_kind_or_header_is_refused(session, cohort) -> None:
    with pytest.raises(ImportRejected, match="1 bad line"):
        import_csv(session, "id,gender\np-1,woman\n", actor="web:a")
    with pytest.raises(ImportRejected) as caught:
        import_csv(session, "", kind="participant", actor="web:a")
    assert caught.value.errors[0].line == 1
