"""Routes for meetings: schedule one, read, list, move or cancel one (also one of a series)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status

from meetings import scheduling
from meetings.api.deps import (
    ERRORS,
    ConnDep,
    Limit,
    Offset,
    Reader,
    ServiceTimezone,
    Staff,
    organisation_scope,
)
from meetings.api.schemas import MeetingCancel, MeetingCreate, MeetingPage, MeetingPublic, MeetingUpdate
from meetings.model import MeetingStatus

router = APIRouter(prefix="/v1/meetings", tags=["meetings"], responses=ERRORS)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MeetingPublic)
async def create_meeting(
    body: MeetingCreate, conn: ConnDep, _who: Staff, timezone: ServiceTimezone
) -> MeetingPublic:
    created = await scheduling.schedule_meeting(conn=conn, new=body.to_domain(timezone=timezone))
    return MeetingPublic.model_validate(created)


@router.get("/{meeting_id}", response_model=MeetingPublic)
async def read_meeting(meeting_id: uuid.UUID, conn: ConnDep, who: Reader) -> MeetingPublic:
    """A representative sees only the invitees of its own organisation."""
    row = await scheduling.get_meeting(conn=conn, meeting_id=meeting_id, scope=organisation_scope(who))
    return MeetingPublic.model_validate(row)


@router.get("", response_model=MeetingPage)
async def list_meetings(
    conn: ConnDep,
    _who: Reader,
    start: Annotated[
        datetime | None, Query(alias="from", description="Only meetings starting at or after")
    ] = None,
    end: Annotated[datetime | None, Query(alias="to", description="Only meetings starting before")] = None,
    group_id: uuid.UUID | None = None,
    series_id: uuid.UUID | None = None,
    status: MeetingStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> MeetingPage:
    rows, total = await scheduling.list_meetings(
        conn=conn,
        start=start,
        end=end,
        group_id=group_id,
        series_id=series_id,
        status=status,
        limit=limit,
        offset=offset,
    )
    return MeetingPage(
        items=[MeetingPublic.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.patch("/{meeting_id}", response_model=MeetingPublic)
async def move_meeting(
    meeting_id: uuid.UUID, body: MeetingUpdate, conn: ConnDep, _who: Staff
) -> MeetingPublic:
    """Move one meeting to another time or place; other meetings of its series stay as they are."""
    row = await scheduling.reschedule_meeting(
        conn=conn,
        meeting_id=meeting_id,
        version=body.version,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        place=body.place,
    )
    return MeetingPublic.model_validate(row)


@router.post("/{meeting_id}/cancel", response_model=MeetingPublic)
async def cancel_meeting(
    meeting_id: uuid.UUID, body: MeetingCancel, conn: ConnDep, _who: Staff
) -> MeetingPublic:
    row = await scheduling.cancel_meeting(
        conn=conn, meeting_id=meeting_id, version=body.version, reason=body.reason
    )
    return MeetingPublic.model_validate(row)
