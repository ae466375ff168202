"""Invites through the staff API: two links, statuses without tokens, revocation, roles."""

from __future__ import annotations

from fastapi import FastAPI
from sqlmodel import Session, select

from api.routes import invites as invite_routes
from outcomes.contacts import Invite, PersonRole
from outcomes.invites import redeem
from tests.utils.pairs import make_pair


def _client_app(app: FastAPI) -> FastAPI:
    if not any(getattr(r, "path", "").endswith("/invites") for r in app.routes):
        app.include_router(invite_routes.router, prefix="/api/v1")  # until api/main lists it
    return app


def test_two_links_then_statuses(app, client, staff, db, settings):
    _client_app(app)
    pair = make_pair(db)
    made = client.post(f"/api/v1/pairs/{pair.pair}/invites", headers=staff, json={"ttl_days": 7})
    assert made.status_code == 201, made.text
    body = made.json()
    assert set(body) == {"mentor", "participant"}
    token = body["participant"]["token"]
    assert body["participant"]["link"] == f"https://t.me/{settings.bot_username}?start={token}"
    with Session(db) as s:
        redeem(s, settings, token=token, user_id=7, chat_id=7, language="sv")
        s.commit()
    listed = client.get(f"/api/v1/pairs/{pair.pair}/invites", headers=staff)
    assert listed.status_code == 200
    statuses = {i["role"]: i["status"] for i in listed.json()}
    assert statuses == {"mentor": "active", "participant": "used"}
    assert token not in listed.text
    revoked = client.delete(
        f"/api/v1/pairs/{pair.pair}/invites", headers=staff, params={"role": "mentor"}
    )
    assert revoked.json() == {"revoked": 1}
    with Session(db) as s:
        assert all(
            i.revoked_at is not None
            for i in s.exec(select(Invite).where(Invite.role == PersonRole.mentor))
        )


def test_unknown_pair_bad_body_and_weak_roles(app, client, staff, analyst, db):
    _client_app(app)
    pair = make_pair(db)
    assert client.post("/api/v1/pairs/nope/invites", headers=staff).status_code == 404
    assert (
        client.post(
            f"/api/v1/pairs/{pair.pair}/invites", headers=staff, json={"ttl_days": 0}
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"/api/v1/pairs/{pair.pair}/invites", headers=staff, json={"token": "mine"}
        ).status_code
        == 422
    )
    assert client.post(f"/api/v1/pairs/{pair.pair}/invites", headers=analyst).status_code == 403
    assert client.get(f"/api/v1/pairs/{pair.pair}/invites").status_code == 401
