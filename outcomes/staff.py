"""Staff accounts for the browser: passwords, roles, and logging in with throttling.

    user = add_staff(session, email="anna@example.org", role="staff", password=..., actor="cli")
    result = log_in(session, settings, email=..., password=...)   # LoginResult: user or refusal
    disable_staff(session, email=..., actor=...)                  # its sessions end at once

Passwords are hashed with Argon2id (argon2-cffi, RFC 9106's low-memory profile), must have at
least ``MIN_PASSWORD`` characters and must not be a common password (``common_passwords.txt``, a
list shipped with the package) or a common word with digits and signs added, nor the address
itself. Roles mean what they mean in the API: ``admin`` everything (and the accounts),
``staff`` the records, ``analyst`` aggregates, studies and exports only — never a person's page.

Logging in: every failure counts for the login name that was typed, whether an account has it or
not, so the answer never tells whether an address is known: the message for a wrong address, a
wrong password and a disabled account is the same. From the second failure in a row the next
attempt is taken only after a pause that doubles each time (1 s, 2 s, 4 s …); after
``Settings.staff_login_max_failures`` failures in a row the name is locked for
``Settings.staff_login_lock_minutes`` — even the right password is refused until then. Logins,
failures and refusals go to the audit log; only a hash of a login name that has no account is
kept.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from core.settings import Settings
from core.vocab import STAFF_LANGUAGES, STAFF_MIN_PASSWORD, Role
from outcomes.audit import audit
from outcomes.clock import utcnow
from outcomes.errors import Conflict, Invalid, NotFound
from outcomes.sessions import end_sessions_of
from outcomes.staff_models import EMAIL, LoginThrottle, StaffUser

MIN_PASSWORD = STAFF_MIN_PASSWORD
MAX_PASSWORD = 256  # hashing a megabyte on every try would be an easy way to load the server
SLOW_AFTER = 2  # from this many failures in a row, the next try waits (1 s, then doubling)
TABLE = "staff_user"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()  # Argon2id with argon2-cffi's defaults (RFC 9106 low-memory)


class PasswordRejected(Invalid):
    """The password breaks the rules; the message says which."""


class Refusal(StrEnum):
    """Why a login was refused; ``wrong`` covers a wrong address, password or a disabled account."""

    wrong = "wrong"
    wait = "wait"  # slowed down: try again after ``retry_after``
    locked = "locked"  # too many failures in a row: locked until ``retry_after``


@dataclass(frozen=True)
class LoginResult:
    """A logged-in ``user``, or a ``refusal`` (and when to try again for ``wait``/``locked``)."""

    user: StaffUser | None = None
    refusal: Refusal | None = None
    retry_after: datetime | None = None


def normalise_email(email: str) -> str:
    """The form an address is stored and compared in: trimmed, NFKC, lower-case."""
    return unicodedata.normalize("NFKC", email).strip().lower()


def check_email(email: str) -> str:
    """The normalised address, or ``Invalid`` when it cannot be one."""
    value = normalise_email(email)
    if not value:
        raise Invalid("give an e-mail address")
    if len(value) > EMAIL or not _EMAIL.match(value):
        raise Invalid(f"{email.strip()!r} is not an e-mail address")
    return value


def check_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise Invalid(f"unknown role {role!r}; expected one of {', '.join(Role)}") from None


def check_language(language: str) -> str:
    if language not in STAFF_LANGUAGES:
        raise Invalid(
            f"unknown language {language!r}; expected one of {', '.join(STAFF_LANGUAGES)}"
        )
    return language


# --- passwords ------------------------------------------------------------------------------


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords and words (lower-case)."""
    text = resources.files("outcomes").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def _simple(password: str) -> bool:
    """One character repeated, or a run up or down the alphabet or digits (abcdef…, 98765…)."""
    if len(set(password)) <= 2:
        return True
    steps = {ord(b) - ord(a) for a, b in zip(password, password[1:], strict=False)}
    return steps <= {1} or steps <= {-1}


def check_password(password: str, *, email: str | None = None) -> None:
    """``PasswordRejected`` with the reason when the password may not be used."""
    if len(password) < MIN_PASSWORD:
        raise PasswordRejected(f"the password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise PasswordRejected(f"the password may have at most {MAX_PASSWORD} characters")
    lower = password.lower()
    common = common_passwords()
    core = re.sub(r"^[\d\W_]+|[\d\W_]+$", "", lower)  # a common word with digits or signs added
    if lower in common or core in common or _simple(password):
        raise PasswordRejected("this password is too common; choose a longer, less usual one")
    if email:
        local = normalise_email(email).split("@", 1)[0]
        if lower == normalise_email(email) or (len(local) >= 4 and local in lower):
            raise PasswordRejected("the password may not contain the e-mail address")


def hash_password(password: str) -> str:
    """The Argon2id hash (with its salt and parameters) of a password."""
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the address has no account, so both take the same time."""
    return _hasher.hash("not a password of anyone: only for the timing")


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


# --- accounts -------------------------------------------------------------------------------


def find_staff(session: Session, email: str) -> StaffUser | None:
    """The account of an address (any case), or ``None``."""
    return session.exec(select(StaffUser).where(StaffUser.email == normalise_email(email))).first()


def get_staff(session: Session, email: str) -> StaffUser:
    user = find_staff(session, email)
    if user is None:
        raise NotFound(f"no staff account has the address {normalise_email(email)!r}")
    return user


def _public(user: StaffUser) -> dict[str, str | None]:
    return {
        "email": user.email,
        "role": user.role,
        "language": user.language,
        "disabled_at": user.disabled_at.isoformat() if user.disabled_at else None,
    }


def add_staff(
    session: Session,
    *,
    email: str,
    role: Role | str,
    password: str,
    actor: str,
    language: str = "sv",
) -> StaffUser:
    """Create an account (``Conflict`` when the address has one, ``Invalid`` for bad input)."""
    address = check_email(email)
    role = check_role(role)
    check_language(language)
    check_password(password, email=address)
    if find_staff(session, address) is not None:
        raise Conflict(f"{address} has an account already")
    user = StaffUser(
        email=address, role=role.value, language=language, password_hash=hash_password(password)
    )
    session.add(user)
    session.flush()
    audit(
        session,
        actor=actor,
        action="create",
        table_name=TABLE,
        record_id=str(user.id),
        before=None,
        after=_public(user),
    )
    return user


def list_staff(session: Session) -> list[StaffUser]:
    """Every account, by address (disabled ones too)."""
    return list(session.exec(select(StaffUser).order_by(col(StaffUser.email))).all())


def disable_staff(session: Session, *, email: str, actor: str) -> StaffUser:
    """Disable an account: it cannot log in, and its open sessions end at once."""
    user = get_staff(session, email)
    if user.disabled_at is None:
        before = _public(user)
        user.disabled_at = utcnow()
        session.add(user)
        assert user.id is not None
        end_sessions_of(session, user.id)
        audit(
            session,
            actor=actor,
            action="disable",
            table_name=TABLE,
            record_id=str(user.id),
            before=before,
            after=_public(user),
        )
        session.flush()
    return user


def enable_staff(session: Session, *, email: str, actor: str) -> StaffUser:
    """Let a disabled account log in again."""
    user = get_staff(session, email)
    if user.disabled_at is not None:
        before = _public(user)
        user.disabled_at = None
        session.add(user)
        audit(
            session,
            actor=actor,
            action="enable",
            table_name=TABLE,
            record_id=str(user.id),
            before=before,
            after=_public(user),
        )
        session.flush()
    return user


def reset_password(session: Session, *, email: str, password: str, actor: str) -> StaffUser:
    """Give an account a new password; its open sessions end (the old password may be known)."""
    user = get_staff(session, email)
    check_password(password, email=user.email)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    session.add(user)
    assert user.id is not None
    end_sessions_of(session, user.id)
    audit(
        session,
        actor=actor,
        action="reset_password",
        table_name=TABLE,
        record_id=str(user.id),
        before=None,
        after={"email": user.email},
    )
    session.flush()
    return user


def set_language(session: Session, user: StaffUser, language: str) -> StaffUser:
    """The language the pages are shown in for this account."""
    user.language = check_language(language)
    session.add(user)
    session.flush()
    return user


def audit_logout(session: Session, user: StaffUser) -> None:
    """Note a logout in the audit log."""
    audit(
        session,
        actor=actor_of(user),
        action="logout",
        table_name=TABLE,
        record_id=str(user.id),
        before=None,
        after=None,
    )


def actor_of(user: StaffUser) -> str:
    """How the audit log names a person working in the pages."""
    return f"web:{user.email}"[:100]


# --- logging in -----------------------------------------------------------------------------


def _throttle_key(email: str) -> str:
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()


def _pause(failures: int) -> timedelta:
    """How long to wait after ``failures`` failures in a row before the next try is taken."""
    if failures < SLOW_AFTER:
        return timedelta(0)
    return timedelta(seconds=2 ** (failures - SLOW_AFTER))


def log_in(session: Session, settings: Settings, *, email: str, password: str) -> LoginResult:
    """Check an address and password, with the slow-down and the lock; audited either way.

    The caller commits whatever the answer (a failure must be counted).
    """
    now = utcnow()
    key = _throttle_key(email)
    throttle = session.exec(
        select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()
    ).first()
    user = find_staff(session, email) if len(email) <= EMAIL else None
    who = actor_of(user) if user is not None else "web:unknown"
    record = str(user.id) if user is not None else key[:16]

    def refused(refusal: Refusal, retry_after: datetime | None, reason: str) -> LoginResult:
        audit(
            session,
            actor=who,
            action="login_refused" if refusal is not Refusal.wrong else "login_failed",
            table_name=TABLE,
            record_id=record,
            before=None,
            after={"reason": reason},
        )
        session.flush()
        return LoginResult(refusal=refusal, retry_after=retry_after)

    if throttle is not None and throttle.locked_until is not None:
        if throttle.locked_until > now:
            return refused(Refusal.locked, throttle.locked_until, "locked")
        throttle.locked_until = None
        throttle.failures = 0
    if throttle is not None and throttle.failures >= SLOW_AFTER:
        not_before = throttle.last_failure_at + _pause(throttle.failures)
        if now < not_before:
            return refused(Refusal.wait, not_before, "too soon after a failure")

    ok = False
    if user is not None and len(password) <= MAX_PASSWORD:
        ok = _verify(user.password_hash, password)
    else:
        _verify(_dummy_hash(), password[:MAX_PASSWORD])  # the same time as for a known address
    if ok and user is not None and user.disabled_at is None:
        if throttle is not None:
            session.delete(throttle)
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.last_login_at = now
        session.add(user)
        audit(
            session,
            actor=who,
            action="login",
            table_name=TABLE,
            record_id=record,
            before=None,
            after=None,
        )
        session.flush()
        return LoginResult(user=user)

    if throttle is None:
        throttle = LoginThrottle(key=key, failures=0, last_failure_at=now)
    throttle.failures += 1
    throttle.last_failure_at = now
    locked = throttle.failures >= settings.staff_login_max_failures
    if locked:
        throttle.locked_until = now + timedelta(minutes=settings.staff_login_lock_minutes)
    session.add(throttle)
    if user is None:
        reason = "unknown address"
    elif user.disabled_at is not None:
        reason = "account disabled"
    else:
        reason = "wrong password"
    if locked:
        reason += f"; locked after {throttle.failures} failures in a row"
    result = refused(Refusal.wrong, throttle.locked_until, reason)
    if locked:  # the page says so at once: the next try, even the right one, waits for the lock
        return LoginResult(refusal=Refusal.locked, retry_after=throttle.locked_until)
    return result
