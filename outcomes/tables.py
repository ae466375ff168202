"""Every module that defines tables, so that migrations, privacy and tests see the whole schema.

    from outcomes.tables import metadata
    metadata()        # SQLModel's one MetaData, with every table of Stegvis in it

A new table module is added to ``TABLE_MODULES`` (an import, so mypy and import-linter see it).
All tables are the domain's: those the bot writes (conversation state, handled updates, skipped
survey questions) live in ``outcomes/`` too, so Alembic's ``env.py`` and erasure never import
an adapter.
"""

from __future__ import annotations

from types import ModuleType

from sqlalchemy import MetaData
from sqlmodel import SQLModel

from outcomes import (
    announcements,
    contacts,
    conversations,
    group_meetings,
    kept_models,
    mentor_surveys,
    models,
    retention_models,
    schedule_models,
    staff_models,
    study_models,
    survey_skips,
)

TABLE_MODULES: tuple[ModuleType, ...] = (
    models,
    contacts,
    schedule_models,
    conversations,
    survey_skips,
    study_models,
    staff_models,
    announcements,
    mentor_surveys,
    group_meetings,
    kept_models,
    retention_models,
)


def metadata() -> MetaData:
    """The one metadata every table module shares (all of them are imported above)."""
    return SQLModel.metadata
