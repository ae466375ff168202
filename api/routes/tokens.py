"""Staff API tokens: create (the secret is shown once), list, revoke. Admin only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from api.deps import AdminDep, SessionDep, actor
from outcomes import tokens
from outcomes.schemas import ApiTokenCreate, ApiTokenCreated, ApiTokenPublic

router = APIRouter(prefix="/tokens", tags=["tokens"])
TokenId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The token's id")]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_token(body: ApiTokenCreate, session: SessionDep, admin: AdminDep) -> ApiTokenCreated:
    """Create a token; its secret is in this answer and nowhere else (only its hash is stored)."""
    row, secret = tokens.create_token(session, name=body.name, role=body.role, actor=actor(admin))
    return ApiTokenCreated(**tokens.token_public(row).model_dump(), token=secret)


@router.get("")
def list_tokens(session: SessionDep, _: AdminDep) -> list[ApiTokenPublic]:
    """Every token, newest first, without secrets."""
    return [tokens.token_public(r) for r in tokens.list_tokens(session)]


@router.delete("/{token_id}")
def revoke_token(token_id: TokenId, session: SessionDep, admin: AdminDep) -> ApiTokenPublic:
    """Revoke a token: it stops working at once."""
    return tokens.token_public(tokens.revoke_token(session, token_id, actor=actor(admin)))
