"""Request bodies within limits, checked before any route (or FastAPI's own parser) reads them.

- A body larger than its limit gets **413** without being read further: ``max_json_bytes`` for
  JSON (``application/json``, ``…+json``), ``max_upload_bytes`` for everything else (an import
  file). A ``Content-Length`` over the limit is refused before a byte is read; a body sent in
  chunks is refused as soon as it grows past the limit.
- A JSON body (also one without a content type that is JSON, as FastAPI reads those) nested
  deeper than ``max_json_depth``, or with a text holding a control character, gets **422**
  (``core.jsonl.loads``). A body that is not JSON at all is left to the route, which answers
  400 or 422 as documented.

Import files are checked line by line by the importer itself (``outcomes.importer``), so that
each bad line is named by its number.
"""

from __future__ import annotations

import json

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.jsonl import JsonLimitError, loads


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


class LimitBodies:
    """ASGI middleware: the limits above, for every HTTP request of the app it wraps."""

    def __init__(
        self, app: ASGIApp, *, max_json_bytes: int, max_upload_bytes: int, max_depth: int
    ) -> None:
        self.app = app
        self.max_json_bytes = max_json_bytes
        self.max_upload_bytes = max_upload_bytes
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        content_type = content_type.split(";")[0].strip().lower()
        as_json = _is_json(content_type)
        limit = self.max_json_bytes if as_json else self.max_upload_bytes
        what = "a JSON body" if as_json else "a file"
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            await _too_large(limit, what)(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(limit, what)(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        del chunks
        if (as_json or not content_type) and body and len(body) <= self.max_json_bytes:
            problem = self._json_problem(body)
            if problem is not None:
                await JSONResponse({"detail": problem}, status_code=422)(scope, receive, send)
                return
        await self.app(scope, _replay(body, receive), send)

    def _json_problem(self, body: bytes) -> str | None:
        """Why a JSON body is refused, or None (also None when it is not JSON: the route says)."""
        try:
            loads(body.decode("utf-8"), max_depth=self.max_depth)
        except JsonLimitError as exc:
            return f"the body is refused: {exc}; nothing was changed"
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None
        return None


def _too_large(limit: int, what: str) -> JSONResponse:
    return JSONResponse(
        {
            "detail": f"the body is larger than {limit} bytes, the limit for {what}; nothing was changed"
        },
        status_code=413,
        headers={"Connection": "close"},
    )


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the app the whole body at once, then waits as the real one."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
