"""Extension points where other flows join in, named like ``stegvis/cli.py`` names modules.

``AFTER_JOIN`` lists functions ``"module:function"`` called with the ``Turn`` of the update in
which a person accepted the consent, inside that update's transaction; each returns replies to
send after the welcome (for example the check-ins' baseline survey), or an empty list.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.replies import Reply
    from bot.state import Turn

AFTER_JOIN: tuple[str, ...] = ("bot.scheduler:plan_after_join",)


def _resolve(spec: str) -> Callable[[Turn], list[Reply]]:
    module, _, name = spec.partition(":")
    function: Callable[[Turn], list[Reply]] = getattr(importlib.import_module(module), name)
    return function


def after_join(turn: Turn, hooks: tuple[str, ...] | None = None) -> list[Reply]:
    """Run every ``AFTER_JOIN`` hook for a person who just joined; their replies, in order."""
    replies: list[Reply] = []
    for spec in AFTER_JOIN if hooks is None else hooks:
        replies.extend(_resolve(spec)(turn))
    return replies
