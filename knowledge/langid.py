"""Offline language identification for the bot's languages: sv en ar fa uk so ti.

Script first, then statistics: Ethiopic script is Tigrinya (lingua has no Tigrinya), Cyrillic is
Ukrainian (the bot's language for Ukrainian and Russian speakers), Arabic script is Arabic or
Persian (decided by letters only one of them uses, else lingua), Latin script is Swedish, English
or Somali (lingua restricted to those three, plus a few cues for very short text).

    >>> detect_language("Hur långt ska ett CV vara?")
    'sv'
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import Any

from core.languages import LANGUAGES

_ETHIOPIC = re.compile("[\u1200-\u139f\u2d80-\u2ddf\uab00-\uab2f]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN = re.compile("[A-Za-z\u00c0-\u024f]")
# letters Persian writes and Arabic does not (pe, che, zhe, gaf, Persian kaf and yeh)
_PERSIAN_ONLY = re.compile("[\u067e\u0686\u0698\u06af\u06a9\u06cc]")
# letters Arabic writes and Persian does not (teh marbuta, Arabic yeh, alef maksura)
_ARABIC_ONLY = re.compile("[\u0629\u064a\u0649]")
_SWEDISH_LETTERS = re.compile("[åäöÅÄÖ]")
_WORD = re.compile(r"[^\W\d_]+")
# very frequent function words: they decide very short messages and nudge longer ones, where a
# single borrowed word ("praktik", "Arbetsförmedlingen") can otherwise tip the statistics
_CUES = {
    "sv": {
        "hej",
        "tack",
        "jag",
        "vad",
        "hur",
        "är",
        "och",
        "inte",
        "min",
        "mitt",
        "vill",
        "kan",
        "det",
        "att",
        "en",
        "ett",
        "som",
        "på",
        "för",
        "med",
        "till",
        "har",
        "ska",
        "man",
        "vi",
        "du",
        "om",
        "får",
        "måste",
        "varför",
        "vem",
        "när",
        "var",
    },
    "en": {
        "hi",
        "hello",
        "thanks",
        "what",
        "how",
        "is",
        "the",
        "my",
        "i",
        "can",
        "do",
        "and",
        "a",
        "to",
        "of",
        "in",
        "for",
        "it",
        "should",
        "who",
        "why",
        "when",
        "where",
        "does",
        "are",
        "with",
        "get",
        "have",
        "you",
        "me",
        "am",
    },
    "so": {
        "waa",
        "maxaa",
        "maxay",
        "sidee",
        "sideen",
        "iyo",
        "ma",
        "aan",
        "ku",
        "ka",
        "mahadsanid",
        "haa",
        "maya",
        "ii",
        "waxaan",
        "ayaa",
        "oo",
        "la",
        "ah",
        "haddii",
        "karaa",
        "miyaa",
        "baa",
        "ayuu",
        "ugu",
        "loo",
        "soo",
        "kala",
        "waxa",
        "inaan",
        "maxaan",
    },
}
_DETECTORS: dict[str, Any] = {}
_DETECTOR_LOCK = threading.Lock()


def _detector(script: str) -> Any:
    """A lingua detector restricted to the bot's languages written in this script (lazy)."""
    with _DETECTOR_LOCK:
        det = _DETECTORS.get(script)
        if det is None:
            from lingua import Language, LanguageDetectorBuilder

            langs = {
                "latin": (Language.SWEDISH, Language.ENGLISH, Language.SOMALI),
                "arabic": (Language.ARABIC, Language.PERSIAN),
            }[script]
            det = LanguageDetectorBuilder.from_languages(*langs).build()
            _DETECTORS[script] = det
        return det


def _lingua(script: str, text: str) -> dict[str, float]:
    """Confidence per language code from lingua."""
    values = _detector(script).compute_language_confidence_values(text)
    return {v.language.iso_code_639_1.name.lower(): float(v.value) for v in values}


def _count(pattern: re.Pattern[str], text: str) -> int:
    return len(pattern.findall(text))


def detect_language_scores(text: str) -> dict[str, float]:
    """Confidence (0..1) per detected language, best first; empty for text without letters."""
    text = unicodedata.normalize("NFC", text)
    counts = {
        "ti": _count(_ETHIOPIC, text),
        "uk": _count(_CYRILLIC, text),
        "arabic": _count(_ARABIC, text),
        "latin": _count(_LATIN, text),
    }
    script = max(counts, key=lambda k: counts[k])
    if counts[script] == 0:
        return {}
    if script in ("ti", "uk"):
        return {script: 1.0}
    if script == "arabic":
        fa, ar = _count(_PERSIAN_ONLY, text), _count(_ARABIC_ONLY, text)
        if fa and not ar:
            return {"fa": 1.0}
        if ar and not fa:
            return {"ar": 1.0}
        scores = _lingua("arabic", text)
        return dict(sorted(scores.items(), key=lambda kv: -kv[1]))
    # Latin script: Swedish, English or Somali
    letters_only = " ".join(_WORD.findall(text))
    scores = _lingua("latin", letters_only or text)
    words = [w.lower() for w in _WORD.findall(text)]
    short = len(words) <= 3
    for lang, cues in _CUES.items():
        hits = sum(1 for w in words if w in cues)
        if hits:
            scores[lang] = scores.get(lang, 0.0) + (0.5 if short else 0.15) * hits
    if short and _SWEDISH_LETTERS.search(text):
        scores["sv"] = scores.get("sv", 0.0) + 0.5
    total = sum(scores.values()) or 1.0
    scores = {k: v / total for k, v in scores.items()}
    return dict(sorted(scores.items(), key=lambda kv: -kv[1]))


@lru_cache(maxsize=2048)
def _cached_detect(text: str) -> tuple[str | None, float]:
    scores = detect_language_scores(text)
    if not scores:
        return None, 0.0
    lang, conf = next(iter(scores.items()))
    return lang, conf


def detect_language(text: str, default: str = "sv", hint: str | None = None) -> str:
    """The language of ``text`` as one of LANGUAGES.

    ``hint`` (e.g. the language the user chose in the bot) decides when the text is too short or
    ambiguous to tell; ``default`` when there is neither signal nor hint.
    """
    lang, conf = _cached_detect(text.strip()[:1000])
    if hint is not None and hint not in LANGUAGES:
        hint = None
    if lang is None:
        return hint or default
    if hint is not None and hint != lang and conf < 0.6:
        scores = detect_language_scores(text)
        if scores.get(hint, 0.0) > 0.2 or len(_WORD.findall(text)) <= 2:
            return hint
    return lang
