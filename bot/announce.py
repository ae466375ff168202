"""An announcement from the staff as one person reads it (``outcomes/announcements.py``).

    text = announcement_text(texts, lang="ar")   # their version, or the Swedish one with a note

The staff's text is shown as written (HTML-escaped); the heading and the note that it is in
Swedish are in the person's language (the bot's catalogs). The scheduled sender
(``bot/scheduler.py``) sends it.
"""

from __future__ import annotations

from bot.i18n import N_, Html, Tr, escape
from outcomes.announcements import version_of

HEADING = N_("📣 A message from the program staff")
NOTE = N_("ℹ️ This message is in Swedish: it was not written in your language.")


def announcement_text(texts: dict[str, str], lang: str) -> Html:
    """The message a person of ``lang`` gets for an announcement with these ``texts``."""
    tr = Tr(lang)
    version = version_of(texts, tr.lang)
    body = Tr(version).finish(escape(texts[version]))
    heading = Html("<b>" + tr(HEADING) + "</b>")
    parts = [tr.finish(heading), body]
    if version != tr.lang:
        parts.append(tr(NOTE))
    return Html("\n\n".join(parts))
