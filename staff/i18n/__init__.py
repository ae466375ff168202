"""Languages of the staff pages (Swedish, English) and of the invite cards (the bot's seven).

Two gettext domains, Babel ``.po`` files compiled in memory on first use (like ``bot/i18n``):

* ``staff`` — the pages: ``_("…")`` / ``ngettext`` in Python and ``{% trans %}`` / ``_()`` in
  the templates; English is the source, Swedish is translated (``locale/sv/…/staff.po``);
* ``cards`` — the instructions on an invite card, in the language of the person who gets it
  (``C_("…")`` marks them; ``locale/<lang>/LC_MESSAGES/cards.po``).

Maintain both with ``python -m staff.i18n.catalogs`` (extract, update; ``--check`` in the tests).
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
from functools import cache
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

from outcomes.clock import STOCKHOLM

PAGE_LANGUAGES: tuple[str, ...] = ("sv", "en")
DEFAULT_LANGUAGE = "sv"
CARD_LANGUAGES: tuple[str, ...] = ("sv", "en", "ar", "fa", "uk", "so", "ti")
RTL = frozenset({"ar", "fa"})
SOURCE_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).parent / "locale"
NAMES = {"sv": "Svenska", "en": "English"}


def C_(msgid: str) -> str:  # noqa: N802 - the gettext convention
    """Mark a text of the invite cards (domain ``cards``); it is translated where it is shown."""
    return msgid


def N_(msgid: str) -> str:  # noqa: N802
    """Mark a text of the pages defined as data; it is translated where it is shown."""
    return msgid


def po_path(domain: str, lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"


@cache
def translations(domain: str, lang: str) -> gettext.NullTranslations:
    """The compiled catalog of a domain and language (the source language: the msgids)."""
    path = po_path(domain, lang)
    if lang == SOURCE_LANGUAGE or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=domain)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def page_language(accept_language: str | None, chosen: str | None = None) -> str:
    """The pages' language before login: the one chosen (a cookie), else the browser's."""
    if chosen in PAGE_LANGUAGES:
        return chosen  # type: ignore[return-value]
    for part in (accept_language or "").split(","):
        code = part.split(";", 1)[0].strip().lower().split("-", 1)[0]
        if code in PAGE_LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


def card_language(language: str | None) -> str:
    """The card language for a person's BCP-47 ``language`` (``sv-SE`` → ``sv``; else Swedish)."""
    code = (language or "").strip().lower().replace("_", "-").split("-", 1)[0]
    aliases = {"prs": "fa", "nb": "sv", "nn": "sv", "no": "sv", "da": "sv"}
    code = aliases.get(code, code)
    return code if code in CARD_LANGUAGES else DEFAULT_LANGUAGE


class Format:
    """Numbers, shares and dates as people write them in one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def number(self, value: int | float | None) -> str:
        return "–" if value is None else format_decimal(value, locale=self.lang)

    def percent(self, share: float | None, digits: int = 1) -> str:
        if share is None:
            return "–"
        sign = "\u00a0%" if self.lang == "sv" else "%"  # "29,0 %" in Swedish, "29.0%" in English
        pattern = "#,##0" + ("." + "0" * digits if digits else "") + sign
        return format_percent(share, format=pattern, locale=self.lang)

    def date(self, day: dt.date | None, style: str = "medium") -> str:
        return "–" if day is None else format_date(day, style, locale=self.lang)

    def datetime(self, moment: dt.datetime | None) -> str:
        if moment is None:
            return "–"
        return format_datetime(moment, "short", tzinfo=STOCKHOLM, locale=self.lang)

    def time(self, moment: dt.datetime) -> str:
        return format_datetime(moment, "HH:mm", tzinfo=STOCKHOLM, locale=self.lang)
