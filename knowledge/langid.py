"""Offline language identification: the language a person wrote, as a BCP-47 code, or ``und``.

It names the bot's seven languages (sv en ar fa uk so ti) and the languages people in Sweden's
newcomer programs also write: Russian ``ru``, Turkish ``tr``, Sorani ``ckb`` and Kurmanji
``kmr`` Kurdish, Pashto ``ps``, Dari ``prs``, Amharic ``am``, German ``de``, Spanish ``es``,
French ``fr``, Polish ``pl`` and Bosnian ``bs`` (also ``ur`` for Urdu, so that it is not called
Persian). A text it cannot place is ``und``.

How, script first:

- **Ethiopic**: Tigrinya or Amharic. lingua knows neither; Tigrinya writes the glottal *a* as ኣ
  and has the letters ቐ and ኸ, Amharic writes አ; a few very frequent words of each decide the
  rest (Tigrinya ``እዩ ኣብ ምስ ናይ``, Amharic ``ነው ውስጥ ጋር እንዴት``). A tie is Tigrinya, the
  bot's language.
- **Cyrillic**: Ukrainian (і ї є ґ) or Russian (ы э ъ ё), else lingua restricted to the two.
- **Arabic script**: Sorani (ێ ۆ ڕ ڵ ە ڤ), Pashto (ټ ډ ړ ږ ښ ګ ڼ ۍ ې ځ څ) and Urdu (ٹ ڈ ڑ ں ے)
  by their own letters; else Arabic or Persian as before (letters only one of them writes, else
  lingua). Persian is then told from Dari by a few words one of them uses and the other does not
  (Dari ``سویدن شفاخانه دوکان موتر استم``, Iran ``سوئد بیمارستان مغازه ماشین``); without such a
  word it stays ``fa`` (the bot serves Dari readers in Persian).
- **Latin script**: Kurmanji (lingua has no Kurdish) by its letters ê î û with ç ş and its most
  frequent words (``xwe û ez ji çi çawa heye``); else lingua restricted to sv en so tr pl bs de es
  fr, nudged by very frequent words for very short text. lingua cannot tell Bosnian, Croatian and
  Serbian apart reliably: a Latin-script text in that language is ``bs``.

``detect_language`` (the old name) is kept for callers that want a code in any case: it returns
the hint or a default instead of ``und``.

    >>> identify_language("Hur långt ska ett CV vara?")
    'sv'
    >>> identify_language("Как найти работу в Швеции?")
    'ru'
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import Any

from core.languages import ALIASES, LANGUAGES

UNDETERMINED = "und"

# the languages named besides the bot's seven (issue 14), and Urdu so it is not taken for Persian
EXTRA_LANGUAGES: tuple[str, ...] = (
    "ru",
    "tr",
    "ckb",
    "kmr",
    "ps",
    "prs",
    "am",
    "de",
    "es",
    "fr",
    "pl",
    "bs",
    "ur",
)
KNOWN_LANGUAGES: tuple[str, ...] = tuple(dict.fromkeys((*LANGUAGES, *EXTRA_LANGUAGES)))

_ETHIOPIC = re.compile("[\u1200-\u139f\u2d80-\u2ddf\uab00-\uab2f]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN = re.compile("[A-Za-z\u00c0-\u024f]")
_OTHER_LETTER = re.compile(r"[^\W\d_]")

# Ethiopic: Tigrinya's ኣ, the qhe (ቐ) and xe (ኸ) rows; Amharic's አ
_TI_LETTERS = re.compile("[\u12a3\u1250-\u125d\u12b8-\u12c5]")
_AM_LETTERS = re.compile("[\u12a0]")
_TI_WORDS = frozenset("እዩ ኢዩ እየ ኣብ ምስ ናይ ከመይ እንታይ ብዛዕባ ሕጂ ኣሎ የለን ኣለኒ ኣለዎ ክንደይ እንተ ግን ኣይ".split())
_AM_WORDS = frozenset(
    "ነው ናቸው ነበር ውስጥ ጋር ላይ እንዴት ምንድነው ነኝ ነህ ነሽ አለኝ አለ ይችላል እችላለሁ እና ግን ብቻ በጣም".split()
)

_AM_ENDINGS = ("ኝ", "ሁ", "ኛል", "ናል", "ዋል")

# Cyrillic
_UK_LETTERS = re.compile("[іїєґІЇЄҐ]")
_RU_LETTERS = re.compile("[ыэъёЫЭЪЁ]")
_UK_WORDS = frozenset("з та що як це мені мене чи вже ще дуже щоб від мій моє моя".split())
_RU_WORDS = frozenset("с что как это мне меня или уже ещё еще очень чтобы от мой моё моя".split())

# Arabic script: letters of one language only
_CKB_LETTERS = re.compile("[\u06ce\u06c6\u0695\u06b5\u06d5\u06a4]")  # ێ ۆ ڕ ڵ ە ڤ
_PS_LETTERS = re.compile(
    "[\u067c\u0689\u0693\u0696\u069a\u06ab\u06bc\u06cd\u06d0\u0681\u0685]"
)  # ټ ډ ړ ږ ښ ګ ڼ ۍ ې ځ څ
_UR_LETTERS = re.compile("[\u0679\u0688\u0691\u06ba\u06d2]")  # ٹ ڈ ڑ ں ے
# letters Persian writes and Arabic does not (pe, che, zhe, gaf, Persian kaf and yeh)
_PERSIAN_ONLY = re.compile("[\u067e\u0686\u0698\u06af\u06a9\u06cc]")
# letters Arabic writes and Persian does not (teh marbuta, Arabic yeh, alef maksura)
_ARABIC_ONLY = re.compile("[\u0629\u064a\u0649]")
# Dari and Iranian Persian: words one of them uses for the same thing
_DARI_WORDS = frozenset(
    "سویدن سویدنی شفاخانه دوکان موتر استم استی استیم استین فابریکه پوهنتون مسلکی تشناب "
    "میفامم نمیفامم وظیفه کمپنی پراکتیک کدم انجنیر".split()
)
_IRAN_WORDS = frozenset("سوئد سوئدی بیمارستان مغازه ماشین دانشگاه میخوام میشه هستش".split())
_ARABIC_UNIFY = str.maketrans({"\u064a": "\u06cc", "\u0643": "\u06a9", "\u200c": None})

# Latin script: Kurmanji
_KMR_LETTERS = re.compile("[êîûÊÎÛ]")
_TR_LETTERS = re.compile("[ığİöüÖÜĞ]")
_KMR_WORDS = frozenset(
    "xwe û ez ji jî çi çawa ci cawa heye hene gelek niha îro iro duhî duhi sibe bû buye "
    "dixwazim dixebitim dikim dikarim bikim min e ya yên yen karê kare kir kirin re di li bi "
    "nû baş bas hîn hin em ew tu".split()
)
# words that only Kurmanji of these languages writes (a few suffice)
_KMR_STRONG = frozenset(
    "xwe û ez ji jî çi çawa cawa heye gelek niha îro duhî bû dixwazim dixebitim dikim bikim "
    "karê nû baş hîn".split()
)

_WORD = re.compile(r"[^\W\d_]+")
# very frequent function words: they decide very short messages and nudge longer ones, where a
# single borrowed word ("praktik", "Arbetsförmedlingen") can otherwise tip the statistics
_CUES: dict[str, frozenset[str]] = {
    "sv": frozenset(
        "hej tack jag vad hur är och inte min mitt vill kan det att en ett som på för med till "
        "har ska man vi du om får måste varför vem när var".split()
    ),
    "en": frozenset(
        "hi hello thanks what how is the my i can do and a to of in for it should who why when "
        "where does are with get have you me am".split()
    ),
    "so": frozenset(
        "waa maxaa maxay sidee sideen iyo ma aan ku ka mahadsanid haa maya ii waxaan ayaa oo la "
        "ah haddii karaa miyaa baa ayuu ugu loo soo kala waxa inaan maxaan".split()
    ),
}
_SWEDISH_LETTERS = re.compile("[åäöÅÄÖ]")
# Swedish names every language in Sweden borrows: left out of the statistics when the text has
# enough other words ("Arbetsförmedlingen maxay ii qaban kartaa?" is Somali)
_BORROWED = frozenset(
    "arbetsförmedlingen arbetsformedlingen försäkringskassan skatteverket migrationsverket komvux "
    "sfi praktik praktiken praktikplats yrkeshögskolan yrkeshögskola folkhögskola csn uhr fika "
    "kassa personligt brev cv linkedin".split()
)

_LINGUA = {
    "latin": (
        "SWEDISH",
        "ENGLISH",
        "SOMALI",
        "TURKISH",
        "POLISH",
        "BOSNIAN",
        "GERMAN",
        "SPANISH",
        "FRENCH",
    ),
    "arabic": ("ARABIC", "PERSIAN"),
    "cyrillic": ("RUSSIAN", "UKRAINIAN"),
}
_DETECTORS: dict[str, Any] = {}
_DETECTOR_LOCK = threading.Lock()


def _detector(script: str) -> Any:
    """A lingua detector restricted to the languages we name in this script (lazy)."""
    with _DETECTOR_LOCK:
        det = _DETECTORS.get(script)
        if det is None:
            from lingua import Language, LanguageDetectorBuilder

            langs = [getattr(Language, name) for name in _LINGUA[script]]
            det = LanguageDetectorBuilder.from_languages(*langs).build()
            _DETECTORS[script] = det
        return det


def _lingua(script: str, text: str) -> dict[str, float]:
    """Confidence per language code from lingua."""
    values = _detector(script).compute_language_confidence_values(text)
    return {v.language.iso_code_639_1.name.lower(): float(v.value) for v in values}


def _count(pattern: re.Pattern[str], text: str) -> int:
    return len(pattern.findall(text))


def _best_first(scores: dict[str, float]) -> dict[str, float]:
    return dict(sorted(scores.items(), key=lambda kv: -kv[1]))


def _ethiopic(text: str, words: list[str]) -> dict[str, float]:
    ti = _count(_TI_LETTERS, text) + 3 * sum(w in _TI_WORDS for w in words)
    am = _count(_AM_LETTERS, text) + 3 * sum(w in _AM_WORDS for w in words)
    # Sweden is ሽወደን in Tigrinya, ስዊድን in Amharic; "me" is -ኒ in Tigrinya, -ኝ in Amharic, and
    # Amharic's "I did" and "I (will) do" end in -ሁ, "it has" in -ል
    ti += 2 * text.count("ሽወደን") + sum(len(w) > 2 and w.endswith("ኒ") for w in words)
    am += 2 * text.count("ስዊድን") + sum(len(w) > 2 and w.endswith(_AM_ENDINGS) for w in words)
    if am > ti:
        return {"am": am / (am + ti), "ti": ti / (am + ti)}
    if ti == 0:  # no evidence either way: the bot's language
        return {"ti": 0.5, "am": 0.5}
    return {"ti": ti / (am + ti), "am": am / (am + ti)}


def _cyrillic(text: str, words: list[str]) -> dict[str, float]:
    uk = _count(_UK_LETTERS, text) + sum(w in _UK_WORDS for w in words)
    ru = _count(_RU_LETTERS, text) + sum(w in _RU_WORDS for w in words)
    if uk and not ru:
        return {"uk": 1.0}
    if ru and not uk:
        return {"ru": 1.0}
    return _best_first(_lingua("cyrillic", text))


def _arabic(text: str, words: list[str]) -> dict[str, float]:
    own = {
        "ckb": _count(_CKB_LETTERS, text),
        "ps": _count(_PS_LETTERS, text),
        "ur": _count(_UR_LETTERS, text),
    }
    best = max(own, key=lambda k: own[k])
    if own[best]:
        total = sum(own.values())
        return _best_first({k: v / total for k, v in own.items() if v})
    fa, ar = _count(_PERSIAN_ONLY, text), _count(_ARABIC_ONLY, text)
    if fa and not ar:
        scores = {"fa": 1.0}
    elif ar and not fa:
        scores = {"ar": 1.0}
    else:
        scores = _best_first(_lingua("arabic", text))
    if next(iter(scores)) != "fa":
        return scores
    unified = [w.translate(_ARABIC_UNIFY) for w in words]
    dari = sum(w in _DARI_WORDS for w in unified)
    iran = sum(w in _IRAN_WORDS for w in unified)
    if dari > iran:
        return {"prs": 0.9, "fa": 0.1}
    return scores


def _kurmanji(text: str, words: list[str]) -> float:
    """Evidence (0..1) that a Latin-script text is Kurmanji."""
    if not words:
        return 0.0
    strong = sum(w in _KMR_STRONG for w in words)
    common = sum(w in _KMR_WORDS for w in words)
    letters = _count(_KMR_LETTERS, text)
    if _count(_TR_LETTERS, text) > letters:  # Turkish letters, not Kurdish ones
        return 0.0
    if strong == 0 and letters == 0:
        return 0.0
    evidence = (2 * strong + common + letters) / (len(words) + 2)
    return min(1.0, evidence)


def _latin(text: str, words: list[str]) -> dict[str, float]:
    kmr = _kurmanji(text, words)
    if kmr >= 0.5:
        return {"kmr": kmr}
    own = [w for w in _WORD.findall(text) if w.lower() not in _BORROWED]
    if not own:  # only names every language here borrows ("CV?", "praktik"): Swedish, unsure
        return {"sv": 0.5, "en": 0.5}
    letters_only = " ".join(own if len(own) >= 2 else _WORD.findall(text))
    scores = _lingua("latin", letters_only or text)
    short = len(words) <= 3
    for lang, cues in _CUES.items():
        hits = sum(1 for w in words if w in cues)
        if hits:
            scores[lang] = scores.get(lang, 0.0) + (0.5 if short else 0.15) * hits
    if short and _SWEDISH_LETTERS.search(text):
        scores["sv"] = scores.get("sv", 0.0) + 0.5
    if kmr:
        scores["kmr"] = kmr
    total = sum(scores.values()) or 1.0
    return _best_first({k: v / total for k, v in scores.items()})


def detect_language_scores(text: str) -> dict[str, float]:
    """Confidence (0..1) per language, best first; empty when nothing can be told."""
    text = unicodedata.normalize("NFC", text)
    counts = {
        "ethiopic": _count(_ETHIOPIC, text),
        "cyrillic": _count(_CYRILLIC, text),
        "arabic": _count(_ARABIC, text),
        "latin": _count(_LATIN, text),
    }
    script = max(counts, key=lambda k: counts[k])
    if counts[script] == 0:
        return {}
    others = _count(_OTHER_LETTER, text) - sum(counts.values())
    if others > counts[script]:  # mostly a script none of these languages uses
        return {}
    words = [w.lower() for w in _WORD.findall(text)]
    if script == "ethiopic":
        return _ethiopic(text, words)
    if script == "cyrillic":
        return _cyrillic(text, words)
    if script == "arabic":
        return _arabic(text, words)
    return _latin(text, words)


@lru_cache(maxsize=2048)
def _cached_detect(text: str) -> tuple[str | None, float]:
    scores = detect_language_scores(text)
    if not scores:
        return None, 0.0
    lang, conf = next(iter(scores.items()))
    return lang, conf


def _written(hint: str | None) -> str | None:
    """A hint as a language code we name (a Telegram ``language_code`` such as ``ru-RU``)."""
    if not hint:
        return None
    code = hint.strip().lower().replace("_", "-")
    if code in KNOWN_LANGUAGES:
        return code
    base = code.split("-")[0]
    return base if base in KNOWN_LANGUAGES else None


def identify_language(text: str, hint: str | None = None) -> str:
    """The language ``text`` is written in (BCP-47), or ``und`` when it cannot be told.

    ``hint`` (e.g. the language the user chose in the bot) decides when the text is too short or
    ambiguous to tell, and stands in for text without letters.
    """
    lang, conf = _cached_detect(text.strip()[:1000])
    hint = _written(hint)
    if lang is None:
        return hint or UNDETERMINED
    if hint is not None and hint != lang and conf < 0.6:
        scores = detect_language_scores(text)
        if scores.get(hint, 0.0) > 0.2 or len(_WORD.findall(text)) <= 2:
            return hint
    return lang


def detect_language(text: str, default: str = "sv", hint: str | None = None) -> str:
    """:func:`identify_language`, with ``default`` instead of ``und`` (a code in every case)."""
    found = identify_language(text, hint=hint)
    return default if found == UNDETERMINED else found


def bot_language(lang: str) -> str | None:
    """The bot language that serves people writing ``lang`` (``prs`` → ``fa``), or None."""
    if lang in LANGUAGES:
        return lang
    return ALIASES.get(lang)
