"""Use cases for attendance: who came, for which organisation, and counts by organisation over time."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from backbone.outbox import add_event
from meetings.contracts import ATTENDANCE_RECORDED, AttendanceRecordedV1
from meetings.model import NotAllowed, NotFound
from meetings.sql_queries import q

Row = dict[str, Any]


async def record(
    *,
    conn: asyncpg.Connection,
    meeting_id: uuid.UUID,
    person_id: uuid.UUID,
    status: str,
    organisation_id: uuid.UUID | None,
    scope: uuid.UUID | None = None,
) -> Row:
    """Record one person's attendance; they represent `organisation_id`, else what they represent in
    the group, else their own organisation. `scope` limits it to one organisation's people."""
    async with conn.transaction():
        meeting = await conn.fetchrow(q.get_meeting, meeting_id)
        if meeting is None:
            raise NotFound(f"there is no meeting with id {meeting_id}")
        person = await conn.fetchrow(q.get_person, person_id)
        if person is None:
            raise NotFound(f"there is no person with id {person_id}")
        represents = organisation_id
        if represents is None and meeting["group_id"] is not None:
            represents = await conn.fetchval(q.member_organisation, meeting["group_id"], person_id)
        if represents is None:
            represents = person["organisation_id"]
        if scope is not None and (represents != scope or person["organisation_id"] != scope):
            raise NotAllowed("you can only record attendance for people of your own organisation")
        if represents is not None and await conn.fetchrow(q.get_organisation, represents) is None:
            raise NotFound(f"there is no organisation with id {represents}")
        await conn.fetchrow(q.upsert_attendance, meeting_id, person_id, status, represents)
        await add_event(
            conn,
            ATTENDANCE_RECORDED,
            AttendanceRecordedV1(
                meeting_id=str(meeting_id),
                person_id=str(person_id),
                status=status,
                organisation_id=str(represents) if represents else None,
            ),
            aggregate_id=str(meeting_id),
        )
    rows = await list_for_meeting(conn=conn, meeting_id=meeting_id)
    return next(r for r in rows if r["person_id"] == person_id)


async def list_for_meeting(
    *, conn: asyncpg.Connection, meeting_id: uuid.UUID, scope: uuid.UUID | None = None
) -> list[Row]:
    if await conn.fetchrow(q.get_meeting, meeting_id) is None:
        raise NotFound(f"there is no meeting with id {meeting_id}")
    return [dict(r) for r in await conn.fetch(q.list_attendance, meeting_id, scope)]


async def by_organisation(
    *,
    conn: asyncpg.Connection,
    group_id: uuid.UUID | None,
    start: datetime | None,
    end: datetime | None,
    organisation_id: uuid.UUID | None = None,
) -> list[Row]:
    """Attendance counts per month and organisation: the numbers behind the UI's chart."""
    return [
        dict(r) for r in await conn.fetch(q.attendance_by_organisation, group_id, start, end, organisation_id)
    ]
