"""A versioned signal that coroutines in any thread's event loop can wait on (long polling)."""

from __future__ import annotations

import asyncio
import threading


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Signal:
    """A counter that goes up on every change; ``wait`` returns when it moved past a version.

    Thread safe: ``notify`` may be called from any thread, waiters may sit in any event loop.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self.version = 0

    def notify(self) -> int:
        """Record a change, wake every waiter, return the new version."""
        with self._lock:
            self.version += 1
            version = self.version
            waiters, self._waiters = self._waiters, []
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        for loop, future in waiters:
            if loop is current:
                _wake(future)
            elif not loop.is_closed():
                loop.call_soon_threadsafe(_wake, future)
        return version

    async def wait(self, version: int, seconds: float) -> bool:
        """Wait until the version differs from ``version`` or ``seconds`` pass; True if it did."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self.version != version:
                return True
            if seconds <= 0:
                return False
            future: asyncio.Future[None] = loop.create_future()
            entry = (loop, future)
            self._waiters.append(entry)
        try:
            await asyncio.wait_for(future, seconds)
        except TimeoutError:
            return self.version != version
        finally:
            with self._lock:
                if entry in self._waiters:
                    self._waiters.remove(entry)
        return True
