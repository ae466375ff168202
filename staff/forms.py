"""Form handling for the pages: errors next to their field, what was typed kept.

    errors = FormErrors()
    day = parse_date(typed["start"], "start", errors, _)
    if errors: ...re-render the form with ``errors`` and the typed values (status 422)

Nothing is written while a form has errors: each form is checked whole first, then saved in the
request's one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from pydantic import ValidationError

Translate = Callable[[str], str]


class FormErrors(dict[str, list[str]]):
    """Field name → the messages shown next to it (``_form`` for the form as a whole)."""

    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)

    def first(self, field: str) -> str | None:
        messages = self.get(field)
        return messages[0] if messages else None

    def from_validation(self, exc: ValidationError, _: Translate, prefix: str = "") -> None:
        """pydantic's errors, each at its field (the first part of its location)."""
        for error in exc.errors():
            loc = [str(p) for p in error["loc"]]
            field = (
                loc[-1]
                if loc and loc[0] in ("attributes", "targets")
                else (loc[0] if loc else "_form")
            )
            message = str(error.get("msg", "")).removeprefix("Value error, ")
            self.add(prefix + field if field != "_form" else field, message)


def parse_date(
    text: str, field: str, errors: FormErrors, _: Translate, *, required: bool = True
) -> date | None:
    """A YYYY-MM-DD date field, or None (with an error when it is required or malformed)."""
    value = text.strip()
    if not value:
        if required:
            errors.add(field, _("Give a date."))
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.add(field, _("Write the date as YYYY-MM-DD, for example 2026-03-01."))
        return None


def parse_int(
    text: str, field: str, errors: FormErrors, _: Translate, *, low: int, high: int
) -> int | None:
    """An optional whole number between ``low`` and ``high``."""
    value = text.strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        errors.add(field, _("Write a whole number."))
        return None
    if not low <= number <= high:
        errors.add(field, _("Give a number from {low} to {high}.").format(low=low, high=high))
        return None
    return number


def parse_percent(text: str, field: str, errors: FormErrors, _: Translate) -> float | None:
    """An optional target typed as a percentage (0–100, comma or point) as a share (0–1)."""
    value = text.strip().replace(",", ".").removesuffix("%").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        errors.add(field, _("Write a percentage, for example 80."))
        return None
    if not 0 <= number <= 100:
        errors.add(field, _("Give a percentage from 0 to 100."))
        return None
    return round(number / 100, 4)
