"""The bot's one lifecycle: start and stop a python-telegram-bot Application in a running loop.

    runner = BotRunner(build_application(settings), warm_up=knowledge_warm_up(settings))
    await runner.start()        # poll (or, with webhook_url, set the webhook)
    ...
    await runner.stop()         # safe to call twice

    asyncio.run(runner.run_until_signalled())   # ``stegvis bot`` / ``python -m bot.run``

``stegvis bot`` runs it alone (long polling, until SIGINT or SIGTERM); ``stegvis up`` starts it
next to the staff API on one port: polling the sandbox's emulator or Telegram, or with a webhook
on that port, where the route hands each update to ``process`` and answers only when it is done.

The guarantee per mode. Polling: PTB confirms a batch of updates (the next ``getUpdates``
offset) before their handlers finish, so a crash at that moment loses those updates: *at most
once* per update. Webhook (``process``): the update's handlers have run — their database writes
committed, in the same transaction as the update id (``bot/state.once``), and their replies
sent — before the route answers 200; a failure answers 500 and a crash answers nothing, so
Telegram delivers the update again, and the recorded update id makes a repeat change nothing:
*exactly-once effect*. A reply is sent after its commit, so a crash between the two loses that
reply (at most once; the person's next press of the button says what was saved).

Starting: ``initialize`` (retried while the Bot API does not answer yet: the sandbox's emulator
comes up in the same loop), the bot's ``post_init`` (its command menu), the warm-up, then polling
or the webhook, then the Application. The warm-up of the real bot (``knowledge_warm_up``) builds
the knowledge index when it is missing and loads the embedding model, the language detectors and
the progress classifier; the bot takes its first update only after it (polling begins, the
webhook is set and the Application processes updates once it is done), so the first question is
answered with material and costs no more than any later one. Updates that come meanwhile wait at
Telegram (polling: not fetched yet; webhook: refused with 503, so Telegram delivers them
again) and are answered afterwards. A failed warm-up is logged and the bot starts anyway. Stopping undoes it all in reverse order; a stop
during the warm-up ends the start (nothing polls); a build the warm-up began runs to its end in
its worker thread (a half-built index would pass for a whole one), so a stop on the first start
can take as long as that build.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import secrets
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.error import NetworkError
from telegram.ext import Application, ContextTypes

from core.settings import Settings
from knowledge import service as knowledge

log = logging.getLogger(__name__)

WarmUp = Callable[[], Awaitable[object]]
BotApplication = Application[Any, Any, Any, Any, Any, Any]
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_failures: contextvars.ContextVar[list[BaseException] | None] = contextvars.ContextVar(
    "stegvis_webhook_failures", default=None
)


class UpdateFailed(Exception):
    """A handler of a webhook update failed: the update should be delivered again."""


class NotReady(Exception):
    """The bot is not started (or is stopping): a webhook update should come again later."""


def knowledge_warm_up(settings: Settings) -> WarmUp:
    """The warm-up of the real bot: the knowledge base ready, the progress classifier loaded."""
    return functools.partial(_warm_up_all, settings)


async def _warm_up_all(settings: Settings) -> object:
    report = await knowledge.ensure_ready(settings)
    await classifier_warm_up()
    return report


async def classifier_warm_up() -> None:
    """Load the progress classifier (exemplar vectors) and classify one message with it."""
    from progress.classify import aclassify

    await aclassify("Jag har fått ett jobb!", "sv")


@dataclass
class BotRunner:
    """Starts and stops a python-telegram-bot Application inside an already running loop."""

    application: BotApplication
    webhook_url: str | None = None
    webhook_secret: str | None = None
    warm_up: WarmUp | None = None
    poll_timeout: int = 10  # seconds a getUpdates call waits for updates
    _started: bool = field(default=False, init=False)
    _stopping: bool = field(default=False, init=False)
    _warming: asyncio.Task[object] | None = field(default=None, init=False)
    _in_flight: int = field(default=0, init=False)  # webhook updates being processed
    _drained: asyncio.Event | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        # after the bot's own error handler (which tells the person): note the failure for
        # ``process``, whose caller then asks Telegram to deliver the update again
        self.application.add_error_handler(_note_failure)

    async def start(self, *, connect_timeout: float = 15.0) -> None:
        """Initialize (retrying until the Bot API answers), warm up, then poll or set the webhook.

        Returns once the bot takes updates, or early (taking none) when ``stop`` came first.
        """
        app = self.application
        self._stopping = False
        deadline = time.monotonic() + connect_timeout
        while True:
            try:
                await app.initialize()
                break
            except NetworkError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)
        if app.post_init:
            await app.post_init(app)
        if self.warm_up is not None:
            self._warming = asyncio.create_task(self._warm(self.warm_up), name="warm-up")
            await asyncio.wait({self._warming})  # no update is taken before the warm-up is done
            log.info("warm-up done: taking updates")
        if self._stopping:  # stopped during the warm-up
            await app.shutdown()
            return
        if self.webhook_url:
            await app.bot.set_webhook(
                self.webhook_url, secret_token=self.webhook_secret, allowed_updates=Update.ALL_TYPES
            )
        else:
            assert app.updater is not None, "an Application built with an updater"
            await app.updater.start_polling(
                timeout=self.poll_timeout, allowed_updates=Update.ALL_TYPES
            )
        await app.start()
        self._started = True

    @staticmethod
    async def _warm(warm_up: WarmUp) -> object:
        try:
            return await warm_up()
        except Exception as exc:  # the bot runs on; a question then builds the index itself
            log.warning("the warm-up failed: %s", type(exc).__name__)
            return None

    @property
    def warming(self) -> asyncio.Task[object] | None:
        """The warm-up while it runs or after (None without one, or before ``start``)."""
        return self._warming

    def accepts(self, secret_token: str) -> bool:
        """Whether a webhook request's secret token header is this bot's secret."""
        expected = self.webhook_secret or ""
        return bool(expected) and secrets.compare_digest(secret_token, expected)

    async def process(self, data: dict[str, Any]) -> None:
        """Handle an update that came to the webhook, to its end (see the module docstring).

        Raises ``NotReady`` before ``start`` or after ``stop``, and ``UpdateFailed`` when a
        handler failed (its transaction rolled back): the webhook then answers 5xx.
        """
        app = self.application
        if not self._started or not app.running:
            raise NotReady("the bot is not running")
        update = Update.de_json(data, app.bot)
        token = _failures.set([])
        self._in_flight += 1
        try:
            await app.process_update(update)
            failed = _failures.get()
        finally:
            _failures.reset(token)
            self._in_flight -= 1
            if self._in_flight == 0 and self._drained is not None:
                self._drained.set()
        if failed:
            raise UpdateFailed(f"update {update.update_id} failed") from failed[0]

    @property
    def started(self) -> bool:
        """Whether the bot takes updates (``start`` finished, ``stop`` not called)."""
        return self._started

    async def stop(self) -> None:
        """Stop polling and the application (safe to call twice, and during ``start``); webhook
        updates in hand are finished first (up to 30 s), so that their replies still go out."""
        self._stopping = True
        if self._warming is not None and not self._warming.done():
            # a build in a worker thread cannot be interrupted; the process exits after it
            log.warning("stopping during the warm-up: the work it began finishes first")
            self._warming.cancel()
        if not self._started:
            return
        self._started = False  # new webhook updates get 503; those in hand finish first
        if self._in_flight:
            self._drained = asyncio.Event()
            try:
                await asyncio.wait_for(self._drained.wait(), 30)
            except TimeoutError:
                log.warning("stopping with %d webhook updates unfinished", self._in_flight)
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        if app.post_stop:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)

    async def run_until_signalled(self) -> None:
        """Start, run until SIGINT or SIGTERM, then stop (the bot as a process of its own)."""
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        for signum in STOP_SIGNALS:
            loop.add_signal_handler(signum, stopping.set)
        starting = asyncio.create_task(self.start())
        signalled = asyncio.create_task(stopping.wait())
        try:
            await asyncio.wait({starting, signalled}, return_when=asyncio.FIRST_COMPLETED)
            if not starting.done():  # a signal during the warm-up: stop, then let start end
                await self.stop()
            await starting
            await signalled
        finally:
            signalled.cancel()
            for signum in STOP_SIGNALS:
                loop.remove_signal_handler(signum)
            await self.stop()


async def _note_failure(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An error handler: remember that this webhook update failed (no-op when polling)."""
    failed = _failures.get()
    if failed is not None and context.error is not None:
        failed.append(context.error)
