"""Schemathesis against the app's own OpenAPI schema, with and without a token.

Property: no answer is a 5xx, answers match the documented schemas, and no route under /api
accepts a missing or wrong token. Bounded (few examples per operation, no shrinking) so that it
stays well under a minute.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_schema_conformance,
)
from sqlmodel import Session

from outcomes.importer import import_jsonl
from tests.api.conftest import bearer
from tests.utils.factories import small_program

BOUNDED = settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, ignored_auth]


@pytest.fixture
def api_schema(app, db):
    """The app's schema over ASGI, on a database holding a small round (so reads can succeed)."""
    with Session(db) as session:
        import_jsonl(session, small_program(), actor="test")
        session.commit()
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@BOUNDED
def test_with_an_admin_token(case, tokens) -> None:
    case.call_and_validate(headers=bearer(tokens["admin"]), checks=CHECKS)


@schema.parametrize()
@BOUNDED
def test_without_a_valid_token(case, tokens) -> None:
    for headers in ({}, bearer("stv_wrong"), bearer(tokens["admin"] + "x")):
        response = case.call(headers=headers)
        assert response.status_code < 500, response.text
        if case.path.startswith("/api/"):
            assert response.status_code == 401, (case.path, response.status_code, response.text)
