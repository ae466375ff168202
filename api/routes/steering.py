"""``GET /api/v1/steering``: which steps the meeting ideas steer towards, and on what evidence
(the program's own associations from 200 measured participants, else the seed report's finding).
Any role."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import AnalystReader, SessionDep
from outcomes.study import steering

router = APIRouter(prefix="/steering", tags=["studies"])


class SteeringPublic(BaseModel):
    source: Literal["program", "report"]
    measured: int
    min_measured: int
    steps: list[str]


@router.get("")
def read_steering(session: SessionDep, _: AnalystReader) -> SteeringPublic:
    """The source in use (``program`` or ``report``), the measured participants it rests on,
    and the steps, strongest first."""
    return SteeringPublic(**steering(session))
