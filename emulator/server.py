"""Serving an ASGI app with uvicorn on loopback: in the current event loop or in a thread."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from types import FrameType
from typing import Protocol

import uvicorn
from starlette.types import ASGIApp


class _ServedEmulator(Protocol):
    """What the server needs of the emulator an app serves (``app.state.emulator``)."""

    closing: bool

    def wake_all(self) -> None: ...

    async def aclose(self) -> None: ...


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket; port 0 lets the system pick a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto
    # says TCP; without it small answers wait ~40 ms for delayed ACKs (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _config(app: ASGIApp, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=2,
        ws="none",
    )


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling (Ctrl+C) to whoever embeds it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Install no signal handlers."""
        yield


def _emulator_of(app: ASGIApp) -> _ServedEmulator | None:
    emulator: _ServedEmulator | None = getattr(getattr(app, "state", None), "emulator", None)
    return emulator


async def _wake_long_polls(app: ASGIApp) -> None:
    emulator = _emulator_of(app)
    if emulator is not None:
        await emulator.aclose()


@contextlib.asynccontextmanager
async def serve_in_loop(
    app: ASGIApp,
    host: str = "127.0.0.1",
    port: int = 0,
    log_level: str = "warning",
    sock: socket.socket | None = None,
) -> AsyncIterator[str]:
    """Serve ``app`` in the running event loop; yield its root URL (``http://host:port``).

    ``sock`` serves on a socket bound beforehand (when the app must know its URL first).
    """
    sock = sock or bind_socket(host, port)
    host = sock.getsockname()[0]
    server = _EmbeddedServer(_config(app, log_level))
    task = asyncio.create_task(server.serve(sockets=[sock]), name="emulator-uvicorn")
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("the server stopped while starting")
            await asyncio.sleep(0.005)
        bound_port = sock.getsockname()[1]
        yield f"http://{host}:{bound_port}"
    finally:
        await _wake_long_polls(app)
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()


@contextlib.contextmanager
def serve_in_thread(
    app: ASGIApp, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning"
) -> Iterator[str]:
    """Serve ``app`` from a background thread with its own event loop; yield its root URL."""
    sock = bind_socket(host, port)
    server = _EmbeddedServer(_config(app, log_level))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="emulator-uvicorn", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the emulator server did not start")
            time.sleep(0.005)
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        emulator = _emulator_of(app)
        if emulator is not None:
            emulator.closing = True
            emulator.wake_all()
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


class _GracefulServer(uvicorn.Server):
    """On Ctrl+C (or SIGTERM) first run ``before_exit`` (e.g. stop a bot polling this server,
    end the emulator's long polls), then stop serving; a second Ctrl+C stops at once."""

    def __init__(
        self, config: uvicorn.Config, before_exit: list[Callable[[], Awaitable[None]]]
    ) -> None:
        super().__init__(config)
        self._before_exit = before_exit
        self._exiting = False

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Schedule the clean-up, then the usual exit."""
        if self._exiting or self.should_exit:
            super().handle_exit(sig, frame)
            return
        self._exiting = True
        loop = asyncio.get_event_loop()
        finish = super().handle_exit

        async def clean_up_then_exit() -> None:
            try:
                for step in self._before_exit:
                    await asyncio.wait_for(step(), 10)
            except Exception:  # the server must stop anyway
                logging.getLogger(__name__).exception("clean-up before exit failed")
            finally:
                finish(sig, frame)

        loop.call_soon_threadsafe(lambda: loop.create_task(clean_up_then_exit()))


async def serve_until_interrupted(
    app: ASGIApp,
    sock: socket.socket,
    *,
    before_exit: list[Callable[[], Awaitable[None]]] | None = None,
    on_started: Callable[[], Awaitable[None]] | None = None,
    log_level: str = "warning",
) -> None:
    """Serve ``app`` on ``sock`` until Ctrl+C; ``on_started`` runs once the port answers.

    On Ctrl+C the ``before_exit`` steps run while the server still answers, then the emulator of
    ``app`` (if any) ends its long polls, then the server stops.
    """
    steps = list(before_exit or [])
    emulator = _emulator_of(app)
    if emulator is not None:
        steps.append(emulator.aclose)
    server = _GracefulServer(_config(app, log_level), steps)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            await task
            return
        await asyncio.sleep(0.02)
    if on_started is not None:
        try:
            await on_started()
        except BaseException:
            server.should_exit = True
            await task
            raise
    await task
