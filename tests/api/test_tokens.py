"""Token management: admin only, the secret shown once, stored as SHA-256, revocable."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from outcomes.models import ApiToken, AuditLog
from tests.api.conftest import bearer


def test_create_use_list_and_revoke_a_token(client: TestClient, admin, db) -> None:
    created = client.post(
        "/api/v1/tokens", json={"name": "Funder report", "role": "analyst"}, headers=admin
    )
    assert created.status_code == 201, created.text
    body = created.json()
    secret = body["token"]
    assert body["role"] == "analyst"
    assert body["name"] == "Funder report"
    assert len(secret) >= 40
    # stored only as its SHA-256
    with Session(db) as session:
        row = session.get(ApiToken, body["id"])
        assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in str(row.model_dump())
    # it works for its role only
    assert client.get("/api/v1/indicators", headers=bearer(secret)).status_code == 200
    assert client.get("/api/v1/cohorts", headers=bearer(secret)).status_code == 403
    # the list never shows a secret
    listed = client.get("/api/v1/tokens", headers=admin)
    assert listed.status_code == 200
    assert secret not in listed.text
    assert "token_hash" not in listed.text
    assert [t["name"] for t in listed.json()][0] == "Funder report"
    # revoke: it stops working at once, and the list says so
    revoked = client.delete(f"/api/v1/tokens/{body['id']}", headers=admin)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert client.get("/api/v1/indicators", headers=bearer(secret)).status_code == 401
    again = client.delete(f"/api/v1/tokens/{body['id']}", headers=admin)
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    with Session(db) as session:
        actions = session.exec(
            select(AuditLog.action)
            .where(AuditLog.table_name == "apitoken", AuditLog.record_id == str(body["id"]))
            .order_by(AuditLog.id)
        ).all()
        assert actions == ["create", "revoke"]


def test_bad_token_requests(client: TestClient, admin) -> None:
    assert (
        client.post("/api/v1/tokens", json={"name": "x", "role": "root"}, headers=admin).status_code
        == 422
    )
    assert (
        client.post("/api/v1/tokens", json={"name": "", "role": "staff"}, headers=admin).status_code
        == 422
    )
    assert (
        client.post(
            "/api/v1/tokens", json={"name": "x", "role": "staff", "token": "mine"}, headers=admin
        ).status_code
        == 422
    )
    missing = client.delete("/api/v1/tokens/4242", headers=admin)
    assert missing.status_code == 404
    assert "4242" in missing.json()["detail"]


def test_audit_log_lists_changes_newest_first(client: TestClient, admin, staff) -> None:
    client.post(
        "/api/v1/cohorts",
        json={"id": "c1", "name": "R1", "start": "2025-01-01", "end": "2025-12-31"},
        headers=staff,
    )
    client.patch("/api/v1/cohorts/c1", json={"name": "R1b"}, headers=admin)
    page = client.get("/api/v1/audit", params={"table": "cohort", "record": "c1"}, headers=admin)
    assert page.status_code == 200
    entries = page.json()["items"]
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("update", "admin-1"),
        ("create", "staff-1"),
    ]
    assert entries[0]["before"]["name"] == "R1"
    assert entries[0]["after"]["name"] == "R1b"
