"""Who is asking, and may they: the session cookie, the roles, and the CSRF token of every form.

* ``DbDep`` — one database session per request, committed when the route returns, rolled back
  when it raises (as in ``api/deps.py``).
* ``Anyone`` — a logged-in person (any role); without a live session the page answers with a
  redirect to the login (``LoginRequired``).
* ``StaffOnly`` (admin, staff: records and people's pages) and ``AdminOnly`` (accounts); an
  analyst gets 403 (``Forbidden``) — analysts see aggregates, studies and exports only.
* ``form_of(...)`` — the same for a form post, which must carry the session's CSRF token
  (field ``csrf``; else ``CsrfRejected``, 403).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Form, Request
from sqlalchemy import Engine
from sqlmodel import Session

from core.settings import Settings
from core.vocab import Role
from outcomes.sessions import find_session
from outcomes.staff_models import StaffSession, StaffUser

SESSION_COOKIE = "stegvis_staff"
LOGIN_CSRF_COOKIE = "stegvis_login_csrf"


class LoginRequired(Exception):
    """No live session: the answer is a redirect to the login page."""


class Forbidden(Exception):
    """The person's role may not see this (403)."""


class CsrfRejected(Exception):
    """A form came without the session's CSRF token (403)."""


@dataclass(frozen=True)
class Visitor:
    """A logged-in person: their account and their session (whose CSRF token the forms carry)."""

    user: StaffUser
    session: StaffSession

    @property
    def csrf(self) -> str:
        return self.session.csrf_token

    @property
    def role(self) -> str:
        return self.user.role

    def may(self, *roles: Role) -> bool:
        return self.user.role in {r.value for r in roles}


def get_db(request: Request) -> Iterator[Session]:
    engine: Engine = request.app.state.engine
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        session.commit()


DbDep = Annotated[Session, Depends(get_db, scope="function")]


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def current_visitor(request: Request, db: DbDep) -> Visitor:
    found = find_session(db, settings_of(request), request.cookies.get(SESSION_COOKIE))
    if found is None:
        raise LoginRequired
    row, user = found
    # kept apart from the request's transaction, so that a rollback (a form with errors, a
    # failed write) does not expire them before the page that says so is drawn
    db.flush()
    db.expunge(user)
    db.expunge(row)
    visitor = Visitor(user=user, session=row)
    request.state.visitor = visitor  # the error pages show the menu and the person's language
    return visitor


Anyone = Annotated[Visitor, Depends(current_visitor)]


def require(*roles: Role) -> Callable[[Visitor], Visitor]:
    allowed = frozenset(r.value for r in roles)

    def check(visitor: Anyone) -> Visitor:
        if visitor.user.role not in allowed:
            raise Forbidden
        return visitor

    return check


def form_of(*roles: Role) -> Callable[..., Visitor]:
    """A form post by one of ``roles`` that carries the session's CSRF token."""
    gate = require(*roles)

    # defaults, not annotations: ``gate`` is local, and annotations are strings here
    def check(visitor: Visitor = Depends(gate), csrf: str = Form("")) -> Visitor:
        if not csrf or not secrets.compare_digest(csrf, visitor.csrf):
            raise CsrfRejected
        return visitor

    return check


ALL_ROLES = (Role.admin, Role.staff, Role.analyst)
StaffOnly = Annotated[Visitor, Depends(require(Role.admin, Role.staff))]
AdminOnly = Annotated[Visitor, Depends(require(Role.admin))]
AnyoneForm = Annotated[Visitor, Depends(form_of(*ALL_ROLES))]
StaffForm = Annotated[Visitor, Depends(form_of(Role.admin, Role.staff))]
AdminForm = Annotated[Visitor, Depends(form_of(Role.admin))]
