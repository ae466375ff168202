"""``POST /api/v1/imports``: a JSON Lines file in the spec's format, all or nothing. Staff, admin.

The body is the file itself (``text/plain``, ``application/x-ndjson`` or ``application/jsonl``)
or a multipart form with the file in the field ``file``. The answer is 200 with what was created,
updated and left unchanged per kind (and ``warnings``: lines imported that look wrong), or 422
with every bad line (``{line, reason}``; bytes that are not UTF-8 too) and nothing written. A file
larger than ``STEGVIS_MAX_UPLOAD_BYTES`` is refused with 413 before it is read (``api/limits.py``).
The command ``stegvis import FILE`` runs the same importer.
"""

from __future__ import annotations

import io
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.deps import SessionDep, StaffDep, actor
from outcomes.errors import Invalid
from outcomes.importer import import_jsonl

router = APIRouter(prefix="/imports", tags=["imports"])

FILE_TYPES = ("text/plain", "application/x-ndjson", "application/jsonl")
_LINES = {"type": "string", "description": "JSON Lines: one record per line with its `kind`"}
OPENAPI_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            **{t: {"schema": _LINES} for t in FILE_TYPES},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                },
            },
        },
    },
}


async def _file_text(request: Request) -> str:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        data = await upload.read() if isinstance(upload, UploadFile) else (upload or "")
        if not isinstance(upload, UploadFile | str):
            raise Invalid("the multipart form needs the JSON Lines file in the field 'file'")
    elif content_type in FILE_TYPES or content_type == "":
        data = await request.body()
    else:
        raise Invalid(
            f"send the file as {', '.join(FILE_TYPES)} or multipart/form-data (not {content_type})"
        )
    if isinstance(data, str):
        return data
    # a byte that is not UTF-8 stays in its line, for the importer to name the line
    return data.decode("utf-8-sig", errors="surrogateescape")


class ImportWarning(BaseModel):
    """A line that was imported but looks wrong (an event outside the program window)."""

    line: int
    reason: str


class ImportSummary(BaseModel):
    """What the import did per kind: records created, updated and unchanged; and warnings."""

    lines: int
    created: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]
    warnings: list[ImportWarning] = []


@router.post("", openapi_extra=OPENAPI_BODY)
async def import_file(request: Request, session: SessionDep, token: StaffDep) -> ImportSummary:
    """Import a JSON Lines file: every line checked first, then all written in one transaction."""
    text = await _file_text(request)
    # the same line splitting as reading the file from disk (universal newlines)
    lines = io.StringIO(text, newline=None)
    limits = request.app.state.settings.json_limits
    report = await run_in_threadpool(
        import_jsonl, session, lines, actor=actor(token), limits=limits
    )
    return ImportSummary(**report.as_dict())
