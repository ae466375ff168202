"""HTTP front of the Bot API: ``/bot<token>/<method>`` and ``/file/bot<token>/<file_path>``.

Order of a call, as Telegram: a malformed token is 404, an unknown one 401 ``Unauthorized``,
an unknown method 404 ``Not Found``; then injected faults (delay, 5xx, dropped connection),
the method itself with its 400/403/409/429 errors, and faults meant for *after* the method.
"""

from __future__ import annotations

import asyncio
import logging
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from emulator.config import TOKEN_PATTERN, FaultRule
from emulator.methods import METHODS, Answer, Call
from emulator.params import ApiError, read_params

if TYPE_CHECKING:
    from emulator.core import Emulator

_UVICORN_INCOMPLETE = "ASGI callable returned without completing response."


def error_response(error: ApiError) -> JSONResponse:
    """Telegram's error shape with the matching HTTP status."""
    return JSONResponse(error.body(), status_code=error.code)


class DroppedResponse(Response):
    """Promise a body, send one byte, stop: the client sees the connection drop mid-answer."""

    def __init__(self, emulator: Emulator) -> None:
        super().__init__()
        self._emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._emulator.intentional_drops += 1
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
            }
        )
        try:
            await send({"type": "http.response.body", "body": b"{", "more_body": False})
        except RuntimeError:  # the server refuses to finish a short body and closes instead
            return


class QuietDrops(logging.Filter):
    """Hide the server's complaint about a connection the emulator dropped on purpose."""

    def __init__(self, emulator: Emulator) -> None:
        super().__init__()
        self._emulator = emulator

    def filter(self, record: logging.LogRecord) -> bool:
        """Drop one "returned without completing response" record per intentional drop."""
        if self._emulator.intentional_drops > 0 and record.getMessage() == _UVICORN_INCOMPLETE:
            self._emulator.intentional_drops -= 1
            return False
        return True


def _fault_response(emulator: Emulator, rule: FaultRule) -> Response:
    if rule.kind == "drop":
        return DroppedResponse(emulator)
    phrase = HTTPStatus(rule.status).phrase if rule.status in HTTPStatus._value2member_map_ else ""
    return error_response(ApiError(rule.status, phrase or "Internal Server Error"))


def build_bot_api_routes(emulator: Emulator) -> list[Route]:
    """The Bot API and file download routes of ``emulator``."""

    async def call_method(request: Request) -> Response:
        token = request.path_params["token"]
        if not TOKEN_PATTERN.fullmatch(token):
            return error_response(ApiError(404, "Not Found"))
        bot = emulator.state.bot_by_token(token)
        if bot is None:
            return error_response(ApiError(401, "Unauthorized"))
        name = request.path_params["method"].lower()
        found = METHODS.get(name)
        if found is None:
            return error_response(ApiError(404, "Not Found"))
        canonical, handler = found
        with emulator.state.lock:
            emulator.state.stats.methods[canonical] += 1
        for rule in emulator.faults.pick(name, after=False):
            if rule.kind == "delay":
                await asyncio.sleep(rule.delay_ms / 1000)
            else:
                return _fault_response(emulator, rule)
        try:
            params = await read_params(request, emulator.config.max_upload_bytes)
            result: Any = await handler(Call(emulator, bot, params))
        except ApiError as error:
            return error_response(error)
        for rule in emulator.faults.pick(name, after=True):
            return _fault_response(emulator, rule)
        body: dict[str, Any] = {"ok": True}
        if isinstance(result, Answer):
            body["result"] = result.result
            if result.description:
                body["description"] = result.description
        else:
            body["result"] = result
        return JSONResponse(body)

    async def download(request: Request) -> Response:
        token = request.path_params["token"]
        if not TOKEN_PATTERN.fullmatch(token) or emulator.state.bot_by_token(token) is None:
            return error_response(ApiError(404, "Not Found"))
        stored = emulator.state.file_by_path(request.path_params["path"])
        if stored is None:
            return error_response(ApiError(404, "Not Found"))
        return Response(stored.content, media_type=stored.mime_type or "application/octet-stream")

    return [
        Route("/bot{token}/{method}", call_method, methods=["GET", "POST"]),
        Route("/file/bot{token}/{path:path}", download, methods=["GET"]),
    ]
