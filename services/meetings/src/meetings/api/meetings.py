"""Routes for meetings: schedule one, read one, list them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from meetings import scheduling
from meetings.api.deps import ConnDep
from meetings.api.schemas import MeetingCreate, MeetingPage, MeetingPublic

router = APIRouter(prefix="/v1/meetings", tags=["meetings"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MeetingPublic)
async def create_meeting(body: MeetingCreate, conn: ConnDep) -> MeetingPublic:
    created = await scheduling.schedule_meeting(
        conn=conn,
        new=scheduling.NewMeeting(
            title=body.title,
            group_name=body.group_name,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            timezone=body.timezone,
            place=body.place,
            invitees=[(i.name, str(i.email)) for i in body.invitees],
        ),
    )
    return MeetingPublic.model_validate(created)


@router.get("/{meeting_id}", response_model=MeetingPublic)
async def read_meeting(meeting_id: uuid.UUID, conn: ConnDep) -> MeetingPublic:
    found = await scheduling.get_meeting(conn=conn, meeting_id=meeting_id)
    if found is None:
        raise HTTPException(status_code=404, detail=f"There is no meeting with id {meeting_id}.")
    return MeetingPublic.model_validate(found)


@router.get("", response_model=MeetingPage)
async def list_meetings(
    conn: ConnDep,
    start: Annotated[datetime | None, Query(alias="from", description="Only meetings starting at or after")] = None,
    end: Annotated[datetime | None, Query(alias="to", description="Only meetings starting before")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> MeetingPage:
    rows, total = await scheduling.list_meetings(conn=conn, start=start, end=end, limit=limit, offset=offset)
    return MeetingPage(
        items=[MeetingPublic.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )
