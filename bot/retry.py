"""Bot API calls that survive Telegram's bad moments: retried with backoff on a 5xx answer, a
dropped connection or a timeout.

    builder.request(RetryingRequest())     # bot/app.py: every call but getUpdates goes through it

An update's data is committed before its replies are sent (``bot/replies.py``), so a reply that
fails for good cannot come again with a redelivered update: retrying here, under every handler
and the scheduled sender, is what keeps it from being lost. 429 (flood control) is not retried
here but by ``AIORateLimiter`` above, which knows the wait Telegram asks for; other 4xx answers
(a bad request, a blocked bot) would fail the same way again and are not retried.

Which way a lost answer falls: Telegram has no idempotency key for ``sendMessage``. A 5xx or a
connection that failed before the request was sent means nothing was sent, and the retry sends
it once. But when the message went out and only the answer was lost (a timeout or a connection
dropped mid-answer), the retry sends it again: the person may read a reply twice, never none.
Edits (``editMessageText``: "message is not modified" on the second try) and button answers
(``answerCallbackQuery``) repeat harmlessly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from telegram.error import NetworkError
from telegram.request import HTTPXRequest, RequestData

log = logging.getLogger(__name__)

DELAYS: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0)
"""Seconds to wait before each retry: four retries within 7.5 s."""
POOL_SIZE = 256  # what ApplicationBuilder gives its own default request


class RetryingRequest(HTTPXRequest):
    """``HTTPXRequest`` that retries a call after a 5xx answer or a transport error."""

    def __init__(self, *args: Any, delays: Sequence[float] = DELAYS, **kwargs: Any) -> None:
        kwargs.setdefault("connection_pool_size", POOL_SIZE)
        super().__init__(*args, **kwargs)
        self._delays = tuple(delays)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        write_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        connect_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        pool_timeout: Any = HTTPXRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]  # never log the URL: it holds the token
        for attempt, delay in enumerate((*self._delays, None), start=1):
            try:
                code, payload = await super().do_request(
                    url,
                    method,
                    request_data,
                    read_timeout=read_timeout,
                    write_timeout=write_timeout,
                    connect_timeout=connect_timeout,
                    pool_timeout=pool_timeout,
                )
            except NetworkError as exc:  # TimedOut too; raised by the transport, not an answer
                if delay is None:
                    raise
                why = type(exc).__name__
            else:
                if code < 500 or delay is None:
                    return code, payload
                why = f"HTTP {code}"
            log.info("%s failed (%s, try %d); again in %.1f s", api_method, why, attempt, delay)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # the last try returned or raised
