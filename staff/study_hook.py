"""Where the study page meets the study engine (``outcomes/study.py``).

:func:`study_view` turns :func:`outcomes.study.compute_study` and its plain sentences
(``outcomes/study_text.py``) into what ``study.html`` shows: the study picker, per indicator the
comparison with its sentence and its interval (a whisker chart with the table beside it), the
attrition funnel by arm (a chart and a table) and the balance tables. It computes nothing of its
own: every number is the engine's.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from outcomes.study import ARMS, WAVES, compute_study
from outcomes.study_models import Study
from outcomes.study_text import study_sentences
from staff import charts
from staff.labels import ARMS as ARM_LABELS
from staff.labels import COVARIATES, INDICATORS
from staff.labels import WAVES as WAVE_LABELS
from staff.templating import gettext_for


def studies(session: Session) -> list[Study]:
    """Every study, by name (the picker)."""
    return list(session.exec(select(Study).order_by(col(Study.name), col(Study.id))).all())


def study_view(session: Session, study_id: str | None, lang: str) -> dict[str, Any] | None:
    """The page's data for one study (the first by name when none is chosen), or ``None``
    when there is no study. ``NotFound`` for an unknown id."""
    every = studies(session)
    if not every:
        return None
    chosen = study_id or every[0].id
    result = compute_study(session, chosen)
    _ = gettext_for(lang)
    sentences = study_sentences(result, "sv" if lang == "sv" else "en")["comparisons"]
    comparisons = []
    for name, c in result["comparisons"].items():
        low, high = c["difference_ci"] or (None, None)
        comparisons.append(
            {
                "name": name,
                "label": _(INDICATORS[name]),
                "sentence": sentences[name],
                "low": low,
                "high": high,
                **c,
            }
        )
    whisker_rows = [
        {"label": c["label"], "difference": c["difference"], "low": c["low"], "high": c["high"]}
        for c in comparisons
    ]
    attrition = result["attrition"]
    stages = ["randomised", *WAVES]
    funnel_rows = [
        {
            "stage": _("Randomised") if stage == "randomised" else _(WAVE_LABELS[stage]),
            "arm": _(ARM_LABELS[arm]),
            "people": attrition[arm][stage],
        }
        for stage in stages
        for arm in ARMS
    ]
    return {
        "studies": every,
        "chosen": chosen,
        "study": result["study"],
        "comparisons": comparisons,
        "whiskers_svg": charts.whiskers(
            whisker_rows, lang=lang, percent_title=_("Difference, intervention − control")
        ),
        "funnel_svg": charts.funnel(funnel_rows, lang=lang, percent_title=_("People")),
        "stages": [
            {
                "key": stage,
                "label": _("Randomised") if stage == "randomised" else _(WAVE_LABELS[stage]),
                **{arm: attrition[arm][stage] for arm in ARMS},
            }
            for stage in stages
        ],
        "attrition": attrition,
        "balance": {
            which: [{**row, "label": _(COVARIATES[row["covariate"]])} for row in rows]
            for which, rows in result["balance"].items()
        },
    }
