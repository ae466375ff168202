"""``stegvis staff add | list | disable | enable | reset-password``: accounts for the staff pages.

    stegvis staff add anna@example.org --role staff --language sv   # asks the password twice
    printf '%s\\n' "$PASSWORD" | stegvis staff add ops@example.org --role admin   # from stdin
    stegvis staff list [--json]
    stegvis staff disable anna@example.org       # her open sessions end at once
    stegvis staff reset-password anna@example.org

The password is read from standard input when that is not a terminal (one line), else asked twice
without echo. The functions are those of ``outcomes/staff.py``, which the admin's pages call too.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Annotated

import typer

from core.vocab import STAFF_LANGUAGES, STAFF_MIN_PASSWORD, Role
from stegvis.commands.common import CLI_ACTOR, fail

staff_app = typer.Typer(
    help="Accounts for the staff pages (/staff): add, list, disable, enable, reset-password.",
    no_args_is_help=True,
)

EmailArg = Annotated[str, typer.Argument(help="The person's e-mail address (the login name)")]


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def read_password(email: str) -> str:
    """The new password: one line of standard input, or asked twice at a terminal."""
    if not stdin_is_terminal():
        line = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
        if not line:
            fail("no password on standard input (give it as one line)", 2)
        return line
    typed: str = typer.prompt(
        f"New password for {email} (at least {STAFF_MIN_PASSWORD} characters)",
        hide_input=True,
        confirmation_prompt="Once more",
    )
    return typed


@staff_app.command("add")
def staff_add(
    email: EmailArg,
    role: Annotated[str, typer.Option("--role", help=f"{' | '.join(Role)}")],
    language: Annotated[
        str,
        typer.Option("--language", help=f"The pages' language: {' | '.join(STAFF_LANGUAGES)}"),
    ] = "sv",
) -> None:
    """Create an account for the staff pages."""
    from outcomes import staff
    from stegvis.commands.database import transaction

    if role not in tuple(Role):
        fail(f"unknown role {role!r}; expected one of {', '.join(Role)}", 2)
    if language not in STAFF_LANGUAGES:
        fail(f"unknown language {language!r}; expected one of {', '.join(STAFF_LANGUAGES)}", 2)
    password = read_password(email)
    with transaction() as session:
        user = staff.add_staff(
            session, email=email, role=role, password=password, actor=CLI_ACTOR, language=language
        )
    typer.echo(f"added {user.email} ({user.role}, {user.language})")


@staff_app.command("list")
def staff_list(
    as_json: Annotated[
        bool, typer.Option("--json", help="Machine-readable JSON on stdout")
    ] = False,
) -> None:
    """Every account (never a password)."""
    from outcomes import staff
    from stegvis.commands.database import transaction

    with transaction() as session:
        users = staff.list_staff(session)
        rows = [
            {
                "email": u.email,
                "role": u.role,
                "language": u.language,
                "created_at": u.created_at.isoformat(),
                "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None,
                "disabled_at": u.disabled_at.isoformat() if u.disabled_at else None,
            }
            for u in users
        ]
    if as_json:
        typer.echo(json.dumps(rows))
        return

    def when(value: str | None) -> str:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M") if value else "–"

    typer.echo(f"{'e-mail':<40} {'role':<8} {'lang':<5} {'last login':<17} disabled")
    for r in rows:
        typer.echo(
            f"{str(r['email'])[:40]:<40} {r['role']:<8} {r['language']:<5} "
            f"{when(r['last_login_at']):<17} {when(r['disabled_at'])}"
        )


@staff_app.command("disable")
def staff_disable(email: EmailArg) -> None:
    """Disable an account: no more logins, and its open sessions stop at once."""
    from outcomes import staff
    from stegvis.commands.database import transaction

    with transaction() as session:
        user = staff.disable_staff(session, email=email, actor=CLI_ACTOR)
    typer.echo(f"disabled {user.email}")


@staff_app.command("enable")
def staff_enable(email: EmailArg) -> None:
    """Let a disabled account log in again."""
    from outcomes import staff
    from stegvis.commands.database import transaction

    with transaction() as session:
        user = staff.enable_staff(session, email=email, actor=CLI_ACTOR)
    typer.echo(f"enabled {user.email}")


@staff_app.command("reset-password")
def staff_reset_password(email: EmailArg) -> None:
    """Set a new password; the account's open sessions end."""
    from outcomes import staff
    from stegvis.commands.database import transaction

    with transaction() as session:
        staff.get_staff(session, email)  # a plain error before asking for a password
    password = read_password(email)
    with transaction() as session:
        user = staff.reset_password(session, email=email, password=password, actor=CLI_ACTOR)
    typer.echo(f"new password set for {user.email}; their sessions were ended")
