"""Routes for attendance at a meeting, and counts by organisation over time (for a chart)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from meetings import attendance
from meetings.api.deps import ERRORS, ConnDep, Reader, Representative, organisation_scope
from meetings.api.schemas import (
    AttendancePublic,
    AttendanceStatistics,
    AttendanceUpdate,
    RollCallEntry,
    RollCallPublic,
    RollCallUpdate,
)

router = APIRouter(tags=["attendance"], responses=ERRORS)


@router.get("/v1/meetings/{meeting_id}/attendance", response_model=list[AttendancePublic])
async def list_attendance(meeting_id: uuid.UUID, conn: ConnDep, who: Reader) -> list[AttendancePublic]:
    rows = await attendance.list_for_meeting(conn=conn, meeting_id=meeting_id, scope=organisation_scope(who))
    return [AttendancePublic.model_validate(r) for r in rows]


@router.get("/v1/meetings/{meeting_id}/roll-call", response_model=RollCallPublic)
async def get_roll_call(meeting_id: uuid.UUID, conn: ConnDep, who: Reader) -> RollCallPublic:
    """Everyone expected (members, invitees, anyone recorded), once each, for a roll call on one form."""
    rows = await attendance.roll_call(conn=conn, meeting_id=meeting_id, scope=organisation_scope(who))
    return RollCallPublic(meeting_id=meeting_id, entries=[RollCallEntry.model_validate(r) for r in rows])


@router.put("/v1/meetings/{meeting_id}/attendance", response_model=list[AttendancePublic])
async def record_roll_call(
    meeting_id: uuid.UUID, body: RollCallUpdate, conn: ConnDep, who: Representative
) -> list[AttendancePublic]:
    """Save a whole roll call at once; guests are added as people. All or nothing."""
    rows = await attendance.record_roll_call(
        conn=conn,
        meeting_id=meeting_id,
        roll=body.to_domain(),
        scope=organisation_scope(who),
    )
    return [AttendancePublic.model_validate(r) for r in rows]


@router.put("/v1/meetings/{meeting_id}/attendance/{person_id}", response_model=AttendancePublic)
async def record_attendance(
    meeting_id: uuid.UUID, person_id: uuid.UUID, body: AttendanceUpdate, conn: ConnDep, who: Representative
) -> AttendancePublic:
    row = await attendance.record(
        conn=conn,
        meeting_id=meeting_id,
        person_id=person_id,
        status=body.status,
        organisation_id=body.organisation_id,
        scope=organisation_scope(who),
    )
    return AttendancePublic.model_validate(row)


@router.get("/v1/statistics/attendance-by-organisation", response_model=AttendanceStatistics)
async def attendance_by_organisation(
    conn: ConnDep,
    who: Reader,
    group_id: uuid.UUID | None = None,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
) -> AttendanceStatistics:
    """Per month and organisation: how many were present, guests, excused, absent."""
    rows = await attendance.by_organisation(
        conn=conn, group_id=group_id, start=start, end=end, organisation_id=organisation_scope(who)
    )
    return AttendanceStatistics.model_validate({"group_id": group_id, "rows": rows})
