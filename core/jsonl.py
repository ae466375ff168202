"""Reading JSON Lines input files (questions, messages, labelled evaluation sets)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class JsonlError(ValueError):
    """A JSON Lines file that cannot be used; the message names the file and the bad line."""


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
