"""The bot's composition root: ``build_application`` assembles handlers, state and Telegram.

    app = build_application(settings)                          # real Telegram (token in Settings)
    app = build_application(settings, base_url=tg.base_url)    # the emulator
    app.run_polling()                                          # or: python -m bot.run

Flows live in ``bot/handlers/`` (one module each, ``build_handlers()``); ``HANDLER_MODULES`` is
their order, which matters: the first handler that matches an update takes it, so the catch-all
fallbacks come last. A new flow is imported here and added to ``HANDLER_MODULES`` (before
``fallback``).
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, ApplicationBuilder, BaseHandler, ContextTypes

from bot.handlers import (
    ask,
    checkin,
    fallback,
    group_meeting,
    language,
    meeting,
    mentor_survey,
    onboarding,
    privacy,
    progress,
    survey,
    text,
)
from bot.handlers import help as help_flow
from bot.handlers.help import menu
from bot.i18n import Tr
from bot.ptb import BotApplication, BotBuilder
from bot.replies import answer_button
from bot.retention import install as install_retention
from bot.retry import RetryingRequest
from bot.scheduler import install as install_sender
from bot.scheduler import plan_after_join
from bot.state import DEPS_KEY, AfterJoin, BotDeps, deps, prune_processed
from core.languages import DEFAULT_LANGUAGE, LANGUAGES
from core.settings import Settings

log = logging.getLogger(__name__)


class Flow(Protocol):
    """A module of ``bot/handlers/``: the handlers of one flow."""

    def build_handlers(self) -> list[BaseHandler[Any, Any, Any]]: ...


HANDLER_MODULES: tuple[Flow, ...] = (
    onboarding,
    help_flow,
    language,
    meeting,
    progress,
    ask,
    privacy,
    survey,
    mentor_survey,  # the mentors' own survey (ms: buttons)
    checkin,
    group_meeting,
    text,
    fallback,  # the catch-alls, last
)

AFTER_JOIN: tuple[AfterJoin, ...] = (
    plan_after_join,  # the check-ins' schedule, and a participant's baseline survey
    group_meeting.invite_after_join,  # the cohort's coming group meetings
)
"""Flows that start when someone joins, in order (``bot/hooks.py``)."""


def file_url_for(base_url: str) -> str:
    """The file URL that goes with a Bot API base URL (``…/bot`` → ``…/file/bot``)."""
    root = base_url.rstrip("/")
    return (root.removesuffix("/bot") if root.endswith("/bot") else root) + "/file/bot"


async def _post_init(app: BotApplication) -> None:
    """Start-up: the command menu in every language, and old dedupe records pruned."""
    try:
        for lang in LANGUAGES:
            await app.bot.set_my_commands(menu(Tr(lang)), language_code=lang)
        await app.bot.set_my_commands(menu(Tr(DEFAULT_LANGUAGE)))
    except TelegramError as exc:
        log.warning("could not set the command menu: %s", type(exc).__name__)
    engine = app.bot_data[DEPS_KEY].engine
    pruned = prune_processed(engine)
    if pruned:
        log.info("forgot %d old update ids", pruned)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log what failed (never message text) and tell the person something went wrong."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    where = (
        " < ".join(
            f"{Path(f.filename).name}:{f.lineno}"
            for f in reversed(traceback.extract_tb(error.__traceback__)[-4:])
        )
        if error is not None
        else ""
    )
    # the exception's message is left out: a database error repeats the values it was given
    log.error("update %s failed: %s at %s", update_id, type(error).__name__, where)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        if update.callback_query is not None:
            await answer_button(update)
        user = update.effective_user
        tr = Tr(
            _language_of(context, user.id if user else None, user.language_code if user else None)
        )
        await context.bot.send_message(
            update.effective_chat.id, tr("Sorry, something went wrong. Please try again.")
        )
    except TelegramError as exc:
        log.warning("could not tell the person about the error: %s", type(exc).__name__)


def _language_of(
    context: ContextTypes.DEFAULT_TYPE, user_id: int | None, language_code: str | None
) -> str:
    from sqlmodel import Session

    from bot.i18n import pick_language
    from outcomes.contacts import find_by_user

    if user_id is not None:
        try:
            with Session(deps(context).engine) as session:
                contact = find_by_user(session, deps(context).settings, user_id)
                if contact is not None:
                    return contact.language
        except Exception:  # the database may be what failed
            log.warning("could not read the person's language")
    return pick_language(language_code)


def build_application(
    settings: Settings,
    *,
    base_url: str | None = None,
    base_file_url: str | None = None,
    rate_limiter: bool = True,
    engine: Engine | None = None,
    token: str | None = None,
) -> BotApplication:
    """The bot: every flow's handlers, its database, and Telegram (or the emulator)."""
    from outcomes.db import get_engine

    secret = token or (
        settings.telegram_token.get_secret_value() if settings.telegram_token else None
    )
    if not secret:
        raise ValueError("the bot needs a token: set STEGVIS_TELEGRAM_TOKEN (or run the sandbox)")
    builder: BotBuilder = ApplicationBuilder().token(secret).post_init(_post_init)
    builder = builder.request(RetryingRequest())  # 5xx and lost connections (bot/retry.py)
    url = base_url or settings.telegram_base_url
    if url:
        builder = builder.base_url(url).base_file_url(base_file_url or file_url_for(url))
    if rate_limiter:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=5))
    app = builder.build()
    app.bot_data[DEPS_KEY] = BotDeps(
        settings=settings,
        engine=engine or get_engine(settings),
        bot_id=int(secret.split(":", 1)[0]),
        after_join=AFTER_JOIN,
    )
    for handler in fallback.build_guards():
        app.add_handler(handler, group=-1)
    for flow in HANDLER_MODULES:
        for handler in flow.build_handlers():
            app.add_handler(handler)
    app.add_error_handler(on_error)
    install_sender(app)  # due check-ins, surveys and reminders (bot/scheduler.py)
    install_retention(app)  # the daily retention job (bot/retention.py)
    return app
