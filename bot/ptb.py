"""python-telegram-bot's generic types, filled in once for the bot (its defaults throughout).

    async def pressed(update: Update, context: Context) -> None: ...
    def build_handlers() -> list[Handler]: ...
    def install(app: BotApplication) -> None: ...

PTB's ``Application`` and ``ApplicationBuilder`` take six type parameters (bot, context, user /
chat / bot data, job queue). The bot uses the defaults, except that the rate limiter
(``AIORateLimiter``) changes the bot's type parameter, so it is left open here.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    ContextTypes,
    ExtBot,
    JobQueue,
)

Context: TypeAlias = ContextTypes.DEFAULT_TYPE
"""What every callback gets besides the update (``bot_data`` holds ``bot.state.BotDeps``)."""

BotApplication: TypeAlias = Application[
    ExtBot[Any], Context, dict[Any, Any], dict[Any, Any], dict[Any, Any], JobQueue[Context]
]
BotBuilder: TypeAlias = ApplicationBuilder[
    ExtBot[Any], Context, dict[Any, Any], dict[Any, Any], dict[Any, Any], JobQueue[Context]
]
Handler: TypeAlias = BaseHandler[Update, Context, None]
"""A handler of one flow (its callbacks answer through ``bot.replies.deliver``, returning None)."""
