"""Rotating the keys that protect Telegram chat ids: nobody is lost, old keys can go."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from core.settings import KEYS_FILE, Settings, get_settings
from outcomes.contacts import (
    Contact,
    PersonRole,
    bind,
    chat_id_of,
    decrypt_chat_id,
    find_by_user,
    rotate_keys,
)
from stegvis.cli import build_cli
from tests.utils.pairs import make_pair

OLD_HMAC, NEW_HMAC = "old-hmac-key-0123456789", "new-hmac-key-9876543210"
OLD_FERNET, NEW_FERNET = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def keys(tmp_path: Path, hmac_key: str, contact_key: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", hmac_key=hmac_key, contact_key=contact_key)


def bind_both(db: Engine, settings: Settings) -> tuple[str, str]:
    ids = make_pair(db)
    with Session(db) as s:
        for user, person, role in (
            (501, ids.participant, PersonRole.participant),
            (502, ids.mentor, PersonRole.mentor),
        ):
            bind(
                s,
                settings,
                user_id=user,
                chat_id=user,
                person=person,
                role=role,
                pair=ids.pair,
                language="sv",
            )
        s.commit()
    return ids.participant, ids.mentor


def test_with_new_and_old_keys_everyone_is_found_and_moves_to_the_new_key(
    db: Engine, tmp_path: Path
) -> None:
    old = keys(tmp_path, OLD_HMAC, OLD_FERNET)
    participant, mentor = bind_both(db, old)
    rotating = keys(tmp_path, f"{NEW_HMAC},{OLD_HMAC}", f"{NEW_FERNET},{OLD_FERNET}")
    new_only = keys(tmp_path, NEW_HMAC, NEW_FERNET)
    with Session(db) as s:
        found = find_by_user(s, rotating, 501)  # the participant writes during the rotation
        assert found is not None
        assert found.person == participant
        s.commit()
        assert find_by_user(s, new_only, 501) is not None  # moved to the new HMAC key at once
        assert find_by_user(s, new_only, 502) is None  # the mentor has not written yet
        assert chat_id_of(s, rotating, mentor) == 502  # old ciphertext still readable

        report = rotate_keys(s, rotating)
        s.commit()
        assert (report.contacts, report.rotated, report.unreadable, report.not_rekeyed) == (
            2,
            2,
            [],
            [],
        )
        for user, person in ((501, participant), (502, mentor)):
            contact = find_by_user(s, new_only, user)
            assert contact is not None
            assert contact.person == person
            assert chat_id_of(s, new_only, person) == user
            assert decrypt_chat_id(old, contact.chat_enc) is None  # the old key reads nothing


def test_an_unreadable_contact_is_reported_and_left_alone(db: Engine, tmp_path: Path) -> None:
    participant, mentor = bind_both(db, keys(tmp_path, OLD_HMAC, OLD_FERNET))
    foreign = Fernet.generate_key().decode()
    with Session(db) as s:
        row = s.exec(select(Contact).where(Contact.person == mentor)).one()
        row.chat_enc = Fernet(foreign.encode()).encrypt(b"502").decode()
        s.add(row)
        s.commit()
        before = (row.user_key, row.chat_enc)
        report = rotate_keys(
            s, keys(tmp_path, f"{NEW_HMAC},{OLD_HMAC}", f"{NEW_FERNET},{OLD_FERNET}")
        )
        s.commit()
        assert report.unreadable == [mentor]
        assert report.rotated == 1
        s.refresh(row)
        assert (row.user_key, row.chat_enc) == before


@pytest.fixture
def cli_env(settings: Settings, db: Engine):
    """The CLI on the test database, with keys generated into the data folder."""
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def test_stegvis_keys_rotate_generate_replaces_the_generated_keys(
    cli_env: Settings, db: Engine
) -> None:
    participant, mentor = bind_both(db, cli_env)
    path = cli_env.data_dir / KEYS_FILE
    before = json.loads(path.read_text())
    result = CliRunner().invoke(build_cli(), ["keys", "rotate", "--generate", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "contacts": 2,
        "rotated": 2,
        "unreadable": [],
        "not_rekeyed": [],
        "old_keys_dropped": True,
    }
    after = json.loads(path.read_text())
    assert set(after) == {"hmac_key", "contact_key"}
    assert all(isinstance(v, str) and v != before[k] for k, v in after.items())
    assert os.stat(path).st_mode & 0o777 == 0o600
    with Session(db) as s:
        assert find_by_user(s, cli_env, 501).person == participant  # type: ignore[union-attr]
        assert chat_id_of(s, cli_env, mentor) == 502
        stale = keys(cli_env.data_dir, before["hmac_key"], before["contact_key"])
        assert find_by_user(s, stale, 501) is None


def test_generate_refuses_when_the_keys_come_from_the_environment(
    cli_env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEGVIS_HMAC_KEY", NEW_HMAC)
    get_settings.cache_clear()
    result = CliRunner().invoke(build_cli(), ["keys", "rotate", "--generate"])
    assert result.exit_code == 2
    assert "put the new key first" in result.stderr


def test_an_empty_key_setting_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="STEGVIS_HMAC_KEY is set but holds no key"):
        keys(tmp_path, " , ", OLD_FERNET).secret("hmac_key")
