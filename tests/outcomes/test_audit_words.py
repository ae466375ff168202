"""The audit log keeps that a person's note was there or changed, never the words themselves:
on creation, correction, voiding and import alike."""

from __future__ import annotations

from sqlmodel import Session, select

from outcomes.audit import CHANGED, KEPT
from outcomes.importer import import_jsonl
from outcomes.models import AuditLog
from outcomes.schemas import EventAttributes, EventUpdate
from outcomes.service import correct_event, void_event
from tests.utils.factories import line, make_event, make_participant

WORDS = "my interview at the bakery went well"


def _trail(session: Session, event_id: str) -> list[AuditLog]:
    query = select(AuditLog).where(AuditLog.record_id == event_id).order_by(AuditLog.id)
    return list(session.exec(query).all())


def test_no_entry_holds_the_words_of_a_note(session: Session) -> None:
    event = make_event(session, note=WORDS)
    correct_event(
        session,
        event_id=event.id,
        change=EventUpdate(attributes=EventAttributes(note="a new text of mine")),
        actor="staff:t",
    )
    correct_event(
        session,
        event_id=event.id,
        change=EventUpdate(attributes=EventAttributes(note="a new text of mine", relevant=True)),
        actor="staff:t",
    )
    void_event(session, event_id=event.id, actor="staff:t")
    correct_event(session, event_id=event.id, change=EventUpdate(attributes=None), actor="staff:t")
    session.commit()
    trail = _trail(session, event.id)
    assert [e.action for e in trail] == ["create", "correct", "correct", "void", "correct"]
    notes = (
        [(e.before or {}).get("note") for e in trail],
        [(e.after or {}).get("note") for e in trail],
    )
    assert notes == (
        [None, KEPT, KEPT, KEPT, KEPT],
        [KEPT, CHANGED, KEPT, KEPT, None],  # written, changed, kept, kept, removed
    )
    assert trail[2].before["relevant"] is None
    assert trail[2].after["relevant"] is True
    assert all(WORDS not in str(e.before) + str(e.after) for e in trail)


def test_an_import_that_changes_a_note_keeps_no_words(session: Session) -> None:
    person = make_participant(session)
    event = make_event(session, participant=person, id="e1", note=WORDS)
    session.commit()
    changed = line(
        "event",
        id="e1",
        participant=person.id,
        type="cv_improved",
        occurred_on="2025-03-01",
        source="staff",
        attributes={"note": "corrected words"},
    )
    import_jsonl(session, [changed], actor="import")
    session.commit()
    [entry] = [e for e in _trail(session, event.id) if e.action == "import_update"]
    assert (entry.before["note"], entry.after["note"]) == (KEPT, CHANGED)
