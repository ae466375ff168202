"""The sandbox web chat in headless Chromium: create a user, /start, press a button, deep link."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from emulator.testing import polling, running_emulator
from tests.emulator.minibot import build_minibot

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def chromium_path() -> str:
    """Debian's chromium, or skip."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    pytest.importorskip("playwright.async_api", reason="the playwright package is not installed")
    return CHROMIUM


async def test_chat_in_the_sandbox(chromium_path: str) -> None:
    from playwright.async_api import async_playwright, expect

    async with running_emulator(rate_limits=False) as tg:
        async with polling(build_minibot(tg.application_builder())), async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=chromium_path,
                args=[
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                ],
            )
            try:
                page = await browser.new_page(viewport={"width": 412, "height": 860})
                await page.goto(f"{tg.root_url}/sandbox")

                # a new user: the panel opens by itself when there is nobody yet
                await page.fill("#new-first-name", "أمينة")
                await page.select_option("#new-role", "participant")
                await page.select_option("#new-language", "ar")
                await page.click("#create-user")
                await expect(page.locator("#current-user")).to_contain_text("participant")

                # /start typed in the composer
                await page.fill("#composer-input", "/start")
                await page.press("#composer-input", "Enter")
                greeting = page.locator(".msg[data-from=bot]").last
                await expect(greeting).to_contain_text("Hej! Do you want a mentor?")
                await expect(greeting.locator("b")).to_have_text("Hej!")

                # press the inline button; the bot edits its message and answers the press
                await greeting.get_by_role("button", name="Yes").click()
                await expect(page.locator(".msg[data-from=bot]").last).to_contain_text(
                    "You chose: yes"
                )
                await expect(page.locator("#toast")).to_contain_text("You pressed yes")
                await expect(page.locator(".msg[data-from=bot] .inline-kb")).to_have_count(0)

                # Arabic goes right to left
                await page.fill("#composer-input", "مرحبا")
                await page.press("#composer-input", "Enter")
                echo = page.locator(".msg[data-from=bot]").last
                await expect(echo).to_contain_text("مرحبا")
                direction = await echo.locator(".text").evaluate(
                    "e => getComputedStyle(e).direction"
                )
                assert direction == "rtl"

                # a t.me deep link in the bot's text starts the bot with its payload
                await page.fill("#composer-input", "/invite")
                await page.press("#composer-input", "Enter")
                link = page.locator(".msg[data-from=bot] a[data-start='inv-7']")
                await expect(link).to_have_count(1)
                await link.click()
                await expect(page.locator(".msg[data-from=bot]").last).to_contain_text(
                    "(invite inv-7)"
                )

                ARTIFACTS.mkdir(exist_ok=True)
                await page.screenshot(path=str(ARTIFACTS / "sandbox-chat.png"))
            finally:
                await browser.close()

        transcript = await tg.transcript(100_000_001)
        assert [m["text"] for m in transcript if not m["from_bot"]] == [
            "/start",
            "مرحبا",
            "/invite",
            "/start inv-7",
        ]
