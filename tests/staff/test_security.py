"""Security of the staff pages: sessions, roles, CSRF, login throttling, cookies, logs."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from outcomes.models import AuditLog, Cohort
from outcomes.staff_models import StaffSession
from staff.deps import SESSION_COOKIE
from tests.staff.conftest import PASSWORD, csrf_of, log_in
from tests.utils.factories import make_pair

OPEN = {"/login"}


def staff_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, concrete path) of every page and form of the staff app."""
    mount = next(r for r in app.routes if getattr(r, "path", "") == "/staff")
    paths = mount.app.openapi()["paths"]  # type: ignore[attr-defined]
    return [
        (method.upper(), "/staff" + re.sub(r"\{[^}]+\}", "x1", path))
        for path, operations in sorted(paths.items())
        if path not in OPEN
        for method in operations
    ]


def test_every_page_and_form_sends_a_stranger_to_the_login(app, anonymous) -> None:
    routes = staff_routes(app)
    assert len(routes) >= 20
    for method, path in routes:
        answer = anonymous.request(method, path, follow_redirects=False)
        if path == "/staff/":
            assert answer.status_code == 303  # the root forwards to the overview …
            continue
        assert answer.status_code == 303, (method, path, answer.text)
        assert answer.headers["location"].startswith("/staff/login"), (method, path)
    # … which asks for the login, and comes back to where the person wanted to go
    answer = anonymous.get("/staff/pairs?flag=blocked", follow_redirects=False)
    assert answer.headers["location"] == "/staff/login?next=%2Fstaff%2Fpairs%3Fflag%3Dblocked"


def test_login_goes_back_to_the_page_asked_for_but_never_to_another_site(
    anonymous, accounts
) -> None:
    page = anonymous.get("/staff/login?next=/staff/pairs")
    assert 'name="next" value="/staff/pairs"' in page.text
    for target, expected in (("/staff/pairs", "/staff/pairs"), ("https://evil.example/", None)):
        anonymous.cookies.clear()
        page = anonymous.get("/staff/login")
        answer = anonymous.post(
            "/staff/login",
            data={
                "email": accounts["staff"],
                "password": PASSWORD,
                "csrf": csrf_of(page.text),
                "next": target,
            },
            follow_redirects=False,
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == (expected or "/staff/overview")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/staff/pairs"),
        ("GET", "/staff/pairs/PAIR"),
        ("GET", "/staff/cohorts"),
        ("GET", "/staff/cohorts/COHORT"),
        ("POST", "/staff/cohorts"),
        ("POST", "/staff/cohorts/COHORT/participants"),
        ("POST", "/staff/cohorts/COHORT/upload"),
        ("POST", "/staff/cohorts/COHORT/invites"),
        ("POST", "/staff/pairs/PAIR/events/EVENT/void"),
        ("GET", "/staff/accounts"),
    ],
)
def test_an_analyst_never_sees_a_pair_or_the_set_up(client_for, session, method, path) -> None:
    pair = make_pair(session)
    event_id = "ev-none"
    session.commit()
    cohort = session.exec(select(Cohort)).first()
    analyst = client_for("analyst")
    csrf = csrf_of(analyst.get("/staff/overview").text)
    concrete = path.replace("PAIR", pair.id).replace("COHORT", cohort.id)
    concrete = concrete.replace("EVENT", event_id)
    answer = analyst.request(method, concrete, data={"csrf": csrf} if method == "POST" else None)
    assert answer.status_code == 403
    assert "Not for your role" in answer.text
    assert pair.participant not in answer.text


def test_an_analyst_sees_the_numbers_the_study_and_the_exports(client_for) -> None:
    analyst = client_for("analyst")
    for path in ("/staff/overview", "/staff/study", "/staff/exports"):
        assert analyst.get(path).status_code == 200
    menu = analyst.get("/staff/overview").text
    assert 'href="/staff/pairs"' not in menu
    assert 'href="/staff/cohorts"' not in menu


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(client_for, db) -> None:
    staff = client_for("staff")
    form = {"id": "c-new", "name": "New", "start": "2026-01-01", "end": "2026-06-30"}
    missing = staff.post("/staff/cohorts", data=form)
    wrong = staff.post("/staff/cohorts", data={**form, "csrf": "not-the-token"})
    other = client_for("admin")
    foreign = staff.post(
        "/staff/cohorts", data={**form, "csrf": csrf_of(other.get("/staff/overview").text)}
    )
    for answer in (missing, wrong, foreign):
        assert answer.status_code == 403
        assert "security token" in answer.text
    with Session(db) as session:
        assert session.get(Cohort, "c-new") is None
    good = staff.post(
        "/staff/cohorts",
        data={**form, "csrf": csrf_of(staff.get("/staff/cohorts").text)},
        follow_redirects=False,
    )
    assert good.status_code == 303
    with Session(db) as session:
        assert session.get(Cohort, "c-new") is not None


def test_the_login_form_needs_its_own_token(anonymous, accounts) -> None:
    anonymous.get("/staff/login")
    answer = anonymous.post(
        "/staff/login",
        data={"email": accounts["staff"], "password": PASSWORD, "csrf": "forged"},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert SESSION_COOKIE not in answer.cookies


def test_the_sixth_wrong_password_is_refused_even_when_right_until_the_lock_ends(
    anonymous, accounts, settings, clock, db
) -> None:
    def attempt(password: str):
        return log_in(anonymous, accounts["staff"], password)

    wrong = "not the right password"
    for n in range(1, settings.staff_login_max_failures + 1):
        answer = attempt(wrong)
        assert answer.status_code in (401, 429), n
        clock.advance(seconds=2 ** max(0, n - 1))  # wait out the slow-down between tries
    assert answer.status_code == 429
    assert "locked" in answer.text
    locked = attempt(PASSWORD)  # the sixth try, with the right password
    assert locked.status_code == 429
    assert "locked" in locked.text
    assert SESSION_COOKIE not in locked.cookies
    clock.advance(minutes=settings.staff_login_lock_minutes)
    assert attempt(PASSWORD).status_code == 303
    with Session(db) as session:
        actions = session.exec(
            select(AuditLog.action)
            .where(AuditLog.table_name == "staff_user")
            .order_by(col(AuditLog.id))
        ).all()
    assert actions.count("login_failed") == settings.staff_login_max_failures
    assert "login_refused" in actions
    assert actions[-1] == "login"


def test_a_wrong_address_and_a_wrong_password_read_the_same(anonymous, accounts) -> None:
    unknown = log_in(anonymous, "nobody@example.org")
    wrong = log_in(anonymous, accounts["staff"], "a wrong password here")
    assert unknown.status_code == wrong.status_code == 401
    message = re.compile(r'<p class="error-box"[^>]*>(.*?)</p>')
    assert message.search(unknown.text).group(1) == message.search(wrong.text).group(1)


def test_a_disabled_accounts_cookie_stops_working_at_once(client_for, accounts) -> None:
    staff = client_for("staff")
    assert staff.get("/staff/pairs").status_code == 200
    admin = client_for("admin")
    page = admin.get("/staff/accounts")
    row = re.search(
        rf'data-email="{re.escape(accounts["staff"])}".*?action="/staff/accounts/(\d+)/disable"',
        page.text,
        re.S,
    )
    assert row is not None
    disabled = admin.post(
        f"/staff/accounts/{row.group(1)}/disable", data={"csrf": csrf_of(page.text)}
    )
    assert disabled.status_code == 200
    assert "is disabled" in disabled.text
    answer = staff.get("/staff/pairs", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/staff/login")


def test_logout_ends_the_session_for_a_copied_cookie_too(client_for, app) -> None:
    staff = client_for("staff")
    secret = staff.cookies.get(SESSION_COOKIE)
    copy = TestClient(app)
    copy.cookies.set(SESSION_COOKIE, secret)
    assert copy.get("/staff/overview").status_code == 200
    out = staff.post("/staff/logout", data={"csrf": csrf_of(staff.get("/staff/overview").text)})
    assert "You are logged out" in out.text
    assert copy.get("/staff/overview", follow_redirects=False).status_code == 303


def test_the_session_cookie_is_httponly_samesite_and_secure_behind_https(app, accounts, db) -> None:
    for base, secure in (("http://testserver", False), ("https://testserver", True)):
        client = TestClient(app, base_url=base)
        answer = log_in(client, accounts["staff"])
        header = next(
            h for h in answer.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)
        )
        assert "HttpOnly" in header
        assert "SameSite=lax" in header
        assert "Path=/staff" in header
        assert ("Secure" in header) is secure
        secret = answer.cookies[SESSION_COOKIE]
        with Session(db) as session:
            hashes = session.exec(select(StaffSession.session_hash)).all()
        assert secret not in hashes  # only its SHA-256 is stored
        assert len(secret) >= 43


def test_the_session_id_is_not_in_the_logs_or_the_audit_log(
    client_for, caplog, db, session
) -> None:
    caplog.set_level(logging.DEBUG)
    pair = make_pair(session)
    session.commit()
    staff = client_for("staff")
    secret = staff.cookies.get(SESSION_COOKIE)
    for path in ("/staff/overview", "/staff/pairs", f"/staff/pairs/{pair.id}", "/staff/nowhere"):
        staff.get(path)
    staff.post("/staff/logout", data={"csrf": "wrong"})
    assert caplog.records  # something was logged (SQL, HTTP …)
    for record in caplog.records:
        assert secret not in record.getMessage()
        assert secret not in str(record.args)
    with Session(db) as s:
        for entry in s.exec(select(AuditLog)).all():
            assert secret not in str(entry.model_dump())
