"""A study's numbers in plain words, in English and Swedish: the one sentence per comparison of
spec/study.md, used by everything that shows a study to a person.

    comparison_sentence(result["comparisons"]["got_job"], "sv")
    # "36 % mot 31 %: en skillnad på 5 procentenheter, som kan bero på slumpen. Med så här många
    #  deltagare hade bara en skillnad på omkring 25 procentenheter kunnat visa sig."

Each sentence says what was seen in each arm (intervention first), whether the difference could
be chance (the ``verdict``), and how large a difference the study could have detected (the
``mde``) — or why it could have detected none. It never says "no effect": a difference that was
not shown is one that could be chance. Associations of steps with a job are said to be
associations, not effects.

The texts are English gettext ``msgid``s (``ngettext`` for counts) translated in
``outcomes/locale/sv/LC_MESSAGES/study.po``, compiled in memory the first time as the bot does
(``bot/i18n``), so there is no ``.mo`` file to keep in step.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from outcomes.errors import Invalid

Language = Literal["en", "sv"]
LANGUAGES: tuple[str, ...] = get_args(Language)
DOMAIN = "study"
LOCALE_DIR = Path(__file__).with_name("locale")


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of a language (English: the msgids themselves)."""
    if lang not in LANGUAGES:
        raise Invalid(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    path = po_path(lang)
    if not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _percent(value: float) -> int:
    return int(round(100 * value))


def comparison_sentence(comparison: dict[str, Any], lang: Language = "en") -> str:
    """One comparison of ``compute_study`` in one plain sentence (or two)."""
    t = translations(lang)
    _, ngettext = t.gettext, t.ngettext
    i, c = comparison["intervention"], comparison["control"]
    if not i["of"] and not c["of"]:
        return _(
            "No one in either group has been measured, so the groups cannot be compared and "
            "no difference could have shown."
        )
    if not i["of"] or not c["of"]:
        text = (
            _(
                "No one in the intervention group has been measured, so the groups cannot be "
                "compared and no difference could have shown."
            )
            if not i["of"]
            else _(
                "No one in the control group has been measured, so the groups cannot be "
                "compared and no difference could have shown."
            )
        )
        return text
    values = {"intervention": _percent(i["share"]), "control": _percent(c["share"])}
    if comparison["mde"] is None:  # the pooled share is 0 or 1
        if i["n"] == 0 and c["n"] == 0:
            return _(
                "No one in either group had this ({intervention} % vs {control} %), so this "
                "study could not have shown a difference."
            ).format(**values)
        return _(
            "Everyone in both groups had this ({intervention} % vs {control} %), so this "
            "study could not have shown a difference."
        ).format(**values)
    points = abs(_percent(comparison["difference"]))
    detectable = _percent(comparison["mde"])
    verdict = comparison["verdict"]
    if verdict == "more_in_intervention":
        seen = ngettext(
            "{intervention} % vs {control} %: {points} point more in the intervention group, "
            "more than chance would explain.",
            "{intervention} % vs {control} %: {points} points more in the intervention group, "
            "more than chance would explain.",
            points,
        )
    elif verdict == "more_in_control":
        seen = ngettext(
            "{intervention} % vs {control} %: {points} point more in the control group, "
            "more than chance would explain.",
            "{intervention} % vs {control} %: {points} points more in the control group, "
            "more than chance would explain.",
            points,
        )
    elif points == 0:
        seen = _(
            "{intervention} % vs {control} %: less than one point apart, which could be chance."
        )
    else:
        seen = ngettext(
            "{intervention} % vs {control} %: a difference of {points} point, which could be "
            "chance.",
            "{intervention} % vs {control} %: a difference of {points} points, which could be "
            "chance.",
            points,
        )
    if verdict == "not_shown":
        could = ngettext(
            "With this many people, only a difference of about {mde} point would have shown.",
            "With this many people, only a difference of about {mde} points would have shown.",
            detectable,
        )
    else:
        could = ngettext(
            "With this many people, differences of about {mde} point or more could be detected.",
            "With this many people, differences of about {mde} points or more could be detected.",
            detectable,
        )
    return f"{seen.format(points=points, **values)} {could.format(mde=detectable)}"


def association_sentence(association: dict[str, Any], lang: Language = "en") -> str:
    """One step's association with getting a job, said to be an association."""
    t = translations(lang)
    with_step, without = association["with_step"], association["without_step"]
    if with_step["share"] is None or without["share"] is None:
        return t.gettext(
            "Everyone or no one took this step, so it cannot be compared with getting a job."
        )
    return t.gettext(
        "{with_step} % of those who took this step got a job, {without_step} % of those who "
        "did not: an association, not an effect."
    ).format(with_step=_percent(with_step["share"]), without_step=_percent(without["share"]))


def association_note(lang: Language = "en") -> str:
    """What every associations table says about itself."""
    return translations(lang).gettext(
        "These are associations, not effects: a step that goes with getting a job need not "
        "be what brought the job."
    )


def study_sentences(result: dict[str, Any], lang: Language = "en") -> dict[str, Any]:
    """Every sentence of a study's result: per comparison, per association, and the note."""
    return {
        "lang": lang,
        "comparisons": {k: comparison_sentence(v, lang) for k, v in result["comparisons"].items()},
        "associations": {
            k: association_sentence(v, lang) for k, v in result["associations"].items()
        },
        "association_note": association_note(lang),
    }
