"""After /delete no copy of the person's words, name or Telegram ids is left on disk.

SQLite: every file under the data folder (the database, its -wal and -shm, the Chroma folder,
logs) is read as bytes, while the bot runs and after it stopped. PostgreSQL keeps its files on
the server, out of reach of a test: there every tuple of every table, live or dead, is read
back with ``pageinspect`` (what a later reader of the data files could find until VACUUM).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from bot.i18n import Tr
from core.settings import Settings
from outcomes.contacts import Contact
from outcomes.db import make_engine, migrate
from outcomes.models import AuditLog, Event
from outcomes.tables import metadata
from tests.utils.botdriver import buttons, running_bot
from tests.utils.pairs import make_pair

pytestmark = pytest.mark.e2e

WORDS = "I had a job interview yesterday, Qwertyuiop"
SECRET_WORD = b"Qwertyuiop"
NAME = "Zenobia"


def files_holding(folder: Path, needles: list[bytes]) -> dict[str, list[bytes]]:
    """The files under ``folder`` that contain any of ``needles`` (and which ones)."""
    found: dict[str, list[bytes]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        hits = [n for n in needles if n in data]
        if hits:
            found[str(path.relative_to(folder))] = hits
    return found


def tuples_holding(engine: Engine, needles: list[bytes]) -> dict[str, list[bytes]]:
    """PostgreSQL: the tables any of whose tuples (live or dead) contains one of ``needles``."""
    found: dict[str, list[bytes]] = {}
    with engine.connect() as conn:
        for table in metadata().sorted_tables:
            rows = conn.execute(
                text(
                    "SELECT t_data FROM generate_series(0, (pg_relation_size(CAST(:t AS text)) "
                    "/ current_setting('block_size')::int)::int - 1) AS blk, LATERAL "
                    "heap_page_items(get_raw_page(CAST(:t AS text), blk::int)) "
                    "WHERE t_data IS NOT NULL"
                ),
                {"t": table.name},
            ).scalars()
            data = b"".join(bytes(r) for r in rows)
            hits = [n for n in needles if n in data]
            if hits:
                found[table.name] = hits
    return found


@pytest.fixture
def data_db(settings: Settings, database_url: str, db: Engine) -> Iterator[Engine]:
    """SQLite: a database file inside the data folder (so that the grep sees it); PostgreSQL:
    the test database, with pageinspect to read its pages."""
    if database_url.startswith("sqlite"):
        engine = make_engine(f"sqlite:///{settings.ensure_data_dir() / 'stegvis.db'}")
        migrate(engine)
        yield engine
        engine.dispose()
        return
    with db.begin() as conn:
        try:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
        except Exception as exc:  # not a superuser: the check cannot be made here
            pytest.skip(f"pageinspect is not available: {type(exc).__name__}")
    yield db


def on_disk(settings: Settings, engine: Engine, needles: list[bytes]) -> dict[str, list[bytes]]:
    if engine.dialect.name == "sqlite":
        return files_holding(settings.data_dir, needles)
    return tuples_holding(engine, needles)


async def test_after_delete_nothing_of_the_person_is_on_disk(settings: Settings, data_db) -> None:
    engine = data_db
    pair = make_pair(engine)
    en = Tr("en")
    async with running_bot(settings, engine) as world:
        person = await world.join(pair.pair, "participant", name=NAME, language_code="en")
        [proposal] = await world.say(person, WORDS, within=60)
        assert any("Job interview" in label for label, _ in buttons(proposal)), proposal["text"]
        await world.press(person, en.label("💾 Save"))
        [saved] = await world.press(person, en.label("Yesterday"))
        assert saved["text"].startswith("✅ Saved")
        with Session(engine) as s:
            [event] = s.exec(select(Event)).all()
            assert SECRET_WORD.decode() in (event.note or "")
            contact = s.exec(select(Contact).where(Contact.person == pair.participant)).one()
            # the audit log knows that a note was written, not what it says
            audit = " ".join(str(a.after) for a in s.exec(select(AuditLog)).all())
            assert SECRET_WORD.decode() not in audit
        needles = [
            SECRET_WORD,
            NAME.encode(),
            str(person.user.user_id).encode(),
            str(person.chat).encode(),
            contact.user_key.encode(),
            contact.chat_enc.encode(),
        ]
        if engine.dialect.name == "sqlite":  # as SQLite does now and then: pages into the file
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        stored = on_disk(settings, engine, needles)
        assert any(SECRET_WORD in hits for hits in stored.values())  # the check can see them

        await world.say(person, "/delete")
        [gone] = await world.press(person, en.label("Yes, delete"))
        assert gone["text"].startswith("Your data has been deleted.")
        assert on_disk(settings, engine, needles) == {}
        await world.say(person, "/help")  # the bot goes on writing to the same files
        assert on_disk(settings, engine, needles) == {}
    engine.dispose()
    assert on_disk(settings, engine, needles) == {}
