"""Writing to a person first, by pseudonymous id (check-ins, reminders, surveys).

    recipient = recipient_of(session, settings, "p-17")   # None: not connected (or erased)
    tr = Tr(recipient.lang)
    await send_to_person(app.bot, recipient, tr("Time for this month's check-in!"),
                         buttons=[[(tr.label("💡 Meeting ideas"), "mi")]])

The chat id is decrypted only here, just before sending; it is never logged. A person who blocked
the bot gives ``None`` back (``Forbidden``). Transient errors (5xx, a dropped connection) were
retried below already (``bot/retry.py``) and 429s by ``AIORateLimiter``; what is raised here has
failed for good, for the caller's policy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlmodel import Session
from telegram import Bot, Message
from telegram.constants import ParseMode
from telegram.error import Forbidden

from bot.replies import Rows, markup
from core.settings import Settings
from outcomes.contacts import decrypt_chat_id, find_by_person

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipient:
    """Whom to write to: a person, their chat (decrypted), language, role and pair."""

    person: str
    chat_id: int
    lang: str
    role: str
    pair: str | None

    def __repr__(self) -> str:  # never show the chat id in logs or tracebacks
        return f"Recipient(person={self.person!r}, lang={self.lang!r}, role={self.role!r})"


def recipient_of(session: Session, settings: Settings, person: str) -> Recipient | None:
    """The recipient for a person, or None when they are not connected (declined, erased)."""
    contact = find_by_person(session, person)
    if contact is None:
        return None
    chat_id = decrypt_chat_id(settings, contact.chat_enc)
    if chat_id is None:
        log.warning("the contact of %s cannot be decrypted with the current key", person)
        return None
    return Recipient(
        person=person,
        chat_id=chat_id,
        lang=contact.language,
        role=str(contact.role),
        pair=contact.pair,
    )


async def send_to_person(
    bot: Bot, recipient: Recipient, text: str, *, buttons: Rows | None = None
) -> Message | None:
    """Send HTML ``text`` (from ``Tr``) with optional buttons; None if the person blocked the bot."""
    try:
        return await bot.send_message(
            recipient.chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup(buttons)
        )
    except Forbidden:
        log.info("%s has blocked the bot", recipient.person)
        return None
