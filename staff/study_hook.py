"""Where the study page meets the study engine (``outcomes/study.py``, built by another team).

:func:`study_view` is the one place to wire it: until ``outcomes.study`` exists it returns
``None`` and the page shows "no study yet". Once it exists, make this function return the
engine's comparison for the page (a dict the template ``study.html`` reads: ``sentences``,
``estimates`` with intervals, ``funnel`` by arm, ``balance``); the template has a branch for it.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from sqlmodel import Session, select


def study_engine_present() -> bool:
    return importlib.util.find_spec("outcomes.study") is not None


def study_view(session: Session) -> dict[str, Any] | None:
    """The study comparison for the page, or ``None`` while there is no study engine."""
    if not study_engine_present():
        return None
    from outcomes.study_models import Study

    if session.exec(select(Study.id).limit(1)).first() is None:
        return None  # no study has been created or imported: "no study yet"
    return {"engine": True}  # the engine landed: wire its results here (see the module text)
