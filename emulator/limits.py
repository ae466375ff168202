"""Telegram's flood limits as token buckets: about 30 messages/s per bot, about 1/s per chat."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from emulator.config import LimitsConfig


class TokenBucket:
    """``capacity`` tokens that refill at ``rate`` per second; one message takes one token."""

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.stamp = now

    def _refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 when one is there now)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        """Spend one token (call after ``wait_time`` returned 0)."""
        self.tokens -= 1


class FloodControl:
    """Decides whether a message may be sent now or gets ``429 retry after N``."""

    def __init__(self, config: LimitsConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._bots: dict[int, TokenBucket] = {}
        self._chats: dict[tuple[int, int], TokenBucket] = {}
        self.config = config

    def configure(self, config: LimitsConfig) -> None:
        """Replace the limits; buckets start full again."""
        with self._lock:
            self.config = config
            self._bots.clear()
            self._chats.clear()

    def reset(self) -> None:
        """Forget all spent tokens."""
        self.configure(self.config)

    def check(self, bot_id: int, chat_id: int) -> int | None:
        """Take a token for one message, or return ``retry_after`` seconds (an integer >= 1)."""
        config = self.config
        if not config.enabled:
            return None
        with self._lock:
            now = self._clock()
            bot = self._bots.get(bot_id)
            if bot is None:
                bot = self._bots[bot_id] = TokenBucket(config.bot_rate, config.bot_burst, now)
            chat = self._chats.get((bot_id, chat_id))
            if chat is None:
                chat = TokenBucket(config.chat_rate, config.chat_burst, now)
                self._chats[(bot_id, chat_id)] = chat
            wait = max(bot.wait_time(now), chat.wait_time(now))
            if wait > 0:
                return max(1, math.ceil(wait))
            bot.take()
            chat.take()
            return None
