"""Dependencies every route uses: the request's database session and who is calling.

* ``SessionDep`` — one session and one transaction per request: committed when the route returns,
  rolled back when it raises (before the answer is sent, so a failed commit is never a 200).
* ``CurrentStaff`` — the caller's API token (any role); 401 with ``WWW-Authenticate: Bearer``
  when the token is missing, unknown or revoked.
* Role gates (403 for a weaker role): ``AdminDep`` (admin: everything, tokens),
  ``StaffDep`` (admin, staff: reads and writes records), ``AnalystReader`` (admin, staff,
  analyst: indicators and exports). ``require_role(*roles)`` builds others.

A route names the caller in the audit log with ``actor(token)``. Lists take ``PagingDep``
(``limit`` 1–100, default 50; ``offset``) and ``FilterDep`` (``cohort``, ``participant``, ``from``,
``to``); paths name records with ``RecordId``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlmodel import Session

from core.vocab import Role
from outcomes.filters import RecordFilter
from outcomes.models import ID, ApiToken
from outcomes.schemas import IsoDay
from outcomes.tokens import verify_token

bearer = HTTPBearer(
    auto_error=False,
    description="An API token made with `stegvis token create --role ROLE --name NAME`.",
)
UNAUTHORIZED_HEADERS = {"WWW-Authenticate": "Bearer"}


def get_engine(request: Request) -> Engine:
    """The engine ``create_app`` put on the application."""
    engine: Engine = request.app.state.engine
    return engine


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    """One session per request: commit on success, roll back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        session.commit()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
EngineDep = Annotated[Engine, Depends(get_engine)]


def unauthorized(detail: str) -> HTTPException:
    """A 401 that tells the client to send a bearer token."""
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail, headers=UNAUTHORIZED_HEADERS)


def get_current_token(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> ApiToken:
    """The caller's live token, or 401."""
    if credentials is None:
        raise unauthorized("not authenticated: send 'Authorization: Bearer <token>'")
    token = verify_token(session, credentials.credentials)
    if token is None:
        raise unauthorized("the token is unknown or revoked")
    return token


CurrentStaff = Annotated[ApiToken, Depends(get_current_token)]


def require_role(*roles: Role) -> Callable[[ApiToken], ApiToken]:
    """A dependency letting through only tokens with one of ``roles`` (else 403)."""
    allowed = frozenset(r.value for r in roles)
    names = " or ".join(sorted(allowed))

    def check_role(token: CurrentStaff) -> ApiToken:
        if token.role not in allowed:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"this needs a token with the role {names}; yours is {token.role}",
            )
        return token

    return check_role


AdminDep = Annotated[ApiToken, Depends(require_role(Role.admin))]
StaffDep = Annotated[ApiToken, Depends(require_role(Role.admin, Role.staff))]
AnalystReader = Annotated[ApiToken, Depends(require_role(Role.admin, Role.staff, Role.analyst))]


def actor(token: ApiToken) -> str:
    """How the audit log names the caller: the token's name."""
    return token.name


# --- parameters shared by the routes ---------------------------------------------------------

ID_PATTERN = r"^[A-Za-z0-9_.:\-]+$"
RecordId = Annotated[
    str, Path(min_length=1, max_length=ID, pattern=ID_PATTERN, description="The record's id")
]
IdQuery = Annotated[str | None, Query(min_length=1, max_length=ID, pattern=ID_PATTERN)]
MAX_LIMIT = 100
MAX_OFFSET = 1_000_000_000


@dataclass(frozen=True)
class Paging:
    """Which page of a list: at most ``limit`` records after skipping ``offset``."""

    limit: int
    offset: int


def get_paging(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Records per page (≤ 100)")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Records to skip")] = 0,
) -> Paging:
    """``limit`` and ``offset`` of a list (422 when ``limit`` > 100)."""
    return Paging(limit=limit, offset=offset)


PagingDep = Annotated[Paging, Depends(get_paging)]


def get_filter(
    cohort: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=ID,
            pattern=ID_PATTERN,
            description="Only records of this cohort",
        ),
    ] = None,
    participant: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=ID,
            pattern=ID_PATTERN,
            description="Only records of this participant",
        ),
    ] = None,
    date_from: Annotated[
        IsoDay | None, Query(alias="from", description="From this day (included), YYYY-MM-DD")
    ] = None,
    date_to: Annotated[
        IsoDay | None, Query(alias="to", description="To this day (included), YYYY-MM-DD")
    ] = None,
) -> RecordFilter:
    """The list filters every resource shares (see ``outcomes/filters.py`` for their meaning)."""
    return RecordFilter(
        cohort=cohort, participant=participant, date_from=date_from, date_to=date_to
    )


FilterDep = Annotated[RecordFilter, Depends(get_filter)]


async def knowledge_warmed(request: Request) -> None:
    """Wait for the knowledge base's start-up warm-up when it still runs (``api/main.py``).

    The first search after a start then uses what the warm-up loaded instead of loading it a
    second time beside it; a failed warm-up lets the search try on its own.
    """
    state = request.app.state
    task: asyncio.Task[None] | None = getattr(state, "knowledge_warming", None)
    if task is not None and not task.done():
        state.knowledge_waiting = getattr(state, "knowledge_waiting", 0) + 1  # searches held
        try:
            await asyncio.wait({task})  # not cancelled with this request: the warm-up is shared
        finally:
            state.knowledge_waiting -= 1


KnowledgeWarmed = Annotated[None, Depends(knowledge_warmed)]
