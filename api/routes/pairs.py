"""Pairs (a mentor and a participant matched for a round): create, read, update, list. Staff, admin."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel
from sqlmodel import col

from api.deps import FilterDep, IdQuery, PagingDep, RecordId, SessionDep, StaffDep, actor
from outcomes import service
from outcomes.filters import clauses
from outcomes.health import Flag, Sort, pair_health
from outcomes.models import Pair
from outcomes.schemas import Page, PairCreate, PairPublic, PairUpdate

router = APIRouter(prefix="/pairs", tags=["pairs"])


def _public(row: Pair) -> PairPublic:
    return PairPublic.model_validate(row, from_attributes=True)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_pair(body: PairCreate, session: SessionDep, token: StaffDep) -> PairPublic:
    """Create a pair (409 when the id exists)."""
    return _public(service.create_record(session, Pair, body, actor=actor(token)))


class PairHealthPublic(BaseModel):
    """A pair's health: its flags, last meeting, last check-in answered, steps so far."""

    pair: str
    flags: list[Flag]
    last_meeting: date | None
    last_checkin_answered: date | None
    steps: int
    cohort: str
    mentor: str
    participant: str
    matched_on: date
    ended_on: date | None


@router.get("/health")
def pairs_health(
    session: SessionDep,
    _: StaffDep,
    paging: PagingDep,
    cohort: IdQuery = None,
    flag: Annotated[Flag | None, Query(description="Only pairs with this flag")] = None,
    sort: Annotated[Sort, Query(description="flags: the most flagged first")] = "flags",
    order: Annotated[Literal["asc", "desc"] | None, Query()] = None,
) -> Page[PairHealthPublic]:
    """Every pair with its health flags (``no_meeting_45d``, ``checkins_unanswered``,
    ``blocked``, ``ended``), as the staff pages show them."""
    items, total = pair_health(
        session,
        cohort=cohort,
        flag=flag,
        sort=sort,
        descending=None if order is None else order == "desc",
        limit=paging.limit,
        offset=paging.offset,
    )
    rows: list[Any] = [PairHealthPublic(**i.as_dict()) for i in items]
    return Page(items=rows, total=total, limit=paging.limit, offset=paging.offset)


@router.get("/{pair_id}")
def read_pair(pair_id: RecordId, session: SessionDep, _: StaffDep) -> PairPublic:
    """One pair."""
    return _public(service.get(session, Pair, pair_id))


@router.patch("/{pair_id}")
def update_pair(
    pair_id: RecordId, body: PairUpdate, session: SessionDep, token: StaffDep
) -> PairPublic:
    """Change the fields given; the earlier version goes to the audit log."""
    return _public(service.update_record(session, Pair, pair_id, body, actor=actor(token)))


@router.get("")
def list_pairs(
    session: SessionDep, _: StaffDep, paging: PagingDep, filters: FilterDep
) -> Page[PairPublic]:
    """Pairs by id; ``from``/``to`` apply to ``matched_on``."""
    rows, total = service.list_page(
        session,
        Pair,
        filters=clauses(Pair, filters),
        limit=paging.limit,
        offset=paging.offset,
        order_by=col(Pair.id),
    )
    return Page(
        items=[_public(r) for r in rows], total=total, limit=paging.limit, offset=paging.offset
    )
