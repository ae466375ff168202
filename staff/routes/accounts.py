"""Accounts of the staff pages, for administrators: add, disable, enable, set a new password.

The same functions as ``stegvis staff …`` (``outcomes/staff.py``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from core.vocab import STAFF_LANGUAGES, Role
from outcomes import staff
from outcomes.errors import DomainError
from outcomes.staff import PasswordRejected, actor_of
from outcomes.staff_models import StaffUser
from staff.deps import AdminForm, AdminOnly, DbDep, Visitor
from staff.forms import FormErrors
from staff.templating import gettext_for, render

router = APIRouter()


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _page(
    request: Request,
    db: Session,
    visitor: Visitor,
    *,
    form: str | None = None,
    errors: FormErrors | None = None,
    typed: dict[str, str] | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "accounts.html",
        {
            "accounts": staff.list_staff(db),
            "roles": [r.value for r in Role],
            "form": form,
            "errors": errors or FormErrors(),
            "typed": typed or {},
            "done": done,
            "min_password": staff.MIN_PASSWORD,
        },
        visitor=visitor,
        status_code=status_code,
    )


@router.get("/accounts")
def accounts_page(
    request: Request, db: DbDep, visitor: AdminOnly, done: str | None = None
) -> Response:
    """Every account, and a form for a new one."""
    return _page(request, db, visitor, done=done)


def _password_errors(errors: FormErrors, password: str, again: str, email: str, _: Any) -> None:
    if not password:
        errors.add("password", _("Give a password."))
        return
    try:
        staff.check_password(password, email=email)
    except PasswordRejected:
        if len(password) < staff.MIN_PASSWORD:
            errors.add(
                "password",
                _("The password needs at least {n} characters.").format(n=staff.MIN_PASSWORD),
            )
        elif len(password) > staff.MAX_PASSWORD:
            errors.add("password", _("The password is too long."))
        else:
            errors.add(
                "password",
                _(
                    "This password is too common or contains the address; choose a longer, less usual one."
                ),
            )
    if again != password:
        errors.add("password_again", _("The two passwords are not the same."))


@router.post("/accounts")
def add_account(
    request: Request,
    db: DbDep,
    visitor: AdminForm,
    email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "sv",
    password: Annotated[str, Form()] = "",
    password_again: Annotated[str, Form()] = "",
) -> Response:
    """Add an account; the passwords are never shown again, not even after an error."""
    _ = gettext_for(visitor.user.language)
    typed = {"email": email, "role": role, "language": language}
    errors = FormErrors()
    try:
        address = staff.check_email(email)
    except DomainError:
        address = ""
        errors.add("email", _("Give an e-mail address such as anna@example.org."))
    if role not in {r.value for r in Role}:
        errors.add("role", _("Choose a role."))
    if language not in STAFF_LANGUAGES:
        errors.add("language", _("Choose a language."))
    _password_errors(errors, password, password_again, address or email, _)
    if address and staff.find_staff(db, address) is not None:
        errors.add("email", _("This address has an account already."))
    if not errors:
        try:
            staff.add_staff(
                db,
                email=address,
                role=role,
                password=password,
                actor=actor_of(visitor.user),
                language=language,
            )
        except DomainError as exc:
            errors.add("_form", str(exc))
    if errors:
        db.rollback()
        return _page(request, db, visitor, form="add", errors=errors, typed=typed, status_code=422)
    return RedirectResponse(f"{_root(request)}/accounts?done=added:{address}", status_code=303)


def _account(db: Session, account_id: int) -> StaffUser:
    user = db.get(StaffUser, account_id)
    if user is None:
        from outcomes.errors import NotFound

        raise NotFound(f"account {account_id} does not exist")
    return user


@router.post("/accounts/{account_id}/disable")
def disable_account(request: Request, db: DbDep, visitor: AdminForm, account_id: int) -> Response:
    """Disable an account: its sessions stop at once."""
    user = _account(db, account_id)
    if user.id == visitor.user.id:
        _ = gettext_for(visitor.user.language)
        errors = FormErrors()
        errors.add("_form", _("You cannot disable your own account."))
        return _page(request, db, visitor, form=f"row-{account_id}", errors=errors, status_code=422)
    staff.disable_staff(db, email=user.email, actor=actor_of(visitor.user))
    return RedirectResponse(
        f"{_root(request)}/accounts?done=disabled:{user.email}", status_code=303
    )


@router.post("/accounts/{account_id}/enable")
def enable_account(request: Request, db: DbDep, visitor: AdminForm, account_id: int) -> Response:
    user = _account(db, account_id)
    staff.enable_staff(db, email=user.email, actor=actor_of(visitor.user))
    return RedirectResponse(f"{_root(request)}/accounts?done=enabled:{user.email}", status_code=303)


@router.post("/accounts/{account_id}/password")
def reset_password(
    request: Request,
    db: DbDep,
    visitor: AdminForm,
    account_id: int,
    password: Annotated[str, Form()] = "",
    password_again: Annotated[str, Form()] = "",
) -> Response:
    """A new password for an account; its sessions end."""
    _ = gettext_for(visitor.user.language)
    user = _account(db, account_id)
    errors = FormErrors()
    _password_errors(errors, password, password_again, user.email, _)
    if errors:
        return _page(request, db, visitor, form=f"row-{account_id}", errors=errors, status_code=422)
    staff.reset_password(db, email=user.email, password=password, actor=actor_of(visitor.user))
    return RedirectResponse(
        f"{_root(request)}/accounts?done=password:{user.email}", status_code=303
    )
