"""The announcements page: write, preview who gets which language, send, follow, stop; CSRF
like every form; errors next to their field and nothing stored."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from outcomes.announcements import Announcement, AnnouncementRecipient
from outcomes.clock import today, utcnow
from tests.staff.conftest import csrf_of
from tests.utils.connected import connected_cohort

FORM = {
    "cohort": "c-a",
    "audience": "cohort",
    "flag": "",
    "text_sv": "Nytt rum: B12",
    "text_ar": "غرفة جديدة",
}


def _count(db, model) -> int:
    with Session(db) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_preview_then_send_then_stop(client_for, db, settings) -> None:
    connected_cohort(
        db, settings, 8, first=810_000_001, now=utcnow(), start=today() - timedelta(days=30)
    )
    staff: TestClient = client_for("staff")
    page = staff.get("/staff/announcements")
    assert page.status_code == 200
    assert 'href="/staff/announcements" aria-current="page"' in page.text
    preview = staff.post("/staff/announcements/preview", data={**FORM, "csrf": csrf_of(page.text)})
    assert preview.status_code == 200, preview.text
    assert "16 people will get this message." in preview.text
    rows = dict(
        re.findall(r'<tr data-lang="([a-z]+)">.*?<td class="num">(\d+)</td>', preview.text, re.S)
    )
    assert rows == {lang: "2" for lang in ("sv", "en", "ar", "fa", "uk", "so", "ti", "ru")}
    assert _count(db, Announcement) == 0  # a preview stores nothing
    sent = staff.post(
        "/staff/announcements",
        data={**FORM, "csrf": csrf_of(preview.text)},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    detail = staff.get(sent.headers["location"])
    assert re.search(r'data-count="pending">16<', detail.text)
    assert "غرفة جديدة" in detail.text
    stopped = staff.post(
        sent.headers["location"] + "/cancel",
        data={"csrf": csrf_of(detail.text)},
        follow_redirects=True,
    )
    assert re.search(r'data-count="cancelled">16<', stopped.text)
    assert 'id="cancel"' not in stopped.text
    assert _count(db, AnnouncementRecipient) == 16


def test_without_swedish_or_csrf_nothing_is_stored(client_for, db, settings) -> None:
    connected_cohort(
        db, settings, 2, first=820_000_001, now=utcnow(), start=today() - timedelta(days=30)
    )
    staff: TestClient = client_for("staff")
    csrf = csrf_of(staff.get("/staff/announcements").text)
    bad = staff.post("/staff/announcements", data={**FORM, "text_sv": " ", "csrf": csrf})
    assert bad.status_code == 422
    assert "Write the message in Swedish" in bad.text
    assert 'aria-invalid="true"' in bad.text
    flagless = staff.post(
        "/staff/announcements/preview", data={**FORM, "audience": "flag", "csrf": csrf}
    )
    assert flagless.status_code == 422
    assert "Choose the flag" in flagless.text
    forged = staff.post("/staff/announcements", data=FORM)
    assert forged.status_code == 403
    assert _count(db, Announcement) == 0


def test_analysts_do_not_see_the_page(client_for) -> None:
    assert client_for("analyst").get("/staff/announcements").status_code == 403
