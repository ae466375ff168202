"""The invite sheet: one card per person who has not joined yet, laid out for A4.

A card names nobody: it shows the person's pseudonymous id (so that staff hand the right card to
the right person), short instructions in the person's language, the deep link and its QR code.
The links are made by :func:`outcomes.invites.create_invites` — the function behind
``stegvis invite PAIR`` — so they are the same single-use links, and making a sheet replaces the
earlier unused links of its pairs (each pair gets two new ones; the card of someone who already
joined is not printed).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import segno
from babel.dates import format_date
from sqlmodel import Session, col, select

from core.settings import Settings
from outcomes.clock import STOCKHOLM, today
from outcomes.contacts import Contact, PersonRole
from outcomes.invites import create_invites
from outcomes.models import Cohort, Mentor, Pair, Participant
from staff.i18n import C_, RTL, card_language, translations

SHEET_CSS = Path(__file__).parent / "static" / "sheet.css"

TITLE = C_("Invitation to Stegvis")
FOR_ROLE = {
    PersonRole.mentor: C_("For you as a mentor in the job-mentoring program"),
    PersonRole.participant: C_("For you as a participant in the job-mentoring program"),
}
STEPS = (
    C_("Install Telegram on your phone (free in the app store)."),
    C_("Scan the QR code with the phone's camera, or open the link."),
    C_("Telegram opens Stegvis. Press Start and answer the questions."),
)
PERSONAL = C_("The link is personal and works once, until {date}.")
QUESTIONS = C_("Questions? Ask the program staff.")
QR_ALT = C_("QR code with the link below")
YOUR_CODE = C_("Your code: {person}")


@dataclass(frozen=True)
class Card:
    """One printed card."""

    pair: str
    role: PersonRole
    person: str
    language: str
    link: str
    expires_at: datetime

    @property
    def rtl(self) -> bool:
        return self.language in RTL

    def text(self, msgid: str, **values: str) -> str:
        translated = translations("cards", self.language).gettext(msgid)
        return translated.format(**values) if values else translated

    @property
    def expires(self) -> str:
        day = self.expires_at.astimezone(STOCKHOLM).date()
        # the sentence ends with its own full stop ("… 2 січня 2027 р." would get two)
        return format_date(day, "long", locale=self.language).rstrip(".")

    @property
    def qr_data_uri(self) -> str:
        """The link as a QR code (medium error correction), an SVG data URI."""
        return str(segno.make(self.link, error="m").svg_data_uri(scale=4, border=4))


def pairs_needing_cards(session: Session, cohort: str, day: date | None = None) -> list[Pair]:
    """The cohort's running pairs (the pair and the round not ended) where the mentor or the
    participant has not joined yet."""
    day = day or today()
    pairs = session.exec(
        select(Pair)
        .join(Participant, col(Participant.id) == col(Pair.participant))
        .join(Cohort, col(Cohort.id) == col(Participant.cohort))
        .where(Participant.cohort == cohort, col(Cohort.end) >= day)
        .where((col(Pair.ended_on).is_(None)) | (col(Pair.ended_on) >= day))
        .where(col(Participant.erased_on).is_(None))
        .order_by(col(Pair.id))
    ).all()
    joined = _joined(session, [p.mentor for p in pairs] + [p.participant for p in pairs])
    return [p for p in pairs if p.mentor not in joined or p.participant not in joined]


def _joined(session: Session, people: list[str]) -> set[str]:
    if not people:
        return set()
    rows = session.exec(select(Contact.person).where(col(Contact.person).in_(people))).all()
    return set(rows)


def make_cards(session: Session, settings: Settings, *, cohort: str, actor: str) -> list[Card]:
    """New invites for the pairs that need them, and a card for each person not yet joined."""
    pairs = pairs_needing_cards(session, cohort)
    joined = _joined(session, [p.mentor for p in pairs] + [p.participant for p in pairs])
    languages = {
        **{m.id: m.language for m in session.exec(select(Mentor).where(Mentor.cohort == cohort))},
        **{
            p.id: p.language
            for p in session.exec(select(Participant).where(Participant.cohort == cohort))
        },
    }
    cards: list[Card] = []
    for pair in pairs:
        issued = create_invites(session, pair_id=pair.id, actor=actor, settings=settings)
        for role, person in (
            (PersonRole.mentor, pair.mentor),
            (PersonRole.participant, pair.participant),
        ):
            if person in joined:
                continue
            invite = issued[role]
            cards.append(
                Card(
                    pair=pair.id,
                    role=role,
                    person=person,
                    language=card_language(languages.get(person)),
                    link=invite.link,
                    expires_at=invite.expires_at,
                )
            )
    return cards


def sheet_css() -> str:
    """The sheet's own style sheet, put inside the downloaded file (it must print on its own)."""
    return SHEET_CSS.read_text(encoding="utf-8")


def escape(text: str) -> str:
    return html.escape(text, quote=True)
