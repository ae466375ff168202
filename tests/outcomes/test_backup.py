"""Backup and restore through the real ``stegvis`` command: a round trip keeps every record.

On the PostgreSQL pass the restore goes into a throwaway database beside the test database
(``<test db>_restore``), created empty for the test and dropped after it.
"""

from __future__ import annotations

import json
import os
import stat
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session
from typer.testing import CliRunner

from core.settings import get_settings
from outcomes.contacts import PersonRole, bind
from outcomes.db import make_engine
from outcomes.importer import import_jsonl
from stegvis.cli import build_cli
from stegvis.commands.outcomes import EXPORTS
from tests.utils.botdriver import snapshot
from tests.utils.generate import generate_lines


def _run(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(build_cli(), [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def _outputs() -> dict[str, str]:
    """What the staff would compare: the indicators as JSON and every export."""
    code, indicators, err = _run("indicators", "--json")
    assert code == 0, err
    out = {"indicators": indicators}
    for table in EXPORTS:
        code, csv, err = _run("export", table)
        assert code == 0, err
        out[table] = csv
    return out


@pytest.fixture
def fresh_target(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database to restore into: a new SQLite file, or a new PostgreSQL database."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored' / 'stegvis.db'}"
        return
    name = f"{url.database}_restore"
    server = make_engine(database_url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def _program(db, settings) -> None:
    """A generated program (every kind of record), a Telegram contact and a Chroma folder."""
    with Session(db) as s:
        import_jsonl(s, list(generate_lines(60, seed=3)), actor="test")
        s.commit()
    with Session(db) as s:
        bind(
            s,
            settings,
            user_id=4242,
            chat_id=4242,
            person="p0001",
            role=PersonRole.participant,
            pair="pair0001",
            language="sv",
        )
        s.commit()
    chroma = settings.chroma_dir
    (chroma / "index").mkdir(parents=True)
    (chroma / "chroma.sqlite3").write_bytes(os.urandom(4096))
    (chroma / "index" / "data_level0.bin").write_bytes(os.urandom(1024))


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_backup_then_restore_into_a_fresh_target_keeps_everything(
    db, settings, database_url, fresh_target, tmp_path, monkeypatch
) -> None:
    _program(db, settings)
    before = _outputs()
    rows_before = snapshot(db, skip=())
    keys_before = (settings.data_dir / "keys.json").read_bytes()
    chroma_before = _tree(settings.chroma_dir)
    archive = tmp_path / "backups" / "stegvis.tar.gz"

    code, out, err = _run("backup", "--out", archive)
    assert code == 0, err
    assert out.startswith(f"wrote {archive}")
    assert "keys.json" in out
    assert "chroma (2 files)" in out
    assert "holds the keys" in err
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        names = set(tar.getnames())
    assert manifest["format"] == "stegvis-backup"
    assert manifest["schema_revision"]
    assert manifest["rows"]["participant"] == 60
    assert names == {"manifest.json", *manifest["files"]}
    assert {"keys.json", "chroma/chroma.sqlite3", "chroma/index/data_level0.bin"} <= names

    fresh = tmp_path / "restored"
    monkeypatch.setenv("STEGVIS_DATA_DIR", str(fresh))
    monkeypatch.setenv("STEGVIS_DATABASE_URL", fresh_target)
    get_settings.cache_clear()
    code, out, err = _run("restore", archive)
    assert code == 0, err
    assert out.startswith(f"restored {archive}")

    assert _outputs() == before
    restored = make_engine(fresh_target)
    try:
        assert snapshot(restored, skip=()) == rows_before
        keys = fresh / "keys.json"
        assert keys.read_bytes() == keys_before
        assert stat.S_IMODE(keys.stat().st_mode) == 0o600
        assert _tree(fresh / "chroma") == chroma_before

        # a second restore finds the target full: refused, nothing changed
        (fresh / "chroma" / "chroma.sqlite3").write_bytes(b"newer index")
        chroma_now = _tree(fresh / "chroma")
        code, out, err = _run("restore", archive)
        assert code == 1
        assert "the target is not empty" in err
        assert "--force" in err
        assert "keys.json exists" in err
        assert "table(s)" in err
        assert _tree(fresh / "chroma") == chroma_now
        assert snapshot(restored, skip=()) == rows_before

        # --force replaces it, here from the same backup written as .tar.zst
        monkeypatch.setenv("STEGVIS_DATA_DIR", str(settings.data_dir))
        monkeypatch.setenv("STEGVIS_DATABASE_URL", database_url)
        get_settings.cache_clear()
        zst = tmp_path / "backups" / "stegvis.tar.zst"
        code, out, err = _run("backup", "--out", zst)
        assert code == 0, err
        assert zst.read_bytes()[:4] == b"\x28\xb5\x2f\xfd"  # Zstandard
        monkeypatch.setenv("STEGVIS_DATA_DIR", str(fresh))
        monkeypatch.setenv("STEGVIS_DATABASE_URL", fresh_target)
        get_settings.cache_clear()
        code, out, err = _run("restore", zst, "--force")
        assert code == 0, err
        assert _tree(fresh / "chroma") == chroma_before
        assert snapshot(restored, skip=()) == rows_before
    finally:
        restored.dispose()


@pytest.fixture
def empty_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Settings for an empty data folder with its own SQLite file (no test database)."""
    fresh = tmp_path / "empty"
    monkeypatch.setenv("STEGVIS_DATA_DIR", str(fresh))
    monkeypatch.setenv("STEGVIS_DATABASE_URL", f"sqlite:///{fresh / 'stegvis.db'}")
    get_settings.cache_clear()
    yield fresh
    get_settings.cache_clear()


def test_restore_refuses_what_is_not_a_backup_and_changes_nothing(tmp_path, empty_target) -> None:
    fresh = empty_target
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tar file")
    code, _out, err = _run("restore", junk)
    assert code == 1
    assert "is not a Stegvis backup" in err
    code, _out, err = _run("restore", tmp_path / "missing.tar.gz")
    assert code == 1
    assert "no such file" in err

    # a backup whose database file was damaged in transit
    other = tmp_path / "other.tar.gz"
    manifest = {
        "format": "stegvis-backup",
        "format_version": 1,
        "schema_revision": "0001",
        "database": {"dialect": "sqlite", "file": "database/stegvis.db"},
        "keys": {"file": None},
        "chroma": None,
        "rows": {},
        "files": {"database/stegvis.db": {"bytes": 3, "sha256": "0" * 64}},
    }
    src = tmp_path / "m"
    src.mkdir()
    (src / "manifest.json").write_text(json.dumps(manifest))
    (src / "stegvis.db").write_bytes(b"abc")
    with tarfile.open(other, "w:gz") as tar:
        tar.add(src / "manifest.json", arcname="manifest.json")
        tar.add(src / "stegvis.db", arcname="database/stegvis.db")
    code, _out, err = _run("restore", other)
    assert code == 1
    assert "damaged (checksum)" in err
    manifest["schema_revision"] = "9999_future"
    (src / "manifest.json").write_text(json.dumps(manifest))
    with tarfile.open(other, "w:gz") as tar:
        tar.add(src / "manifest.json", arcname="manifest.json")
    code, _out, err = _run("restore", other)
    assert code == 1
    assert "does not know" in err
    assert not fresh.exists() or not any(fresh.iterdir())
