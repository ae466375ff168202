"""The bot's languages (``core/languages.py``): gettext catalogs (Babel ``.po`` files) and right-to-left care.

    tr = Tr("ar")
    tr("Saved: {what}.", what=tr.label(EVENT_LABELS["job_started"]))   # HTML-safe message text
    tr.label("Cancel")                                                  # a button label
    tr.ngettext("{count} quick question", "{count} quick questions", 5)  # a count: "5 вопросов"
    tr.date(day)                                                        # "21 نوفمبر"

Messages are written in English in the code (the gettext ``msgid``) and translated in
``bot/i18n/locale/<lang>/LC_MESSAGES/stegvis.po``; the catalogs are compiled in memory the first
time a language is used, so there is no binary ``.mo`` to keep in step. Text for which the code
only has a name (buttons built from data, ideas.yaml) is marked with ``N_`` so extraction finds it.
A text with a number of things in it goes through ``tr.ngettext`` (never ``tr`` with a number):
each catalog's ``Plural-Forms`` header picks the form (Russian and Ukrainian have three, Arabic
six), and ``python -m bot.i18n.catalogs --check`` keeps the headers and the forms right.
Maintain the catalogs with ``python -m bot.i18n.catalogs`` (extract, update, check).

Right-to-left (Arabic, Persian): every line starts with a right-to-left mark so that a line
beginning with a number, an emoji or a command still reads right to left, and every inserted value
(dates, names, numbers) and every ``/command`` is wrapped in a Unicode isolate so that its
punctuation does not jump to the wrong side.
"""

from __future__ import annotations

import datetime as dt
import gettext
import html
import io
import re
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from core.languages import ALIASES, DEFAULT_LANGUAGE, LANGUAGES, RTL_LANGUAGES

DOMAIN = "stegvis"
LOCALE_DIR = Path(__file__).parent / "locale"

RLM = "\u200f"  # right-to-left mark
FSI, LRI, PDI = "\u2068", "\u2066", "\u2069"  # first-strong isolate, left-to-right isolate, pop
_COMMAND = re.compile(r"(?<![\w/\u2066])/[a-z_]{2,32}\b")


def N_(msgid: str) -> str:  # noqa: N802 - the gettext convention
    """Mark text for translation where it is defined; it is translated where it is shown."""
    return msgid


class Html(str):
    """Text that is already HTML-safe (it is not escaped again when inserted)."""

    __slots__ = ()


def pick_language(language_code: str | None) -> str:
    """The bot language closest to a Telegram client's ``language_code`` (``sv-SE`` → ``sv``)."""
    if not language_code:
        return DEFAULT_LANGUAGE
    code = language_code.strip().lower().replace("_", "-")
    if code in ALIASES:
        return ALIASES[code]
    base = code.split("-", 1)[0]
    if base in LANGUAGES:
        return base
    return ALIASES.get(base, DEFAULT_LANGUAGE)


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of a language (English and unknown languages: the msgids)."""
    path = po_path(lang)
    if lang not in LANGUAGES or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _rtl_lines(text: str) -> str:
    return "\n".join(RLM + line if line else line for line in text.split("\n"))


def _isolate_commands(text: str) -> str:
    return _COMMAND.sub(lambda m: LRI + m.group(0) + PDI, text)


class Tr:
    """Translation and formatting for one language."""

    def __init__(self, lang: str | None) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        self.rtl = self.lang in RTL_LANGUAGES
        self._t = translations(self.lang)

    def label(self, msgid: str) -> str:
        """A translated button label (plain text, not HTML)."""
        return self._t.gettext(msgid)

    def __call__(self, msgid: str, **values: Any) -> Html:
        """A translated message with ``{name}`` values filled in; HTML-safe, bidi-safe."""
        text = html.escape(self._t.gettext(msgid), quote=False)
        if values:
            text = text.format(**{k: self._value(v) for k, v in values.items()})
        return self.finish(text)

    def ngettext(self, singular: str, plural: str, count: int, **values: Any) -> Html:
        """A translated message about ``count`` things, in the plural form the language uses.

        ``{count}`` is filled in with the number; other ``{name}`` values as for ``tr(...)``.
        """
        text = html.escape(self._t.ngettext(singular, plural, count), quote=False)
        values = {"count": count, **values}
        return self.finish(text.format(**{k: self._value(v) for k, v in values.items()}))

    def _value(self, value: Any) -> str:
        text = value if isinstance(value, Html) else html.escape(str(value), quote=False)
        return FSI + text + PDI if self.rtl else text

    def finish(self, text: str) -> Html:
        """Apply the right-to-left care to HTML text put together from translated parts."""
        if self.rtl:
            text = _rtl_lines(_isolate_commands(text.replace(RLM, "")))
        return Html(text)

    def join(self, *parts: str) -> Html:
        """Paragraphs (already translated) joined by a blank line."""
        return self.finish("\n\n".join(p for p in parts if p))

    def date(self, day: dt.date) -> str:
        """A date as people in this language write it, without the year (``21 november``)."""
        return format_date(day, "d MMMM", locale=self.lang)

    def full_date(self, day: dt.date) -> str:
        """A date with its year, as people in this language write it (``21 november 2025``)."""
        return format_date(day, "d MMMM y", locale=self.lang)

    def short_date(self, day: dt.date) -> str:
        """Weekday and date for a button (``lör 21 nov.``)."""
        return format_date(day, "EEE d MMM", locale=self.lang)


def bold(text: str) -> Html:
    """Bold HTML for a title (escaped)."""
    return Html(f"<b>{html.escape(text, quote=False)}</b>")


def escape(text: str) -> Html:
    return Html(html.escape(text, quote=False))
