"""Backup and restore: one ``.tar.gz`` holding the database, the keys file and the Chroma index.

    manifest = backup(settings, Path("stegvis-2026-12-03.tar.gz"))
    manifest = restore(settings, Path("stegvis-2026-12-03.tar.gz"))          # an empty target
    manifest = restore(settings, Path("stegvis-2026-12-03.tar.gz"), force=True)

The archive (written with mode 600: it holds the keys that decrypt the Telegram chat ids):

- ``manifest.json`` — ``format``, ``format_version``, the Stegvis version, the schema revision
  (Alembic), ``created_at``, what is inside (each file's size and SHA-256) and the row count of
  every table;
- ``database/stegvis.db`` — SQLite, copied with SQLite's online backup API (a consistent copy
  while the bot writes), or ``database/stegvis.pgdump`` — PostgreSQL, ``pg_dump
  --format=custom`` (one consistent snapshot; restored with ``pg_restore``; the client must be
  of the server's major version or newer);
- ``keys.json`` — the generated keys of the embedded default (``data/keys.json``); keys set in
  the environment (``STEGVIS_HMAC_KEY``, ``STEGVIS_CONTACT_KEY``) are not in the archive and must
  be kept with it;
- ``chroma/`` — the embedded Chroma index folder (``data/chroma``), when there is one.

``restore`` reads and checks the whole archive (format, schema revision known to this code,
every checksum) before it writes anything, and refuses a target that is not empty — a database
with any table, an existing keys file or Chroma folder — unless ``force``: then the database is
replaced (SQLite: by the backup API; PostgreSQL: ``pg_restore --clean --if-exists``), and so are
the keys file (mode 600) and the Chroma folder.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata as package_metadata
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, cast

import zstandard
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, inspect
from sqlalchemy import select as sa_select
from sqlalchemy.engine import URL, make_url

from core.settings import KEYS_FILE, Settings
from outcomes.clock import utcnow
from outcomes.db import alembic_config, make_engine
from outcomes.errors import DomainError
from outcomes.tables import metadata

FORMAT = "stegvis-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database/stegvis.db"
PG_FILE = "database/stegvis.pgdump"
CHROMA = "chroma"
ZSTD_LEVEL = 1  # a third of the CPU of gzip level 1, and 15% smaller
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
COMPRESSION = 1  # gzip level: the database dominates; 1 is 2.3x faster than 6, 11% larger


class BackupError(DomainError):
    """A backup or restore that cannot be done; nothing was changed."""


class TargetNotEmpty(BackupError):
    """``restore`` without ``force`` into a target that already holds data."""


@dataclass(frozen=True)
class _Pg:
    """How to reach a PostgreSQL database with the libpq tools (the password in the env)."""

    dsn: str
    env: dict[str, str]


def _pg(url: URL) -> _Pg:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return _Pg(plain.render_as_string(hide_password=False), env)


def _tool(name: str) -> str:
    found = shutil.which(name) or (
        f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None
    )
    if found is None:
        raise BackupError(
            f"{name} not found: install the PostgreSQL client (Debian: postgresql-client) of "
            "the server's major version or newer"
        )
    return found


def _run(args: list[str], env: dict[str, str], what: str) -> str:
    # the arguments are a tool found on PATH and the configured database, never user input
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{what} failed: {reason}")
    return done.stdout


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _version() -> str:
    try:
        return package_metadata.version("stegvis")
    except package_metadata.PackageNotFoundError:
        return "unknown"


def schema_revision(engine: Engine) -> str | None:
    """The database's Alembic revision (None: no Stegvis schema)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def row_counts(engine: Engine) -> dict[str, int]:
    """The number of rows of every Stegvis table."""
    with engine.connect() as conn:
        return {
            table.name: int(conn.execute(sa_select(func.count()).select_from(table)).scalar_one())
            for table in metadata().sorted_tables
        }


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


# --- backup ---------------------------------------------------------------------------------


def backup(settings: Settings, out: Path, *, engine: Engine | None = None) -> dict[str, Any]:
    """Write one archive of the database, the keys file and the Chroma index; its manifest."""
    url = make_url(settings.resolved_database_url)
    engine = engine or make_engine(settings.resolved_database_url)
    revision = schema_revision(engine)
    if revision is None:
        raise BackupError("the database has no Stegvis schema: nothing to back up")
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".stegvis-backup-") as tmp:
        work = Path(tmp)
        files: dict[str, Path] = {}
        if url.get_backend_name() == "sqlite":
            source = _sqlite_path(url)
            copy = work / "stegvis.db"
            with sqlite3.connect(source) as src, sqlite3.connect(copy) as dst:
                src.backup(dst)
            src.close()
            dst.close()
            files[SQLITE_FILE] = copy
            database = {
                "dialect": "sqlite",
                "file": SQLITE_FILE,
                "tool": f"sqlite3 online backup API (SQLite {sqlite3.sqlite_version})",
            }
        elif url.get_backend_name() == "postgresql":
            pg = _pg(url)
            dump = work / "stegvis.pgdump"
            pg_dump = _tool("pg_dump")
            version = _run([pg_dump, "--version"], pg.env, "pg_dump --version").strip()
            _run(
                [pg_dump, "--format=custom", "--no-owner", "--no-privileges", "--compress=0"]
                + ["--file", str(dump), "--dbname", pg.dsn],
                pg.env,
                "pg_dump",
            )
            files[PG_FILE] = dump
            database = {"dialect": "postgresql", "file": PG_FILE, "tool": version}
        else:
            raise BackupError(f"cannot back up a {url.get_backend_name()} database")
        counts = row_counts(engine)
        keys_file = settings.data_dir / KEYS_FILE
        keys: dict[str, Any]
        if keys_file.is_file():
            files[KEYS_FILE] = keys_file
            keys = {"file": KEYS_FILE}
        else:
            keys = {"file": None}
        if settings.keys_from_environment:
            keys["environment"] = (
                "STEGVIS_HMAC_KEY / STEGVIS_CONTACT_KEY are set: those keys are not in this "
                "archive; keep them with it"
            )
        chroma: dict[str, Any] | None = None
        if settings.chroma_url is None and settings.chroma_dir.is_dir():
            inside = sorted(p for p in settings.chroma_dir.rglob("*") if p.is_file())
            for path in inside:
                name = f"{CHROMA}/{path.relative_to(settings.chroma_dir).as_posix()}"
                files[name] = path
            chroma = {"folder": f"{CHROMA}/", "files": len(inside)}
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "stegvis_version": _version(),
            "schema_revision": revision,
            "created_at": utcnow().isoformat(),
            "database": database,
            "keys": keys,
            "chroma": chroma,
            "rows": counts,
            "files": {
                name: {"bytes": path.stat().st_size, "sha256": _sha256(path)}
                for name, path in files.items()
            },
        }
        partial = work / "archive.partial"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with (
            os.fdopen(fd, "wb") as raw,
            _compressor(raw, zstd=out.name.endswith(".zst")) as packed,
            tarfile.open(fileobj=packed, mode="w|") as tar,
        ):
            data = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mode = 0o600
            info.mtime = int(utcnow().timestamp())
            tar.addfile(info, io.BytesIO(data))
            for name, path in files.items():
                tar.add(path, arcname=name, recursive=False, filter=_private)
        os.replace(partial, out)
    return manifest


@contextmanager
def _compressor(raw: BinaryIO, *, zstd: bool) -> Iterator[BinaryIO]:
    """A writer that compresses into ``raw``: Zstandard (``.tar.zst``) or gzip."""
    if zstd:
        packer = zstandard.ZstdCompressor(level=ZSTD_LEVEL, threads=-1)
        with packer.stream_writer(raw, closefd=False) as writer:
            yield cast(BinaryIO, writer)
    else:
        with ParallelGzip(raw) as gz:
            yield cast(BinaryIO, gz)


@contextmanager
def _reader(archive: Path) -> Iterator[tarfile.TarFile]:
    """The archive as a tar stream, read in order (gzip or Zstandard, known by its first bytes)."""
    with archive.open("rb") as fh:
        magic = fh.read(4)
        fh.seek(0)
        if magic == ZSTD_MAGIC:
            with (
                zstandard.ZstdDecompressor().stream_reader(fh) as unpacked,
                tarfile.open(fileobj=unpacked, mode="r|") as tar,
            ):
                yield tar
        else:
            with tarfile.open(fileobj=fh, mode="r|gz") as tar:
                yield tar


class ParallelGzip(io.RawIOBase):
    """A gzip stream compressed on every core: blocks of ``BLOCK`` bytes, each its own member.

    A gzip file may be several members one after the other (RFC 1952); ``tar xzf``, Python's
    ``gzip`` and ``tarfile`` read it as one stream. zlib lets go of the GIL while it works, so
    the blocks compress side by side in threads, and are written in order.
    """

    BLOCK = 8 << 20

    def __init__(self, raw: BinaryIO, level: int = COMPRESSION) -> None:
        super().__init__()
        self._raw = raw
        self._level = level
        self._buffer = bytearray()
        self._pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2))
        self._pending: deque[Future[bytes]] = deque()
        self._ahead = 2 * (os.cpu_count() or 2)

    def writable(self) -> bool:
        return True

    def _compress(self, block: bytes) -> bytes:
        packer = zlib.compressobj(self._level, zlib.DEFLATED, 31)  # 31: a gzip member
        return packer.compress(block) + packer.flush()

    def _drain(self, keep: int) -> None:
        while len(self._pending) > keep:
            self._raw.write(self._pending.popleft().result())

    def write(self, data: Any) -> int:
        self._buffer += data
        while len(self._buffer) >= self.BLOCK:
            block = bytes(self._buffer[: self.BLOCK])
            del self._buffer[: self.BLOCK]
            self._pending.append(self._pool.submit(self._compress, block))
            self._drain(self._ahead)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            if self._buffer:
                self._pending.append(self._pool.submit(self._compress, bytes(self._buffer)))
                self._buffer.clear()
            self._drain(0)
            self._pool.shutdown()
        super().close()


def _private(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mode = 0o600
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


# --- restore --------------------------------------------------------------------------------


def read_manifest(archive: Path) -> dict[str, Any]:
    """The archive's manifest, checked: our format, a version and a schema this code knows."""
    if not archive.is_file():
        raise BackupError(f"{archive}: no such file")
    try:
        with _reader(archive) as tar:
            first = tar.next()  # the manifest is the first member
            member = tar.extractfile(first) if first and first.name == MANIFEST else None
            if member is None:
                raise KeyError(MANIFEST)
            manifest: dict[str, Any] = json.loads(member.read())
    except (
        tarfile.TarError,
        zstandard.ZstdError,
        KeyError,
        OSError,
        EOFError,
        json.JSONDecodeError,
    ) as exc:
        raise BackupError(f"{archive} is not a Stegvis backup ({type(exc).__name__})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} is not a Stegvis backup (format {manifest.get('format')!r})")
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise BackupError(
            f"{archive} is of backup format {manifest['format_version']}; this Stegvis reads "
            f"format {FORMAT_VERSION}: restore it with the Stegvis that made it"
        )
    revision = str(manifest.get("schema_revision"))
    scripts = ScriptDirectory.from_config(alembic_config())
    try:
        known = scripts.get_revision(revision) is not None
    except Exception:  # alembic raises several kinds for an unknown id
        known = False
    if not known:
        raise BackupError(
            f"{archive} has schema revision {revision!r}, which this Stegvis does not know "
            "(made by a newer version?): restore it with the Stegvis that made it"
        )
    return manifest


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and name != ""


def _extract(archive: Path, manifest: dict[str, Any], into: Path) -> None:
    """Extract every file the manifest lists into ``into`` and check its SHA-256."""
    wanted: dict[str, dict[str, Any]] = manifest.get("files", {})
    seen = set()
    with _reader(archive) as tar:
        for member in tar:
            if member.name == MANIFEST:
                continue
            if member.name not in wanted or not member.isfile() or not _safe_name(member.name):
                raise BackupError(f"{archive}: unexpected member {member.name!r}; nothing restored")
            target = into / member.name
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None
            with target.open("wb") as fh:
                shutil.copyfileobj(source, fh, 1 << 20)
            if _sha256(target) != wanted[member.name]["sha256"]:
                raise BackupError(
                    f"{archive}: {member.name} is damaged (checksum); nothing restored"
                )
            seen.add(member.name)
    missing = sorted(set(wanted) - seen)
    if missing:
        raise BackupError(f"{archive}: {', '.join(missing)} missing; nothing restored")


def _tables_in(url: URL) -> list[str]:
    if url.get_backend_name() == "sqlite":
        path = _sqlite_path(url)
        if not path.exists() or path.stat().st_size == 0:
            return []
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            rows = conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            ).fetchall()
        conn.close()
        return [r[0] for r in rows]
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        return list(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _occupied(settings: Settings, url: URL, manifest: dict[str, Any]) -> list[str]:
    """What of the target already holds data (empty: the target is free)."""
    problems = []
    tables = _tables_in(url)
    if tables:
        where = url.render_as_string(hide_password=True)
        problems.append(f"the database {where} has {len(tables)} table(s)")
    keys_file = settings.data_dir / KEYS_FILE
    if manifest["keys"].get("file") and keys_file.exists():
        problems.append(f"{keys_file} exists")
    if (
        manifest.get("chroma")
        and settings.chroma_dir.is_dir()
        and any(settings.chroma_dir.iterdir())
    ):
        problems.append(f"{settings.chroma_dir} is not empty")
    return problems


def restore(settings: Settings, archive: Path, *, force: bool = False) -> dict[str, Any]:
    """Restore an archive of ``backup`` into the configured database and data folder."""
    manifest = read_manifest(archive)
    url = make_url(settings.resolved_database_url)
    dialect = manifest["database"]["dialect"]
    if dialect != url.get_backend_name():
        raise BackupError(
            f"{archive} holds a {dialect} database; the configured database is "
            f"{url.get_backend_name()} (STEGVIS_DATABASE_URL)"
        )
    problems = _occupied(settings, url, manifest)
    if problems and not force:
        raise TargetNotEmpty(
            "the target is not empty: " + "; ".join(problems) + ". Nothing was changed; "
            "restore into an empty data folder and database, or give --force to replace them"
        )
    work_parent = settings.data_dir.resolve().parent
    work_parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work_parent, prefix=".stegvis-restore-") as tmp:
        work = Path(tmp)
        _extract(archive, manifest, work)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if dialect == "sqlite":
            _restore_sqlite(work / manifest["database"]["file"], _sqlite_path(url))
        else:
            _restore_pg(work / manifest["database"]["file"], url, clean=bool(problems))
        if manifest["keys"].get("file"):
            _restore_keys(work / KEYS_FILE, settings.data_dir / KEYS_FILE)
        if manifest.get("chroma"):
            _restore_folder(work / CHROMA, settings.chroma_dir, work / "old-chroma")
    return manifest


def _restore_sqlite(copy: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(copy) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
        dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    src.close()
    dst.close()


def _restore_pg(dump: Path, url: URL, *, clean: bool) -> None:
    pg = _pg(url)
    args = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error"]
    args += ["--single-transaction"]
    if clean:
        args += ["--clean", "--if-exists"]
    _run([*args, "--dbname", pg.dsn, str(dump)], pg.env, "pg_restore")


def _restore_keys(source: Path, target: Path) -> None:
    """The keys file, mode 600 from the start (a new file renamed over any old one)."""
    new = target.with_suffix(".restoring")
    new.unlink(missing_ok=True)
    fd = os.open(new, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(source.read_bytes())
    os.replace(new, target)
    os.chmod(target, 0o600)


def _restore_folder(source: Path, target: Path, aside: Path) -> None:
    source.mkdir(parents=True, exist_ok=True)  # an index folder that was empty
    if target.exists():
        shutil.move(str(target), str(aside))
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(source), str(target))
