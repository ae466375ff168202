"""Error answers: domain errors to HTTP statuses, one documented JSON shape for every error.

Every error has ``detail``: a message for a person (a list of field errors for FastAPI's own
request validation), and an import with bad lines adds ``errors``: ``[{line, reason}]``.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, IntegrityError

from outcomes.errors import Conflict, DomainError, Invalid, NotFound
from outcomes.importer import ImportRejected

STATUS: dict[type[DomainError], int] = {NotFound: 404, Conflict: 409, Invalid: 422}


class BadLine(BaseModel):
    line: int
    reason: str


class ApiError(BaseModel):
    """The body of every error answer."""

    detail: str | list[dict[str, Any]]
    errors: list[BadLine] | None = None


def _doc(text: str) -> dict[str, Any]:
    return {"model": ApiError, "description": text}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _doc("The body cannot be read: not UTF-8, or not the JSON the route expects"),
    401: _doc("No valid token (send `Authorization: Bearer <token>`)"),
    403: _doc("The token's role may not do this"),
    404: _doc("A record named in the request does not exist"),
    409: _doc("The record exists already, or the change conflicts with stored records"),
    413: _doc(
        "The body is larger than the limit (`STEGVIS_MAX_JSON_BYTES` for JSON bodies, "
        "`STEGVIS_MAX_UPLOAD_BYTES` for files)"
    ),
    422: _doc(
        "The request breaks a rule: `detail` says which (and `errors` lists bad lines); also a "
        "JSON body nested too deep or holding control characters"
    ),
}
"""Documented on every route under /api (the include in ``api/main.py`` adds them)."""


ECHO_DEPTH = 8
"""How deep an error answer shows the input it refuses; deeper parts are written "…"."""


def _json_safe(value: Any, max_depth: int = ECHO_DEPTH) -> Any:
    """A copy of ``value`` that the error answer can carry: the floats JSON cannot (NaN,
    ±Infinity: Python's parser accepts them in a request body) as text, and anything nested
    deeper than ``max_depth`` as "…". No recursion, so no input is too deep for it."""
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any, int]] = [(value, root, 0, 0)]
    while stack:
        node, parent, key, depth = stack.pop()
        if isinstance(node, float) and not math.isfinite(node):
            parent[key] = str(node)
        elif isinstance(node, dict | list | tuple):
            if depth >= max_depth:
                parent[key] = "…"
                continue
            if isinstance(node, dict):
                copy: Any = dict.fromkeys(node)
                stack.extend((v, copy, k, depth + 1) for k, v in node.items())
            else:
                copy = [None] * len(node)
                stack.extend((v, copy, i, depth + 1) for i, v in enumerate(node))
            parent[key] = copy
        else:
            parent[key] = node
    return root[0]


def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": jsonable_encoder(_json_safe(exc.errors()))}, status_code=422)


def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    code = next((c for t, c in STATUS.items() if isinstance(exc, t)), 422)
    return JSONResponse({"detail": str(exc)}, status_code=code)


def _import_rejected(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ImportRejected)
    return JSONResponse(
        {"detail": str(exc), "errors": [{"line": e.line, "reason": e.reason} for e in exc.errors]},
        status_code=422,
    )


def _integrity_error(_request: Request, _exc: Exception) -> JSONResponse:
    return JSONResponse(
        {
            "detail": "the change conflicts with stored records (a duplicate, or a reference that "
            "does not exist); nothing was changed"
        },
        status_code=409,
    )


def _data_error(_request: Request, _exc: Exception) -> JSONResponse:
    return JSONResponse(
        {
            "detail": "a value cannot be stored (out of range, or a text with a NUL "
            "character); nothing was changed"
        },
        status_code=422,
    )


def install(app: FastAPI) -> None:
    """Register the handlers that turn domain and database errors into clear answers."""
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ImportRejected, _import_rejected)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(DataError, _data_error)
