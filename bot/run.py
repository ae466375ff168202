"""The bot as a process of its own, with long polling: ``python -m bot.run`` (or ``stegvis bot``).

    python -m bot.run                                        # Telegram, token from Settings
    python -m bot.run --base-url http://127.0.0.1:8000/bot --token 7000000001:AAA…   # emulator

The database is migrated on start; the bot runs with ``bot.runner.BotRunner`` (the lifecycle
``stegvis up`` uses too) until SIGINT or SIGTERM. Logs name update ids and error types, never
message text, tokens or chat ids (the HTTP client's request log, which contains the token, is
silenced).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Sequence

from bot.app import build_application
from bot.runner import BotRunner, knowledge_warm_up
from core.settings import get_settings
from outcomes.db import get_engine


def quiet_logs(level: int = logging.INFO) -> None:
    """Our logs at ``level``; the HTTP client (its URLs hold the token) only on warnings."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "httpcore", "telegram.ext.ExtBot", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def run(
    base_url: str | None = None,
    token: str | None = None,
    *,
    rate_limiter: bool = True,
    poll_timeout: int = 10,
    warm_knowledge: bool = True,
) -> None:
    """Poll Telegram (or the emulator at ``base_url``) until interrupted.

    ``warm_knowledge`` builds the knowledge index at start (when missing) and loads its model,
    beside the bot, so that the first question does not wait for it.
    """
    settings = get_settings()
    engine = get_engine(settings, migrate_on_start=True)
    app = build_application(
        settings, base_url=base_url, token=token, rate_limiter=rate_limiter, engine=engine
    )
    runner = BotRunner(
        app,
        warm_up=knowledge_warm_up(settings) if warm_knowledge else None,
        poll_timeout=poll_timeout,
    )
    asyncio.run(runner.run_until_signalled())


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.run", description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", help="Bot API base URL, e.g. http://127.0.0.1:8000/bot")
    parser.add_argument("--token", help="bot token (default: STEGVIS_TELEGRAM_TOKEN)")
    parser.add_argument(
        "--no-rate-limiter",
        action="store_true",
        help="do not pace sends (tests against an emulator without limits)",
    )
    parser.add_argument(
        "--no-knowledge-warmup",
        action="store_true",
        help="do not prepare the knowledge base at start",
    )
    args = parser.parse_args(argv)
    quiet_logs()
    run(
        args.base_url,
        args.token,
        rate_limiter=not args.no_rate_limiter,
        warm_knowledge=not args.no_knowledge_warmup,
    )


if __name__ == "__main__":
    main()
