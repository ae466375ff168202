"""Staff accounts, sessions and login throttling (outcomes/staff.py, outcomes/sessions.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from outcomes import sessions, staff
from outcomes.clock import set_clock
from outcomes.errors import Conflict, Invalid, NotFound
from outcomes.models import AuditLog
from outcomes.staff import PasswordRejected, Refusal
from outcomes.staff_models import LoginThrottle, StaffSession, StaffUser

GOOD = "lingon-fjäll-kaffe-7"


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock():
    fake = FakeClock()
    set_clock(lambda: fake.now)
    yield fake
    set_clock(None)


@pytest.fixture
def anna(session: Session) -> StaffUser:
    user = staff.add_staff(
        session, email="Anna@Example.org ", role="staff", password=GOOD, actor="test"
    )
    session.commit()
    return user


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short-pw-1", "at least 12"),
        ("password1234", "too common"),
        ("Sommar2024!!", "too common"),  # a common word with digits and signs
        ("aaaaaaaaaaaaaa", "too common"),
        ("abcdefghijklmnop", "too common"),
        ("anna.berg-secret-words", "e-mail"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, reason: str) -> None:
    with pytest.raises(PasswordRejected, match=reason):
        staff.check_password(password, email="anna.berg@example.org")


def test_a_long_uncommon_password_is_accepted() -> None:
    staff.check_password("correct horse battery staple", email="anna@example.org")


def test_an_account_is_stored_lower_case_with_an_argon2id_hash(session, anna) -> None:
    stored = session.exec(select(StaffUser)).one()
    assert stored.email == "anna@example.org"
    assert stored.password_hash.startswith("$argon2id$")
    assert GOOD not in stored.password_hash
    created = session.exec(select(AuditLog).where(AuditLog.table_name == "staff_user")).one()
    assert created.action == "create"
    assert "password" not in str(created.after)
    assert "argon2" not in str(created.after)


def test_a_second_account_for_the_same_address_conflicts(session, anna) -> None:
    with pytest.raises(Conflict):
        staff.add_staff(
            session, email="ANNA@example.org", role="admin", password=GOOD + "x", actor="t"
        )


@pytest.mark.parametrize(
    ("email", "role", "language"),
    [("not-an-address", "staff", "sv"), ("a@b.se", "boss", "sv"), ("a@b.se", "staff", "de")],
)
def test_bad_account_input_is_refused(session, email, role, language) -> None:
    with pytest.raises(Invalid):
        staff.add_staff(
            session, email=email, role=role, password=GOOD, actor="t", language=language
        )
    assert session.exec(select(StaffUser)).first() is None


def test_login_with_the_right_password_is_audited(session, settings, anna) -> None:
    result = staff.log_in(session, settings, email="ANNA@example.org", password=GOOD)
    assert result.user is not None
    assert result.user.id == anna.id
    assert result.user.last_login_at is not None
    actions = session.exec(
        select(AuditLog.action)
        .where(AuditLog.table_name == "staff_user")
        .order_by(col(AuditLog.id))  # in the order written (PostgreSQL keeps no order)
    ).all()
    assert actions == ["create", "login"]


def test_wrong_address_and_wrong_password_get_the_same_answer(session, settings, anna) -> None:
    unknown = staff.log_in(session, settings, email="nobody@example.org", password=GOOD)
    wrong = staff.log_in(session, settings, email="anna@example.org", password=GOOD + "!")
    assert unknown == wrong == staff.LoginResult(refusal=Refusal.wrong)
    failures = session.exec(
        select(AuditLog).where(AuditLog.action == "login_failed").order_by(col(AuditLog.id))
    ).all()
    assert [f.after for f in failures] == [
        {"reason": "unknown address"},
        {"reason": "wrong password"},
    ]
    # the address that has no account is not kept in the clear, anywhere
    assert "nobody" not in str([(f.actor, f.record_id) for f in failures])
    assert all("nobody" not in t.key for t in session.exec(select(LoginThrottle)).all())


def test_failures_slow_down_then_lock_even_the_right_password(
    session, settings, anna, clock
) -> None:
    def attempt(password: str) -> staff.LoginResult:
        result = staff.log_in(session, settings, email=anna.email, password=password)
        session.commit()
        return result

    assert attempt("wrong-password-1").refusal is Refusal.wrong
    assert attempt("wrong-password-2").refusal is Refusal.wrong
    # after two failures in a row the next try waits a second, and the wait doubles
    too_soon = attempt(GOOD)
    assert too_soon.refusal is Refusal.wait
    assert too_soon.retry_after == clock.now + timedelta(seconds=1)
    clock.advance(seconds=1)
    assert attempt("wrong-password-3").refusal is Refusal.wrong
    clock.advance(seconds=1)
    assert attempt("wrong-password-4").refusal is Refusal.wait  # 2 s now
    clock.advance(seconds=1)
    assert attempt("wrong-password-4").refusal is Refusal.wrong
    clock.advance(seconds=4)
    fifth = attempt("wrong-password-5")
    assert fifth.refusal is Refusal.locked
    assert fifth.retry_after == clock.now + timedelta(minutes=settings.staff_login_lock_minutes)
    # the sixth try is refused even with the right password, until the lock ends
    clock.advance(minutes=settings.staff_login_lock_minutes - 1)
    assert attempt(GOOD).refusal is Refusal.locked
    clock.advance(minutes=1)
    assert attempt(GOOD).user is not None
    assert session.exec(select(LoginThrottle)).first() is None  # a success starts afresh


def test_a_disabled_account_cannot_log_in_and_says_nothing_more(session, settings, anna) -> None:
    staff.disable_staff(session, email=anna.email, actor="admin")
    result = staff.log_in(session, settings, email=anna.email, password=GOOD)
    assert result.refusal is Refusal.wrong
    staff.enable_staff(session, email=anna.email, actor="admin")
    assert staff.log_in(session, settings, email=anna.email, password=GOOD).user is not None


def test_sessions_end_at_logout_idle_absolute_and_when_disabled(
    session, settings, anna, clock
) -> None:
    secret, row = sessions.start_session(session, anna)
    assert row.session_hash != secret
    assert secret not in row.session_hash
    assert sessions.find_session(session, settings, secret) is not None
    assert sessions.end_session(session, secret) is True
    assert sessions.find_session(session, settings, secret) is None

    idle = settings.staff_session_idle_minutes
    secret, _ = sessions.start_session(session, anna)
    clock.advance(minutes=idle - 1)
    assert sessions.find_session(session, settings, secret) is not None  # notes the request
    clock.advance(minutes=idle - 1)
    assert sessions.find_session(session, settings, secret) is not None
    clock.advance(minutes=idle + 1)
    assert sessions.find_session(session, settings, secret) is None

    secret, _ = sessions.start_session(session, anna)
    for _ in range(settings.staff_session_max_hours * 60 // (idle - 1) + 1):
        clock.advance(minutes=idle - 1)
        found = sessions.find_session(session, settings, secret)
    assert found is None  # never idle, but past the absolute limit

    secret, _ = sessions.start_session(session, anna)
    staff.disable_staff(session, email=anna.email, actor="admin")
    assert sessions.find_session(session, settings, secret) is None
    assert all(s.ended_at is not None for s in session.exec(select(StaffSession)).all())


def test_reset_password_ends_the_sessions_and_changes_the_login(session, settings, anna) -> None:
    secret, _ = sessions.start_session(session, anna)
    staff.reset_password(session, email=anna.email, password=GOOD + "-ny", actor="admin")
    assert sessions.find_session(session, settings, secret) is None
    assert staff.log_in(session, settings, email=anna.email, password=GOOD).user is None
    assert staff.log_in(session, settings, email=anna.email, password=GOOD + "-ny").user


def test_unknown_accounts_are_named_in_the_error(session) -> None:
    with pytest.raises(NotFound, match="nobody@example.org"):
        staff.disable_staff(session, email="Nobody@example.org", actor="admin")
