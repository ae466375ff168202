"""What the staff pages show and do, through HTTP (the browser tests are in tests/e2e)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from outcomes import invites
from outcomes.clock import today
from outcomes.contacts import PersonRole
from outcomes.importer import import_jsonl
from outcomes.indicators import compute_indicators
from outcomes.models import AuditLog, Cohort, Event, Mentor, Pair, Participant
from outcomes.staff import find_staff
from staff.i18n.catalogs import DOMAINS, problems
from tests.staff.conftest import PASSWORD, csrf_of, log_in
from tests.utils.factories import (
    make_cohort,
    make_event,
    make_mentor,
    make_pair,
    make_participant,
)
from tests.utils.generate import generate_lines


def cell_numbers(html: str, table_id: str) -> dict[str, tuple[int, int]]:
    """``data-indicator`` rows of a table: name → (n, of)."""
    table = re.search(rf'<table id="{table_id}">(.*?)</table>', html, re.S)
    assert table is not None, table_id
    rows = re.findall(
        r'data-indicator="([a-z0-9_]+)".*?data-n="(\d+)" data-of="(\d+)"', table.group(1), re.S
    )
    return {name: (int(n), int(of)) for name, n, of in rows}


@pytest.fixture
def program(db):
    """A generated program of 150 people in three cohorts, with every edge of the spec."""
    with Session(db) as session:
        import_jsonl(session, generate_lines(150, seed=7, n_cohorts=3))
        session.commit()


def test_the_overview_shows_the_engines_numbers(client_for, program, db) -> None:
    staff = client_for("staff")
    with Session(db) as session:
        cohort = session.exec(select(Cohort).order_by(col(Cohort.id))).first()
        expected_all = compute_indicators(session)
        expected_one = compute_indicators(session, cohort=cohort.id, by="gender")
    for path, expected in (
        ("/staff/overview", expected_all),
        (f"/staff/overview?cohort={cohort.id}", expected_one),
    ):
        page = staff.get(path).text
        total = expected["total"]
        assert f'data-value="{total["enrolled"]}"' in page
        assert f'data-value="{total["response_rate"]}"' in page
        shown = cell_numbers(page, "all-indicators")
        assert shown == {k: (v["n"], v["of"]) for k, v in total["indicators"].items()}
    page = staff.get(f"/staff/overview?cohort={cohort.id}").text
    for group in expected_one["groups"]:
        row = re.search(rf'data-gender="{group["key"]["gender"]}">(.*?)</tr>', page, re.S)
        assert row is not None
        assert f'data-value="{group["enrolled"]}"' in row.group(1)
        job = group["indicators"]["job_or_steps"]
        assert f'data-n="{job["n"]}" data-of="{job["of"]}"' in row.group(1)
    assert "<svg" in page  # the charts are drawn on the server …
    assert "<script" not in page  # … and the page needs no script


def test_the_overview_in_swedish_for_a_swedish_account(client_for, program, db) -> None:
    with Session(db) as session:
        find_staff(session, "staff@example.org").language = "sv"
        session.commit()
    page = client_for("staff").get("/staff/overview").text
    assert '<html lang="sv">' in page
    assert "Svarsfrekvens" in page
    assert "Jobb eller mätbara steg" in page


def test_the_catalogs_are_complete() -> None:
    found = [
        p for domain, langs in DOMAINS.items() for lang in langs for p in problems(domain, lang)
    ]
    assert found == []


def test_pairs_page_and_api_show_the_same_flags(client_for, session, app, tokens) -> None:
    cohort = make_cohort(session, start=today() - timedelta(days=200), end=today() + timedelta(90))
    quiet = make_pair(
        session,
        mentor=make_mentor(session, cohort=cohort),
        participant=make_participant(session, cohort=cohort),
        matched_on=today() - timedelta(days=100),
    )
    fresh = make_pair(
        session,
        mentor=make_mentor(session, cohort=cohort),
        participant=make_participant(session, cohort=cohort),
        matched_on=today() - timedelta(days=3),
    )
    session.commit()
    page = client_for("staff").get(f"/staff/pairs?cohort={cohort.id}&flag=no_meeting_45d").text
    assert f'data-pair="{quiet.id}" data-flags="no_meeting_45d"' in page
    assert f'data-pair="{fresh.id}"' not in page
    api = TestClient(app).get(
        "/api/v1/pairs/health",
        params={"cohort": cohort.id},
        headers={"Authorization": f"Bearer {tokens['staff']}"},
    )
    assert api.status_code == 200
    items = {i["pair"]: i for i in api.json()["items"]}
    assert items[quiet.id]["flags"] == ["no_meeting_45d"]
    assert items[fresh.id]["flags"] == []
    assert items[quiet.id]["last_meeting"] is None
    analyst = TestClient(app).get(
        "/api/v1/pairs/health", headers={"Authorization": f"Bearer {tokens['analyst']}"}
    )
    assert analyst.status_code == 403


def test_voiding_an_event_on_the_pair_page_changes_the_numbers_and_keeps_the_history(
    client_for, session, db
) -> None:
    pair = make_pair(session)
    event = make_event(session, participant=pair.participant, type="cv_improved")
    session.commit()
    staff = client_for("staff")
    page = staff.get(f"/staff/pairs/{pair.id}")
    assert f'id="event-{event.id}"' in page.text
    done = staff.post(
        f"/staff/pairs/{pair.id}/events/{event.id}/void", data={"csrf": csrf_of(page.text)}
    )
    assert f"Event {event.id} was voided" in done.text
    assert f'data-event="{event.id}" data-status="voided"' in done.text
    with Session(db) as s:
        assert s.get(Event, event.id).status == "voided"
        entry = s.exec(
            select(AuditLog).where(AuditLog.record_id == event.id, AuditLog.action == "void")
        ).one()
        assert entry.actor == "web:staff@example.org"
        assert entry.before["status"] == "confirmed"


def test_a_bad_correction_says_what_is_wrong_keeps_what_was_typed_and_saves_nothing(
    client_for, session, db
) -> None:
    pair = make_pair(session)
    event = make_event(session, participant=pair.participant, occurred_on=date(2025, 3, 1))
    session.commit()
    staff = client_for("staff")
    csrf = csrf_of(staff.get(f"/staff/pairs/{pair.id}").text)
    form = {
        "csrf": csrf,
        "type": "job_started",
        "occurred_on": "1 mars",
        "status": "confirmed",
        "extent": "full_time",
        "note": "ringde upp",
    }
    bad = staff.post(f"/staff/pairs/{pair.id}/events/{event.id}/correct", data=form)
    assert bad.status_code == 422
    assert "Write the date as YYYY-MM-DD" in bad.text
    assert 'value="1 mars"' in bad.text
    assert 'aria-invalid="true"' in bad.text
    assert ">ringde upp</textarea>" in bad.text
    with Session(db) as s:
        unchanged = s.get(Event, event.id)
        assert (unchanged.type, unchanged.version) == ("cv_improved", 1)
    good = staff.post(
        f"/staff/pairs/{pair.id}/events/{event.id}/correct",
        data={**form, "occurred_on": "2025-03-02"},
    )
    assert f"Event {event.id} was corrected" in good.text
    with Session(db) as s:
        corrected = s.get(Event, event.id)
        assert (corrected.type, corrected.occurred_on, corrected.version) == (
            "job_started",
            date(2025, 3, 2),
            2,
        )


def test_a_new_cohort_form_keeps_what_was_typed_and_saves_nothing_until_right(
    client_for, db
) -> None:
    staff = client_for("staff")
    csrf = csrf_of(staff.get("/staff/cohorts").text)
    form = {
        "csrf": csrf,
        "id": "höst 2026",
        "name": "Hösten 2026",
        "start": "2026-09-01",
        "end": "2026-08-01",
        "target_participants": "60",
        "target_job_or_steps": "120",
        "target_network_expanded": "80",
    }
    bad = staff.post("/staff/cohorts", data=form)
    assert bad.status_code == 422
    for message in ("Use at most 64 letters", "must not be before the start", "from 0 to 100"):
        assert message in bad.text
    assert 'value="Hösten 2026"' in bad.text
    assert 'value="80"' in bad.text
    with Session(db) as s:
        assert s.exec(select(Cohort)).first() is None
    form.update(id="2026-host", end="2027-01-31", target_job_or_steps="90,5")
    good = staff.post("/staff/cohorts", data=form)
    assert "The cohort was created" in good.text
    with Session(db) as s:
        cohort = s.get(Cohort, "2026-host")
        assert cohort.targets == {
            "participants": 60,
            "job_or_steps": 0.905,
            "network_expanded": 0.8,
        }


def test_an_upload_with_bad_lines_lists_them_and_saves_nothing(client_for, session, db) -> None:
    cohort = make_cohort(session, id="c-up")
    session.commit()
    staff = client_for("staff")
    csrf = csrf_of(staff.get("/staff/cohorts/c-up").text)
    bad = "id,gender,language\np-1,woman,ar\np-2,female,fa\np-3,,uk\n"
    answer = staff.post(
        "/staff/cohorts/c-up/upload",
        data={"csrf": csrf, "kind": "participant"},
        files={"file": ("people.csv", bad.encode(), "text/csv")},
    )
    assert answer.status_code == 422
    listed = re.findall(r"<li>line (\d+): ", answer.text)
    assert listed == ["3", "4"]
    with Session(db) as s:
        assert s.exec(select(Participant)).first() is None
    good = bad.replace("female", "woman").replace("p-3,,uk", "p-3,other,uk")
    ok = staff.post(
        "/staff/cohorts/c-up/upload",
        data={"csrf": csrf, "kind": "participant"},
        files={"file": ("people.csv", good.encode(), "text/csv")},
    )
    assert ok.status_code == 200
    assert "The file was imported" in ok.text
    with Session(db) as s:
        people = s.exec(select(Participant).where(Participant.cohort == cohort.id)).all()
        assert sorted(p.id for p in people) == ["p-1", "p-2", "p-3"]
    jsonl = '{"kind": "mentor", "id": "m-1", "cohort": "c-up"}\n{"kind": "mentor"}\n'
    rejected = staff.post(
        "/staff/cohorts/c-up/upload",
        data={"csrf": csrf},
        files={"file": ("mentors.jsonl", jsonl.encode(), "application/x-ndjson")},
    )
    assert re.findall(r"<li>line (\d+): ", rejected.text) == ["2"]


def test_adding_people_and_a_pair_by_form(client_for, session, db) -> None:
    make_cohort(session, id="c-form")
    session.commit()
    staff = client_for("staff")
    csrf = csrf_of(staff.get("/staff/cohorts/c-form").text)
    missing = staff.post(
        "/staff/cohorts/c-form/participants", data={"csrf": csrf, "birth_year": "19x0"}
    )
    assert missing.status_code == 422
    assert "Choose a gender" in missing.text
    assert "Write a whole number" in missing.text
    assert 'value="19x0"' in missing.text
    staff.post(
        "/staff/cohorts/c-form/participants",
        data={"csrf": csrf, "id": "p-f", "gender": "woman", "language": "fa"},
    )
    staff.post("/staff/cohorts/c-form/mentors", data={"csrf": csrf, "id": "m-f", "language": "sv"})
    made = staff.post(
        "/staff/cohorts/c-form/pairs",
        data={"csrf": csrf, "mentor": "m-f", "participant": "p-f", "matched_on": "2025-02-01"},
    )
    assert "was created" in made.text
    with Session(db) as s:
        pair = s.exec(select(Pair)).one()
        assert (pair.mentor, pair.participant) == ("m-f", "p-f")
        assert s.get(Participant, "p-f").language == "fa"
        assert s.get(Mentor, "m-f").cohort == "c-form"


def test_the_invite_sheet_has_working_links_for_those_not_joined(
    client_for, session, db, settings
) -> None:
    cohort = make_cohort(session, id="c-inv", start=today(), end=today() + timedelta(days=120))
    pairs = [
        make_pair(
            session,
            mentor=make_mentor(session, cohort=cohort, language="sv"),
            participant=make_participant(session, cohort=cohort, language=lang),
            matched_on=today(),
        )
        for lang in ("ar", "uk")
    ]
    old = invites.create_invites(session, pair_id=pairs[0].id, actor="cli", settings=settings)
    session.commit()
    staff = client_for("staff")
    csrf = csrf_of(staff.get("/staff/cohorts/c-inv").text)
    sheet = staff.post("/staff/cohorts/c-inv/invites", data={"csrf": csrf, "download": "1"})
    assert sheet.status_code == 200
    assert sheet.headers["content-disposition"].startswith('attachment; filename="invites-c-inv-')
    cards = re.findall(
        r'<section class="card" lang="(\w+)" dir="(\w+)" data-pair="([^"]+)" data-role="(\w+)" '
        r'data-person="([^"]+)".*?<a href="([^"]+)">',
        sheet.text,
        re.S,
    )
    assert len(cards) == 4
    assert {(c[0], c[1]) for c in cards} >= {("ar", "rtl"), ("uk", "ltr"), ("sv", "ltr")}
    with Session(db) as s:
        for _lang, _dir, pair_id, role, _person, link in cards:
            token = link.removeprefix(f"https://t.me/{settings.bot_username}?start=")
            assert link == invites.invite_link(settings.bot_username, token)
            invite = invites.usable(s, token)  # a live single-use invite …
            assert (invite.pair, invite.role) == (pair_id, role)  # … of that person
        with pytest.raises(invites.InviteUnusable):
            invites.usable(s, old[PersonRole.mentor].token)  # the earlier link was replaced
    assert "data:image/svg+xml" in sheet.text  # the QR codes
    assert "<style>" in sheet.text  # the downloaded file prints on its own
    for name in ("Anna", "Berg"):
        assert name not in sheet.text


def test_exports_download_with_a_window_and_are_audited(client_for, program, db) -> None:
    analyst = client_for("analyst")
    bad = analyst.get(
        "/staff/exports/download",
        params={"table": "events", "from": "2024-05-01", "to": "2024-01-01"},
    )
    assert bad.status_code == 422
    assert "must not be before the start" in bad.text
    answer = analyst.get(
        "/staff/exports/download",
        params={"table": "events", "from": "2023-03-01", "to": "2023-03-31"},
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert rows
    assert all("2023-03-01" <= r["occurred_on"] <= "2023-03-31" for r in rows)
    indicators = analyst.get(
        "/staff/exports/download", params={"table": "indicators", "by": "gender"}
    )
    assert "job_or_steps" in indicators.text
    with Session(db) as s:
        entries = s.exec(
            select(AuditLog).where(AuditLog.action == "export").order_by(col(AuditLog.id))
        ).all()
    assert [(e.table_name, e.actor) for e in entries] == [
        ("events", "web:analyst@example.org"),
        ("indicators", "web:analyst@example.org"),
    ]
    assert entries[0].after == {"from": "2023-03-01", "to": "2023-03-31", "basis": "measured"}


def test_an_admin_adds_an_account_that_can_log_in(client_for, anonymous, db) -> None:
    admin = client_for("admin")
    csrf = csrf_of(admin.get("/staff/accounts").text)
    form = {"csrf": csrf, "email": "lina@example.org", "role": "staff", "language": "sv"}
    mismatch = admin.post(
        "/staff/accounts", data={**form, "password": PASSWORD, "password_again": "x"}
    )
    assert mismatch.status_code == 422
    assert "are not the same" in mismatch.text
    assert 'value="lina@example.org"' in mismatch.text
    assert PASSWORD not in mismatch.text  # a password is never sent back
    common = admin.post(
        "/staff/accounts",
        data={**form, "password": "Password2024!", "password_again": "Password2024!"},
    )
    assert "too common" in common.text
    added = admin.post(
        "/staff/accounts", data={**form, "password": PASSWORD, "password_again": PASSWORD}
    )
    assert "lina@example.org can now log in" in added.text
    assert log_in(anonymous, "lina@example.org").status_code == 303
    page = anonymous.get("/staff/overview").text
    assert '<html lang="sv">' in page


def test_the_study_page_says_there_is_no_study_yet(client_for) -> None:
    page = client_for("analyst").get("/staff/study")
    assert page.status_code == 200
    assert 'id="no-study"' in page.text


def test_the_table_per_cohort_comes_in_pages_and_each_row_has_the_engines_numbers(
    client_for, db, monkeypatch
) -> None:
    from staff.routes import overview as overview_route

    monkeypatch.setattr(overview_route, "COHORTS_PER_PAGE", 2)
    with Session(db) as session:
        import_jsonl(session, generate_lines(100, seed=3, n_cohorts=5))
        session.commit()
        groups = compute_indicators(session, by="cohort")["groups"]
    assert len(groups) == 5
    staff = client_for("staff")
    seen: list[str] = []
    for page_no, want in ((1, 2), (2, 2), (3, 1)):
        page = staff.get(f"/staff/overview?page={page_no}").text
        table = re.search(r'<table id="cohorts-table">(.*?)</table>', page, re.S)
        assert table is not None
        rows = re.findall(r'<tr data-cohort="([^"]+)">(.*?)</tr>', table.group(1), re.S)
        assert len(rows) == want
        assert f"Cohorts {2 * page_no - 1}–{2 * page_no - 2 + want} of 5" in page
        assert ('rel="next"' in page) == (page_no < 3)
        assert ('rel="prev"' in page) == (page_no > 1)
        for cohort, row in rows:
            group = next(g for g in groups if g["key"]["cohort"] == cohort)
            assert f'data-value="{group["enrolled"]}"' in row
            seen.append(cohort)
    assert sorted(seen) == sorted(g["key"]["cohort"] for g in groups)  # every cohort once
    # a page past the end shows the last one; a page that is not a number is refused
    assert "Cohorts 5–5 of 5" in staff.get("/staff/overview?page=9").text
    assert staff.get("/staff/overview?page=x").status_code == 400


@pytest.fixture
def newest_first(db) -> list[str]:
    """A generated program of 100 people in five cohorts; their ids, the newest first."""
    with Session(db) as session:
        import_jsonl(session, generate_lines(100, seed=3, n_cohorts=5))
        session.commit()
        return [
            c.id
            for c in session.exec(
                select(Cohort).order_by(col(Cohort.start).desc(), col(Cohort.id))
            ).all()
        ]


def test_with_more_cohorts_than_a_list_holds_the_filter_is_a_field_suggesting_the_newest(
    client_for, db, monkeypatch, newest_first
) -> None:
    from staff.routes import overview as overview_route

    with Session(db) as session:
        groups = {g["key"]["cohort"]: g for g in compute_indicators(session, by="cohort")["groups"]}
        oldest = compute_indicators(session, cohort=newest_first[-1])
    staff = client_for("staff")

    # five cohorts fit in a list: every one to choose from, on the overview and the pairs page
    for path in ("/staff/overview", "/staff/pairs"):
        page = staff.get(path).text
        picker = re.search(r'<select id="cohort" name="cohort">(.*?)</select>', page, re.S)
        assert picker is not None, path
        assert re.findall(r'<option value="([^"]*)"', picker.group(1)) == ["", *newest_first]

    monkeypatch.setattr(overview_route, "PICKER_COHORTS", 2)
    monkeypatch.setattr(overview_route, "CHART_COHORTS", 2)
    for path in ("/staff/overview", "/staff/pairs"):
        page = staff.get(path).text
        assert '<select id="cohort"' not in page, path
        assert re.search(
            r'<input id="cohort" name="cohort" type="search" list="cohort-options"', page
        )
        suggested = re.search(r'<datalist id="cohort-options">(.*?)</datalist>', page, re.S)
        assert suggested is not None
        assert re.findall(r'<option value="([^"]+)"', suggested.group(1)) == newest_first[:2]
        assert "empty for all 5 cohorts" in page
    # the chart has the two newest cohorts, each with the engine's numbers
    page = staff.get("/staff/overview").text
    chart = re.search(r'<table id="targets-table">(.*?)</table>', page, re.S)
    assert chart is not None
    rows = re.findall(
        r'<th scope="row">([^<]+)</th>\s*<td class="num" data-n="(\d+)" data-of="(\d+)"',
        chart.group(1),
    )
    assert sorted(r[0] for r in rows) == sorted(newest_first[:2])
    for cohort, n, of in rows:
        share = groups[cohort]["indicators"]["job_or_steps"]
        assert (int(n), int(of)) == (share["n"], share["of"])
    # a cohort typed in that the list does not suggest is shown; an unknown one is named
    page = staff.get(f"/staff/overview?cohort={newest_first[-1]}").text
    assert f'value="{newest_first[-1]}"' in page
    assert cell_numbers(page, "all-indicators") == {
        name: (ind["n"], ind["of"]) for name, ind in oldest["total"]["indicators"].items()
    }
    unknown = staff.get("/staff/overview?cohort=no-such-cohort")
    assert unknown.status_code == 404
    assert "cohort &#39;no-such-cohort&#39; does not exist" in unknown.text


def test_the_forms_take_a_typed_cohort_when_there_are_too_many_to_list(
    client_for, monkeypatch, newest_first
) -> None:
    from staff.routes import overview as overview_route

    staff = client_for("staff")
    pages = {
        "/staff/exports": "x-cohort",
        "/staff/announcements": "n-cohort",
        "/staff/group-meetings": "pick-cohort",
        "/staff/report": "x-cohort",
    }
    for path in pages:  # five cohorts: a list (or boxes) of all of them
        page = staff.get(path).text
        assert all(f'value="{c}"' in page for c in newest_first), path
        assert "-options" not in page, path
    monkeypatch.setattr(overview_route, "PICKER_COHORTS", 2)
    for path, field in pages.items():
        page = staff.get(path).text
        assert re.search(rf'<input id="{field}" name="cohort" type="(search|text)"', page), path
        suggested = re.search(r"<datalist id=\"[a-z-]+-options\">(.*?)</datalist>", page, re.S)
        assert suggested is not None, path
        assert re.findall(r'<option value="([^"]+)"', suggested.group(1)) == newest_first[:2]
        assert f'value="{newest_first[-1]}"' not in page  # not every cohort is listed
    oldest = newest_first[-1]
    # the oldest cohort, typed in: its meetings page, its export, its report
    assert f'value="{oldest}"' in staff.get(f"/staff/group-meetings?cohort={oldest}").text
    assert staff.get("/staff/group-meetings?cohort=no-such").status_code == 404
    export = staff.get(f"/staff/exports/download?table=participants&cohort={oldest}")
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert rows
    assert {r["cohort"] for r in rows} == {oldest}
    wrong = staff.get("/staff/exports/download?table=participants&cohort=no-such")
    assert wrong.status_code == 422
    assert "There is no such cohort." in wrong.text
    two = f"{newest_first[-1]} {newest_first[-2]}"
    report = staff.get("/staff/report/download", params={"cohort": two, "format": "html"})
    assert report.status_code == 200, report.text[:300]
    refused = staff.get("/staff/report/download", params={"cohort": f"{oldest}, nope"})
    assert refused.status_code == 422
    assert "There is no such cohort." in refused.text
    assert f'value="{oldest} nope"' in refused.text  # what was typed is kept
