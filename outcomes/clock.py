"""Time in one place, so that tests and the schedule can run on a fake clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def utcnow() -> datetime:
    """The current time in UTC (timezone-aware)."""
    return _now()


def today(tz: ZoneInfo = STOCKHOLM) -> date:
    """Today's date in the program's time zone."""
    return utcnow().astimezone(tz).date()


def set_clock(now: Callable[[], datetime] | None) -> None:
    """Replace the clock (tests, simulations); ``None`` restores the real one."""
    global _now
    _now = now if now is not None else (lambda: datetime.now(UTC))
