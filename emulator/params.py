"""Bot API request parameters: query string, form, multipart or JSON, read the way Telegram does.

python-telegram-bot posts ``application/x-www-form-urlencoded`` bodies whose nested objects
(``reply_markup``, ``commands``, ``allowed_updates``) are JSON strings and numbers are text;
other clients post JSON. ``Params`` turns either into typed values with Telegram's errors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.requests import Request


class ApiError(Exception):
    """A Bot API failure: ``{"ok": false, "error_code", "description"[, "parameters"]}``."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        data: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            data["parameters"] = self.parameters
        return data


def bad_request(message: str) -> ApiError:
    """``400 Bad Request: <message>``."""
    return ApiError(400, f"Bad Request: {message}")


@dataclass
class Upload:
    """A file posted in a multipart request."""

    content: bytes
    filename: str | None
    content_type: str | None


@dataclass
class Params:
    """The parameters of one Bot API call."""

    values: dict[str, Any]
    files: dict[str, Upload] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        """Whether the parameter was given (and not empty)."""
        value = self.values.get(name)
        return value is not None and value != ""

    def raw(self, name: str) -> Any:
        """The value as received."""
        return self.values.get(name)

    def text(self, name: str, *, required: str | None = None) -> str | None:
        """A text parameter; ``required`` is the error description when it is missing."""
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(required)
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else json.dumps(value)

    def integer(self, name: str, *, required: str | None = None) -> int | None:
        """An integer parameter."""
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(required)
            return None
        if isinstance(value, bool):
            return int(value)
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def number(self, name: str) -> float | None:
        """A number parameter."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        """A Boolean parameter (``true``/``false``/``1``/``0`` in forms)."""
        value = self.values.get(name)
        if isinstance(value, bool):
            return value
        if value is None:
            return False
        return str(value).strip().lower() in ("true", "1", "yes", "on")

    def obj(self, name: str, what: str) -> Any:
        """A nested object: a JSON string in forms, the object itself in JSON bodies."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {what} JSON object") from None
        return value


async def read_params(request: Request, max_upload_bytes: int) -> Params:
    """Collect parameters from the query string and the body, whatever its content type."""
    values: dict[str, Any] = dict(request.query_params)
    files: dict[str, Upload] = {}
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if request.method == "GET" or content_type == "":
        body = await request.body()
        if body.strip().startswith(b"{"):
            content_type = "application/json"
        else:
            return Params(values)
    if content_type == "application/json":
        body = await request.body()
        if body.strip():
            try:
                data = json.loads(body)
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if not isinstance(data, dict):
                raise bad_request("can't parse JSON object")
            values.update(data)
    elif content_type == "application/x-www-form-urlencoded":
        body = await request.body()
        values.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    elif content_type == "multipart/form-data":
        form = await request.form(max_part_size=max_upload_bytes)
        for key, item in form.multi_items():
            if isinstance(item, UploadFile):
                content = await item.read()
                if len(content) > max_upload_bytes:
                    raise ApiError(413, "Request Entity Too Large")
                files[key] = Upload(content, item.filename, item.content_type)
            else:
                values[key] = item
        await form.close()
    return Params(values, files)
