"""Every module that defines tables, so that migrations and tests see the whole schema."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData
from sqlmodel import SQLModel

TABLE_MODULES = (
    "outcomes.models",
    "outcomes.contacts",
    "outcomes.schedule_models",
    "outcomes.staff_models",
    "bot.models",
    "bot.survey_skips",
)


def metadata() -> MetaData:
    """Import every table module and return the one metadata they share."""
    for name in TABLE_MODULES:
        importlib.import_module(name)
    return SQLModel.metadata
