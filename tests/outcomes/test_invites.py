"""Invites and contacts: single-use tokens, expiry, revocation, declining, encrypted bindings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from outcomes.clock import set_clock, utcnow
from outcomes.contacts import (
    Contact,
    Invite,
    PersonRole,
    chat_id_of,
    decrypt_chat_id,
    find_by_user,
    user_key,
)
from outcomes.errors import Conflict, NotFound
from outcomes.invites import (
    InviteStatus,
    InviteUnusable,
    create_invites,
    decline,
    list_invites,
    redeem,
    revoke,
)
from outcomes.models import AuditLog, Pair, Participant
from tests.utils.pairs import make_pair


@pytest.fixture
def pair(db):
    return make_pair(db)


def test_two_single_use_links_per_pair(session: Session, settings, pair):
    issued = create_invites(session, pair_id=pair.pair, actor="staff:t", settings=settings)
    session.commit()
    mentor, participant = issued[PersonRole.mentor], issued[PersonRole.participant]
    assert mentor.token != participant.token
    assert mentor.link == f"https://t.me/{settings.bot_username}?start={mentor.token}"
    stored = session.exec(select(Invite)).all()
    assert {i.role for i in stored} == {PersonRole.mentor, PersonRole.participant}
    assert all(mentor.token not in i.token_hash and len(i.token_hash) == 64 for i in stored)

    contact = redeem(
        session, settings, token=participant.token, user_id=501, chat_id=501, language="ar"
    )
    session.commit()
    assert (contact.person, contact.role, contact.pair) == ("p-1", PersonRole.participant, "pair-1")
    assert session.get(Participant, "p-1").language == "ar"
    with pytest.raises(InviteUnusable) as used:
        redeem(session, settings, token=participant.token, user_id=502, chat_id=502, language="sv")
    assert used.value.status is InviteStatus.used
    assert find_by_user(session, settings, 502) is None


def test_chat_id_is_encrypted_and_user_found_by_keyed_hash(session: Session, settings, pair):
    issued = create_invites(session, pair_id=pair.pair, actor="staff:t", settings=settings)
    redeem(
        session,
        settings,
        token=issued[PersonRole.mentor].token,
        user_id=777001,
        chat_id=777001,
        language="sv",
    )
    session.commit()
    row = session.exec(select(Contact)).one()
    assert "777001" not in row.chat_enc
    assert "777001" not in row.user_key
    assert row.user_key == user_key(settings, 777001)
    assert decrypt_chat_id(settings, row.chat_enc) == 777001
    assert chat_id_of(session, settings, "m-1") == 777001
    assert chat_id_of(session, settings, "p-1") is None
    assert find_by_user(session, settings, 777001).person == "m-1"


def test_expired_and_revoked_invites_are_refused(session: Session, settings, pair):
    issued = create_invites(
        session, pair_id=pair.pair, actor="staff:t", settings=settings, ttl_days=1
    )
    session.commit()
    later = utcnow() + timedelta(days=1, seconds=1)
    set_clock(lambda: later)
    try:
        with pytest.raises(InviteUnusable) as expired:
            redeem(
                session,
                settings,
                token=issued[PersonRole.mentor].token,
                user_id=1,
                chat_id=1,
                language="sv",
            )
        assert expired.value.status is InviteStatus.expired
    finally:
        set_clock(None)
    assert revoke(session, pair_id=pair.pair, actor="staff:t", role=PersonRole.participant) == 1
    with pytest.raises(InviteUnusable) as revoked:
        redeem(
            session,
            settings,
            token=issued[PersonRole.participant].token,
            user_id=1,
            chat_id=1,
            language="sv",
        )
    assert revoked.value.status is InviteStatus.revoked


def test_new_invites_revoke_the_unused_ones(session: Session, settings, pair):
    first = create_invites(session, pair_id=pair.pair, actor="staff:t", settings=settings)
    create_invites(session, pair_id=pair.pair, actor="staff:t", settings=settings)
    session.commit()
    with pytest.raises(InviteUnusable):
        redeem(
            session,
            settings,
            token=first[PersonRole.mentor].token,
            user_id=1,
            chat_id=1,
            language="sv",
        )
    statuses = [v.status for v in list_invites(session, pair.pair)]
    assert statuses.count(InviteStatus.active) == 2
    assert statuses.count(InviteStatus.revoked) == 2


def test_declining_records_only_the_refusal(session: Session, settings, pair):
    issued = create_invites(session, pair_id=pair.pair, actor="staff:t", settings=settings)
    decline(session, token=issued[PersonRole.participant].token)
    session.commit()
    assert session.exec(select(Contact)).all() == []
    views = {v.role: v.status for v in list_invites(session, pair.pair)}
    assert views[PersonRole.participant] is InviteStatus.declined
    assert views[PersonRole.mentor] is InviteStatus.active
    with pytest.raises(InviteUnusable):
        redeem(
            session,
            settings,
            token=issued[PersonRole.participant].token,
            user_id=5,
            chat_id=5,
            language="sv",
        )


def test_unknown_or_malformed_tokens(session: Session, settings, pair):
    for token in ("", "short", "x" * 200, "nope-nope-nope-nope-nope", "../../etc/passwd"):
        with pytest.raises(InviteUnusable) as exc:
            redeem(session, settings, token=token, user_id=9, chat_id=9, language="sv")
        assert exc.value.status is InviteStatus.unknown
    with pytest.raises(NotFound):
        create_invites(session, pair_id="no-such-pair", actor="staff:t", settings=settings)


def test_one_account_cannot_speak_for_two_people_in_running_pairs(session: Session, settings, db):
    a, b = make_pair(db, 1), make_pair(db, 2)
    first = create_invites(session, pair_id=a.pair, actor="staff:t", settings=settings)
    second = create_invites(session, pair_id=b.pair, actor="staff:t", settings=settings)
    redeem(
        session,
        settings,
        token=first[PersonRole.mentor].token,
        user_id=42,
        chat_id=42,
        language="sv",
    )
    session.commit()
    with pytest.raises(Conflict):
        redeem(
            session,
            settings,
            token=second[PersonRole.participant].token,
            user_id=42,
            chat_id=42,
            language="sv",
        )
    session.rollback()
    # once the first pair has ended, the account may join a new one
    pair = session.get(Pair, a.pair)
    pair.ended_on = pair.matched_on
    session.add(pair)
    session.commit()
    contact = redeem(
        session,
        settings,
        token=second[PersonRole.participant].token,
        user_id=42,
        chat_id=42,
        language="uk",
    )
    session.commit()
    assert contact.person == b.participant
    assert [c.person for c in session.exec(select(Contact)).all()] == [b.participant]


def test_a_new_account_for_the_same_person_replaces_the_old(session: Session, settings, pair):
    first = create_invites(session, pair_id=pair.pair, actor="staff:t", settings=settings)
    redeem(
        session,
        settings,
        token=first[PersonRole.participant].token,
        user_id=1,
        chat_id=1,
        language="sv",
    )
    second = create_invites(session, pair_id=pair.pair, actor="staff:t", settings=settings)
    redeem(
        session,
        settings,
        token=second[PersonRole.participant].token,
        user_id=2,
        chat_id=2,
        language="fa",
    )
    session.commit()
    assert find_by_user(session, settings, 1) is None
    assert chat_id_of(session, settings, "p-1") == 2


def test_invite_actions_are_audited_without_tokens(session: Session, settings, pair):
    issued = create_invites(session, pair_id=pair.pair, actor="staff:t", settings=settings)
    decline(session, token=issued[PersonRole.mentor].token)
    session.commit()
    entries = session.exec(select(AuditLog).where(AuditLog.table_name == "invite")).all()
    assert sorted(e.action for e in entries) == ["create", "create", "decline"]
    text = repr([(e.before, e.after) for e in entries])
    assert issued[PersonRole.mentor].token not in text
    assert issued[PersonRole.participant].token not in text


def test_clock_is_timezone_aware(session: Session, settings, pair):
    issued = create_invites(session, pair_id=pair.pair, actor="staff:t", settings=settings)
    session.commit()
    assert issued[PersonRole.mentor].expires_at.tzinfo is not None
    assert issued[PersonRole.mentor].expires_at > datetime.now(UTC) + timedelta(days=29)
