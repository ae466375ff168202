"""Reading JSON input safely: ``loads`` for every request body and import line, and JSON Lines
files (questions, messages, labelled evaluation sets).

``loads`` is ``json.loads`` with the limits every input shares: no nesting deeper than
``max_depth`` (Python's parser would recurse until ``RecursionError``, and so would everything
that walks the result), and no text holding a control character other than tab and line breaks,
or half of a surrogate pair (PostgreSQL refuses NUL in text, and neither database can store a
lone surrogate). Either raises ``JsonLimitError`` with a message for a person.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class JsonlError(ValueError):
    """A JSON Lines file that cannot be used; the message names the file and the bad line."""


class JsonLimitError(ValueError):
    """JSON nested too deep, or a text in it holding a character no record may hold."""


@dataclass(frozen=True)
class JsonLimits:
    """The limits of one JSON value (a request body, an import line)."""

    max_depth: int = 32
    max_line_chars: int = 65_536  # an import line


BAD_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
"""Control characters but tab, line feed and carriage return; and lone surrogates."""
_MAYBE_BAD = re.compile(r"[\x7f-\x9f\ud800-\udfff]|\\(?:u00[0189]|u007[fF]|u[dD][89a-fA-F]|[bf])")
"""In the JSON text: a bad character written as it is, or as an escape (a quick first look)."""


def loads(text: str, *, max_depth: int = JsonLimits.max_depth) -> Any:
    """``json.loads(text)`` within the limits (see the module docstring).

    Raises ``json.JSONDecodeError`` for text that is not JSON and ``JsonLimitError`` beyond a
    limit. The walk over the result, which has no recursion, is skipped when the text cannot
    break a limit (few brackets, no escapes of control characters): a plain import line costs
    three string scans in C more than ``json.loads``.
    """
    try:
        value = json.loads(text)
    except RecursionError:
        raise JsonLimitError(f"nested more than {max_depth} levels deep") from None
    deep = text.count("[") + text.count("{") > max_depth
    maybe_bad = ("\\" in text or not text.isascii()) and _MAYBE_BAD.search(text) is not None
    if deep or maybe_bad:
        _check(value, max_depth)
    return value


def _check(value: Any, max_depth: int) -> None:
    stack: list[tuple[Any, int, str]] = [(value, 0, "")]
    while stack:
        node, depth, where = stack.pop()
        if isinstance(node, str):
            _check_text(node, where)
            continue
        if not isinstance(node, dict | list):
            continue
        if depth >= max_depth:
            raise JsonLimitError(f"nested more than {max_depth} levels deep")
        if isinstance(node, dict):
            for key, child in node.items():
                path = f"{where}.{key}" if where else str(key)
                _check_text(key, path)
                stack.append((child, depth + 1, path))
        else:
            stack.extend((child, depth + 1, f"{where}.{i}") for i, child in enumerate(node))


def _check_text(text: str, where: str) -> None:
    found = BAD_CHARACTER.search(text)
    if found is None:
        return
    code = ord(found.group())
    shown = BAD_CHARACTER.sub(lambda m: f"\\u{ord(m.group()):04x}", where)
    name = f"'{shown}'" if where else "the text"
    if 0xD800 <= code <= 0xDFFF:
        raise JsonLimitError(
            f"{name} holds U+{code:04X}, half of a surrogate pair, which is not a character"
        )
    raise JsonLimitError(
        f"{name} holds the control character U+{code:04X} (only tab and line breaks are allowed)"
    )


def read_objects(path: Path, required: str) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line; each object must have a ``required`` string."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise JsonlError(f"{path}: cannot read: {exc}") from None
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise JsonlError(f"{path}:{number}: not JSON: {exc.msg}") from None
        if not isinstance(obj, dict) or not isinstance(obj.get(required), str):
            raise JsonlError(f'{path}:{number}: expected an object with a "{required}" string')
        rows.append((number, obj))
    return rows
