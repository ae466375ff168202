"""API tokens: random secrets, stored only as SHA-256, verified, revoked."""

from __future__ import annotations

import hashlib

import pytest
from sqlmodel import Session, select

from outcomes import tokens
from outcomes.errors import Invalid, NotFound
from outcomes.models import ApiToken


def test_a_token_is_random_shown_once_and_stored_hashed(session: Session) -> None:
    row, secret = tokens.create_token(session, name="ada", role="admin", actor="cli")
    _, other = tokens.create_token(session, name="ada", role="admin", actor="cli")
    assert secret != other
    assert secret.startswith("stv_")
    assert len(secret) > 40
    stored = session.exec(select(ApiToken)).all()
    assert all(secret not in str(t.model_dump()) for t in stored)
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert "token_hash" not in tokens.token_public(row).model_dump()


def test_verify_and_revoke(session: Session) -> None:
    row, secret = tokens.create_token(session, name="bo", role="staff", actor="cli")
    assert tokens.verify_token(session, secret) is row
    assert row.last_used_at is not None
    assert tokens.verify_token(session, secret + "x") is None
    assert tokens.verify_token(session, "") is None
    tokens.revoke_token(session, row.id, actor="cli")
    assert tokens.verify_token(session, secret) is None
    with pytest.raises(NotFound):
        tokens.revoke_token(session, 99999, actor="cli")


@pytest.mark.parametrize(
    ("name", "role", "words"),
    [
        ("x", "root", "unknown role 'root'"),
        ("  ", "staff", "1 to 100 characters"),
        ("x" * 101, "staff", "1 to 100 characters"),
    ],
)
def test_bad_tokens_are_refused(session: Session, name: str, role: str, words: str) -> None:
    with pytest.raises(Invalid, match=words):
        tokens.create_token(session, name=name, role=role, actor="cli")
