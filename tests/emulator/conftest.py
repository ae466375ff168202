"""Fixtures for the emulator's tests: a running emulator and a small real PTB bot for it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from emulator.testing import EmulatorClient, running_emulator


@pytest.fixture
async def tg() -> AsyncIterator[EmulatorClient]:
    """A fresh emulator with Telegram's limits off."""
    async with running_emulator(rate_limits=False) as client:
        yield client


@pytest.fixture
async def tg_limited() -> AsyncIterator[EmulatorClient]:
    """A fresh emulator with Telegram's default limits on."""
    async with running_emulator() as client:
        yield client


@pytest.fixture
async def api(tg: EmulatorClient) -> AsyncIterator[httpx.AsyncClient]:
    """A raw HTTP client on the emulator's Bot API of the default bot (``/bot<token>/``)."""
    async with httpx.AsyncClient(base_url=f"{tg.base_url}{tg.token}/", timeout=10) as client:
        yield client
