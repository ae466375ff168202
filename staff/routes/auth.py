"""Logging in and out, and the pages' language.

The login form is protected against cross-site posts by a double-submit token (a random cookie
that the form must repeat), since there is no session yet; after the login every form carries
the session's own token. The answer to a failed login never tells whether the address is known.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from outcomes import sessions, staff
from outcomes.staff import Refusal
from staff.app import safe_next
from staff.deps import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    AnyoneForm,
    DbDep,
    settings_of,
)
from staff.i18n import PAGE_LANGUAGES, Format
from staff.templating import LANG_COOKIE, gettext_for, language_of, render

router = APIRouter()


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def secure_cookies(request: Request) -> bool:
    """Secure cookies behind https (or when the settings say so)."""
    setting = settings_of(request).staff_secure_cookies
    return setting if setting is not None else request.url.scheme == "https"


def _login_page(
    request: Request,
    *,
    email: str = "",
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
    lang: str | None = None,
) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        {
            "email": email,
            "error": error,
            "notice": notice,
            "login_csrf": token,
            "next": safe_next(request.query_params.get("next"), _root(request)) or "",
        },
        status_code=status_code,
        lang=lang,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
        path=_root(request) or "/",
        max_age=3600,
    )
    return response


@router.get("/", include_in_schema=False)
def home(request: Request) -> Response:
    return RedirectResponse(f"{_root(request)}/overview", status_code=303)


@router.get("/login")
def login_form(request: Request, db: DbDep, lang: str | None = None) -> Response:
    """The login page (``?lang=en`` switches its language before anyone is logged in)."""
    if sessions.find_session(db, settings_of(request), request.cookies.get(SESSION_COOKIE)):
        target = safe_next(request.query_params.get("next"), _root(request))
        return RedirectResponse(target or f"{_root(request)}/overview", status_code=303)
    chosen = lang if lang in PAGE_LANGUAGES else None
    _ = gettext_for(chosen or language_of(request))
    notice = _("You are logged out.") if request.query_params.get("bye") else None
    response = _login_page(request, notice=notice, lang=chosen)
    if chosen is not None:
        response.set_cookie(LANG_COOKIE, chosen, samesite="lax", max_age=365 * 86400, path="/")
    return response


@router.post("/login")
def login(
    request: Request,
    db: DbDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",  # noqa: A002 - the form field's name
) -> Response:
    """Check the address and password (slowed down and locked after repeated failures)."""
    _ = gettext_for(language_of(request))
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not csrf or not expected or not secrets.compare_digest(csrf, expected):
        return _login_page(
            request,
            email=email,
            error=_(
                "The login form had expired, or your browser does not keep cookies for this "
                "site. Try again."
            ),
            status_code=403,
        )
    if not email.strip() or not password:
        return _login_page(
            request,
            email=email,
            error=_("Give your e-mail address and your password."),
            status_code=422,
        )
    result = staff.log_in(db, settings_of(request), email=email, password=password)
    if result.user is None:
        fmt = Format(language_of(request))
        if result.refusal is Refusal.locked and result.retry_after is not None:
            error = _(
                "Too many failed attempts. Logging in with this address is locked until {time}."
            ).format(time=fmt.time(result.retry_after))
            code = 429
        elif result.refusal is Refusal.wait and result.retry_after is not None:
            error = _("Wait a few seconds before you try again.")
            code = 429
        else:
            error = _("The e-mail address or the password is wrong.")
            code = 401
        return _login_page(request, email=email, error=error, status_code=code)
    secret, _row = sessions.start_session(db, result.user)
    target = safe_next(next, _root(request)) or f"{_root(request)}/overview"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path=_root(request) or "/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=_root(request) or "/")
    return response


@router.post("/logout")
def logout(request: Request, db: DbDep, visitor: AnyoneForm) -> Response:
    """End the session: its cookie stops working at once."""
    sessions.end_session(db, request.cookies.get(SESSION_COOKIE))
    staff.audit_logout(db, visitor.user)
    response = RedirectResponse(f"{_root(request)}/login?bye=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=_root(request) or "/")
    # the login page that follows speaks the person's language
    response.set_cookie(
        LANG_COOKIE, visitor.user.language, samesite="lax", max_age=365 * 86400, path="/"
    )
    return response


@router.post("/language")
def choose_language(
    request: Request,
    db: DbDep,
    visitor: AnyoneForm,
    language: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "",
) -> Response:
    """The account's page language."""
    if language in PAGE_LANGUAGES:
        staff.set_language(db, visitor.user, language)
    target = safe_next(back, _root(request)) or f"{_root(request)}/overview"
    return RedirectResponse(target, status_code=303)
