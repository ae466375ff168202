"""Announcements from the staff to a cohort, its mentors, its participants or the pairs with a
health flag, each person in their language. Staff, admin.

    POST  /api/v1/announcements          {"cohort", "audience": "cohort"|"mentors"|"participants"|
                                         "flag", "flag"?, "texts": {"sv": "…", "ar"?: "…"},
                                         "dry_run"?: true} → 201 the announcement (sending now),
                                         or with dry_run 200 the preview: recipients per language
    POST  /api/v1/announcements/preview  the same body: the preview only (nothing stored)
    GET   /api/v1/announcements          the newest first (?cohort=ID)
    GET   /api/v1/announcements/{id}     with "counts": recipients, pending, sent, delivered,
                                         blocked, cancelled
    PATCH /api/v1/announcements/{id}     {"state": "cancelled"}: stop it; the rest is cancelled

A Swedish text is required; a language the bot does not speak, an unknown cohort or flag, or an
audience with no one connected to the bot is refused (422 / 404) and nothing is stored.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from api.deps import IdQuery, SessionDep, StaffDep, actor
from outcomes import announcements as ann
from outcomes.announcements import (
    AnnouncementCreate,
    AnnouncementPreview,
    AnnouncementPublic,
    AnnouncementUpdate,
)

router = APIRouter(prefix="/announcements", tags=["announcements"])

AnnouncementId = Annotated[int, Path(ge=1, le=2**62, description="The announcement's id")]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AnnouncementPublic | AnnouncementPreview,
)
def create_announcement(
    data: AnnouncementCreate, session: SessionDep, token: StaffDep, response: Response
) -> AnnouncementPublic | AnnouncementPreview:
    """Send an announcement (with ``dry_run``: only the preview, status 200)."""
    if data.dry_run:
        response.status_code = status.HTTP_200_OK
        return ann.preview_announcement(session, data)
    row = ann.create_announcement(session, data, actor=actor(token))
    return ann.public(session, row)


@router.post("/preview")
def preview_announcement(
    data: AnnouncementCreate, session: SessionDep, token: StaffDep
) -> AnnouncementPreview:
    """Who would get it, per language, and which version; nothing is stored."""
    return ann.preview_announcement(session, data)


@router.get("")
def list_announcements(
    session: SessionDep, token: StaffDep, cohort: IdQuery = None
) -> list[AnnouncementPublic]:
    """The newest 50 announcements first, with their counts."""
    return [ann.public(session, row) for row in ann.list_announcements(session, cohort=cohort)]


@router.get("/{announcement_id}")
def get_announcement(
    announcement_id: AnnouncementId, session: SessionDep, token: StaffDep
) -> AnnouncementPublic:
    """One announcement with its counts per state."""
    return ann.public(session, ann.get_announcement(session, announcement_id))


@router.patch("/{announcement_id}")
def cancel_announcement(
    announcement_id: AnnouncementId,
    data: AnnouncementUpdate,
    session: SessionDep,
    token: StaffDep,
) -> AnnouncementPublic:
    """Stop it: everyone not reached yet is recorded as cancelled."""
    ann.cancel_announcement(session, announcement_id, actor=actor(token))
    return ann.public(session, ann.get_announcement(session, announcement_id))
