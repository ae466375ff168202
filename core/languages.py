"""The bot's languages: one line each, the one list every part of Stegvis reads.

    Language("ar", "العربية", "Arabic", rtl=True)

The code is what the records, the catalogs (``bot/i18n/locale/<code>/``), the support material
(``knowledge/materials/<topic>.<code>.md``) and the API use; ``native`` is the name in the
language menu, ``english`` the name in prompts and reports, ``rtl`` the text direction.
``aliases`` are Telegram ``language_code`` values of close relatives that this language serves
(Dari speakers read the Persian, Norwegians the Swedish); ``also_for`` names them in English
where a prompt must keep those readers in mind.

Adding a language is one line here, plus its catalog, its material and the classifier's
exemplars and cue words (the tests say what is missing). A code that is still another language's
alias is refused when this module is imported (Russian: drop ``"ru"`` from Ukrainian's aliases).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeAlias


@dataclass(frozen=True)
class Language:
    code: str
    native: str
    english: str
    rtl: bool = False
    aliases: tuple[str, ...] = ()
    also_for: tuple[str, ...] = ()


BOT_LANGUAGES: tuple[Language, ...] = (
    Language("sv", "Svenska", "Swedish", aliases=("nb", "nn", "no", "da")),
    Language("en", "English", "English"),
    Language("ar", "العربية", "Arabic", rtl=True),
    Language(
        "fa", "فارسی / دری", "Persian", rtl=True, aliases=("prs", "fa-af"), also_for=("Dari",)
    ),
    Language("uk", "Українська", "Ukrainian"),
    Language("so", "Soomaali", "Somali"),
    Language("ti", "ትግርኛ", "Tigrinya"),
    Language("ru", "Русский", "Russian"),
)
"""In the order of the language menu."""

LANGUAGES: tuple[str, ...] = tuple(lang.code for lang in BOT_LANGUAGES)
LANGUAGE_BY_CODE: dict[str, Language] = {lang.code: lang for lang in BOT_LANGUAGES}
DEFAULT_LANGUAGE = "sv"
NATIVE_NAMES: dict[str, str] = {lang.code: lang.native for lang in BOT_LANGUAGES}
RTL_LANGUAGES: frozenset[str] = frozenset(lang.code for lang in BOT_LANGUAGES if lang.rtl)
ALIASES: dict[str, str] = {alias: lang.code for lang in BOT_LANGUAGES for alias in lang.aliases}
"""Telegram ``language_code`` (lower case, ``-`` not ``_``) → the bot language that serves it."""

if TYPE_CHECKING:
    LanguageCode: TypeAlias = str
else:
    # the same codes as a type, for pydantic and FastAPI: validation and an OpenAPI ``enum``
    LanguageCode = Literal[LANGUAGES]


def check_languages(languages: tuple[Language, ...], default: str) -> None:
    """Refuse a list that cannot work, saying what to change (run on import for the real one)."""
    codes = [lang.code for lang in languages]
    twice = sorted({code for code in codes if codes.count(code) > 1})
    if twice:
        raise ValueError(f"core.languages: {', '.join(twice)} listed twice")
    if default not in codes:
        raise ValueError(f"core.languages: the default language {default!r} is not in the list")
    for lang in languages:
        for alias in lang.aliases:
            if alias in codes:
                raise ValueError(
                    f"core.languages: {alias!r} is a language of its own now; "
                    f"drop it from the aliases of {lang.code!r}"
                )
            owners = [other.code for other in languages if alias in other.aliases]
            if len(owners) > 1:
                raise ValueError(f"core.languages: alias {alias!r} is given to {owners}")


check_languages(BOT_LANGUAGES, DEFAULT_LANGUAGE)
