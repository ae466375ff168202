"""Demo pairs for the sandbox: pseudonymous records someone can join by an invite, in one step.

``create_demo_pair`` writes a mentor, a participant and their pair in the cohort ``sandbox``
(made on first use) and issues the pair's two invites. ``DemoInvites.take(role)`` hands out one
invite at a time so that people created one after the other meet: a mentor's request takes the
waiting mentor invite of the newest demo pair if its participant invite is already out, else a
new pair is made and its other invite waits. Demo data only: ``stegvis up`` uses it in the
sandbox (``POST /_sandbox/invite``), never with real Telegram.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from core.settings import Settings
from core.vocab import Gender
from outcomes.clock import today
from outcomes.contacts import PersonRole
from outcomes.db import session_scope
from outcomes.invites import create_invites
from outcomes.models import Cohort, Mentor, Pair, Participant
from outcomes.schemas import CohortCreate, MentorCreate, PairCreate, ParticipantCreate
from outcomes.service import create_record, new_id

DEMO_COHORT = "sandbox"
DEMO_ACTOR = "sandbox"  # who wrote it, in the audit log


def create_demo_pair(
    session: Session, *, settings: Settings, actor: str = DEMO_ACTOR
) -> dict[PersonRole, str]:
    """A new demo pair in the cohort ``sandbox``, and the tokens of its two invites by role."""
    day = today()
    if session.get(Cohort, DEMO_COHORT) is None:
        cohort = CohortCreate(
            id=DEMO_COHORT,
            name="Sandbox (demo data)",
            start=day - timedelta(days=30),
            end=day + timedelta(days=365),
        )
        create_record(session, Cohort, cohort, actor=actor)
    mentor = create_record(
        session, Mentor, MentorCreate(id=new_id("sbx-m"), cohort=DEMO_COHORT), actor=actor
    )
    participant = create_record(
        session,
        Participant,
        ParticipantCreate(id=new_id("sbx-p"), cohort=DEMO_COHORT, gender=Gender.unspecified),
        actor=actor,
    )
    pair = PairCreate(
        id=new_id("sbx"), mentor=mentor.id, participant=participant.id, matched_on=day
    )
    create_record(session, Pair, pair, actor=actor)
    issued = create_invites(session, pair_id=pair.id, actor=actor, settings=settings)
    return {role: invite.token for role, invite in issued.items()}


class DemoInvites:
    """Invite tokens for sandbox people: a mentor and a participant asked for in turn share a pair."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self._engine = engine
        self._settings = settings
        self._waiting: dict[PersonRole, str] = {}  # the unused token of the newest demo pair

    def take(self, role: PersonRole) -> str:
        """A fresh invite token for ``role``."""
        token = self._waiting.pop(role, None)
        if token is not None:
            return token
        with session_scope(self._engine) as session:
            tokens = create_demo_pair(session, settings=self._settings)
        other = PersonRole.participant if role is PersonRole.mentor else PersonRole.mentor
        self._waiting[other] = tokens[other]
        return tokens[role]
