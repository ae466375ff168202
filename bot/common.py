"""Words and answers every flow shares: step and activity names, and the polite refusals."""

from __future__ import annotations

import re

from bot.i18n import N_, Tr
from bot.replies import Outcome, say
from bot.state import Turn
from core.vocab import EVENT_BUTTON_ORDER
from outcomes.models import Pair, Participant

# The step-to-work event types of spec/outcomes.md, in plain words (the /progress buttons).
EVENT_LABELS: dict[str, str] = {
    "job_started": N_("💼 New job"),
    "job_changed": N_("🔄 Changed job"),
    "job_ended": N_("Job ended"),
    "internship_started": N_("🧰 Internship (praktik)"),
    "education_started": N_("🎓 Started studies"),
    "interview_attended": N_("🤝 Job interview"),
    "cv_improved": N_("📄 Better CV or letter"),
    "network_expanded": N_("👥 New work contact"),
    "reference_obtained": N_("⭐ Got a reference"),
    "workplace_visit": N_("🏢 Workplace visit"),
    "learned_education_system": N_("🏫 Learned how studies work here"),
    "learned_social_codes": N_("☕ Learned workplace codes"),
    "swedish_improved": N_("🗣 Better Swedish"),
    "professional_swedish_improved": N_("🔧 Swedish for my field"),
}
EVENT_TYPES: tuple[str, ...] = tuple(t.value for t in EVENT_BUTTON_ORDER)
"""The order of the event buttons (``core.vocab.EVENT_BUTTON_ORDER``)."""

# What a pair did at a meeting (the /met buttons); the keys are Meeting.activities tags.
ACTIVITY_LABELS: dict[str, str] = {
    "cv": N_("CV"),
    "cover_letter": N_("Cover letter"),
    "linkedin": N_("LinkedIn"),
    "interview_practice": N_("Interview practice"),
    "language": N_("Language"),
    "labour_market": N_("Labour market"),
    "workplace_visit": N_("Workplace visit"),
    "networking": N_("Networking"),
    "other": N_("Other"),
}
ACTIVITIES: tuple[str, ...] = tuple(ACTIVITY_LABELS)

NONCE = r"[0-9a-f]{6}"


def match(pattern: str, data: str | None) -> re.Match[str] | None:
    """The full match of callback data against a flow's pattern, else None (forged or old)."""
    if not data or len(data.encode()) > 64:
        return None
    return re.fullmatch(pattern, data)


def not_invited(tr: Tr) -> Outcome:
    """The answer to someone who is not (or no longer) connected: nothing about them is kept."""
    return say(
        tr(
            "Hello! This bot is for the participants and mentors of a job-mentoring "
            "program. To join, open the personal invitation link you got from the program "
            "staff."
        )
    )


def stale_button(tr: Tr) -> Outcome:
    """The answer to a button that is old, from another conversation, or not one of ours."""
    return say(
        tr.join(tr("That button no longer works."), tr("Send /help to see what you can do.")),
        toast=tr.label("That button no longer works."),
    )


def pair_closed(tr: Tr) -> Outcome:
    """When the person's pair has ended or the other side left the program."""
    return say(
        tr(
            "Your mentoring pair is no longer active, so I can't save this. "
            "Please contact the program staff if this is wrong."
        )
    )


def active_pair(turn: Turn) -> Pair | None:
    """The sender's pair while it is running (not ended, participant not erased), else None."""
    if turn.contact is None or turn.contact.pair is None:
        return None
    pair = turn.session.get(Pair, turn.contact.pair)
    if pair is None or (pair.ended_on is not None and pair.ended_on < turn.today):
        return None
    participant = turn.session.get(Participant, pair.participant)
    if participant is None or participant.erased_on is not None:
        return None
    return pair
