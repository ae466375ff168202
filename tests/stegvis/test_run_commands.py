"""``stegvis up`` and ``stegvis bot`` refuse a configuration they cannot run, with a plain message."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from core.settings import get_settings
from emulator.server import bind_socket
from stegvis.cli import build_cli


def test_bot_without_a_token_says_what_to_set(settings) -> None:
    result = CliRunner().invoke(build_cli(), ["bot"])
    assert result.exit_code == 1
    assert "error: the bot needs a token: set STEGVIS_TELEGRAM_TOKEN" in result.stderr
    assert "Traceback" not in result.output


def test_up_with_a_webhook_but_no_secret_says_what_is_missing(
    settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEGVIS_TELEGRAM_TOKEN", "7000000001:" + "A" * 35)
    monkeypatch.setenv("STEGVIS_WEBHOOK_URL", "https://bot.example.org/hook")
    get_settings.cache_clear()
    result = CliRunner().invoke(build_cli(), ["up"])
    assert result.exit_code == 2
    assert "error: STEGVIS_WEBHOOK_URL needs STEGVIS_WEBHOOK_SECRET" in result.stderr


def test_up_on_a_taken_port_says_so(settings) -> None:
    taken = bind_socket()
    try:
        port = taken.getsockname()[1]
        result = CliRunner().invoke(build_cli(), ["up", "--port", str(port)])
    finally:
        taken.close()
    assert result.exit_code == 1
    assert f"error: cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "--port" in result.stderr


def test_serve_says_what_an_instance_behind_a_proxy_needs(
    settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = CliRunner().invoke(build_cli(), ["serve"])
    assert result.exit_code == 2
    assert "stegvis serve needs STEGVIS_TELEGRAM_TOKEN" in result.stderr
    monkeypatch.setenv("STEGVIS_TELEGRAM_TOKEN", "7000000001:" + "A" * 35)
    get_settings.cache_clear()
    result = CliRunner().invoke(build_cli(), ["serve"])
    assert "needs STEGVIS_WEBHOOK_URL" in result.stderr
    monkeypatch.setenv("STEGVIS_WEBHOOK_URL", "https://bot.example.org/hook")
    monkeypatch.setenv("STEGVIS_WEBHOOK_SECRET", "s3cret")
    monkeypatch.setenv("STEGVIS_DATABASE_URL", "sqlite:///" + str(settings.data_dir / "x.db"))
    get_settings.cache_clear()
    result = CliRunner().invoke(build_cli(), ["serve"])
    assert result.exit_code == 2
    assert "several instances on one PostgreSQL database" in result.stderr
    assert "Traceback" not in result.output
