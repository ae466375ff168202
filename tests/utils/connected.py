"""A cohort of pairs whose mentors and participants are all connected to the bot, made fast
(bulk inserts), for fan-outs: announcements to thousands of people."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Engine, insert
from sqlmodel import Session

from core.languages import LANGUAGES
from core.settings import Settings
from emulator.config import UserSpec
from outcomes.contacts import Contact, encrypt_chat_id, user_key
from outcomes.models import Cohort, Mentor, Pair, Participant
from outcomes.types import table_of


def user_of(i: int, role: str, first: int) -> int:
    """The Telegram user id of pair ``i``'s participant or mentor."""
    return first + 2 * i + (role == "mentor")


def language_of(i: int, role: str) -> str:
    """Languages spread over everyone: person number ``2i`` / ``2i+1`` cycles through them."""
    return LANGUAGES[(2 * i + (role == "mentor")) % len(LANGUAGES)]


def connected_cohort(
    engine: Engine,
    settings: Settings,
    pairs: int,
    *,
    first: int,
    cohort: str = "c-a",
    start: date = date(2025, 2, 1),
    now: datetime,
) -> list[UserSpec]:
    """``pairs`` pairs (``pr-i``, participants ``p-i``, mentors ``m-i``) in ``cohort``, everyone
    connected, languages spread over the bot's; returns the emulator users (started)."""
    with Session(engine) as session:
        session.add(
            Cohort(id=cohort, name="Announce", start=start, end=start + timedelta(days=240))
        )
        session.commit()
    with engine.begin() as conn:
        for lo in range(0, pairs, 1000):
            ids = range(lo, min(pairs, lo + 1000))
            conn.execute(
                insert(table_of(Participant)),
                [
                    {"id": f"p-{i}", "cohort": cohort, "gender": "woman", "arm": "intervention"}
                    for i in ids
                ],
            )
            conn.execute(
                insert(table_of(Mentor)), [{"id": f"m-{i}", "cohort": cohort} for i in ids]
            )
            conn.execute(
                insert(table_of(Pair)),
                [
                    {
                        "id": f"pr-{i}",
                        "mentor": f"m-{i}",
                        "participant": f"p-{i}",
                        "matched_on": start,
                    }
                    for i in ids
                ],
            )
            conn.execute(
                insert(table_of(Contact)),
                [
                    {
                        "person": f"{role[0]}-{i}",
                        "role": role,
                        "pair": f"pr-{i}",
                        "user_key": user_key(settings, user_of(i, role, first)),
                        "chat_enc": encrypt_chat_id(settings, user_of(i, role, first)),
                        "language": language_of(i, role),
                        "consent": "given",
                        "consented_at": now,
                        "updated_at": now,
                    }
                    for i in ids
                    for role in ("participant", "mentor")
                ],
            )
    return [
        UserSpec(user_id=user_of(i, role, first), first_name=f"{role[0]}{i}", started=True)
        for i in range(pairs)
        for role in ("participant", "mentor")
    ]
