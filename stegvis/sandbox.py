"""The sandbox's files in the data folder: the emulator's bot token and its people.

The token (``sandbox-bot-token``) is made once per data folder; it is not a secret, it only opens
the local emulator. Each person created in the sandbox page is added to ``sandbox-users.json``,
so people (and their chats with the bot, which the database remembers) survive a restart.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from emulator.config import UserSpec, sandbox_token
from emulator.state import User

SANDBOX_TOKEN_FILE = "sandbox-bot-token"  # noqa: S105  (a file name)
SANDBOX_USERS_FILE = "sandbox-users.json"
USER_FIELDS = ("user_id", "first_name", "last_name", "username", "language_code", "role")


def sandbox_token_for(data_dir: Path) -> str:
    """The emulator's bot token for this data folder, made on first use."""
    path = data_dir / SANDBOX_TOKEN_FILE
    if path.exists():
        return path.read_text().strip()
    token = sandbox_token(secrets.token_hex(16))
    path.write_text(token + "\n")
    return token


def load_users(path: Path) -> list[UserSpec]:
    """The people saved in ``path`` (none when it does not exist yet)."""
    if not path.exists():
        return []
    return [UserSpec(**item) for item in json.loads(path.read_text())]


def save_user(path: Path, user: User) -> None:
    """Add a person to ``path`` (written to a temporary file first, then moved in place)."""
    users = json.loads(path.read_text()) if path.exists() else []
    fields = user.public()
    users.append({k: fields[k] for k in USER_FIELDS})
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(users, ensure_ascii=False, indent=1))
    tmp.replace(path)
