"""Use cases that put meetings in the calendar."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from backbone.outbox import add_event
from backbone.queries import Queries
from meetings.contracts import MEETING_SCHEDULED, Invitee, MeetingScheduledV1

q = Queries(Path(__file__).parent / "sql")


@dataclass(frozen=True)
class NewMeeting:
    title: str
    group_name: str | None
    starts_at: datetime
    ends_at: datetime
    timezone: str
    place: str | None
    invitees: list[tuple[str, str]]  # (name, email)


async def schedule_meeting(*, conn: asyncpg.Connection, new: NewMeeting) -> dict[str, Any]:
    """Store the meeting and its invitees, and record `meetings.meeting.scheduled.v1`, in one transaction."""
    async with conn.transaction():
        row = await conn.fetchrow(
            q.insert_meeting,
            uuid.uuid4(),
            new.title,
            new.group_name,
            new.starts_at,
            new.ends_at,
            new.timezone,
            new.place,
        )
        assert row is not None
        for position, (name, email) in enumerate(new.invitees):
            await conn.execute(q.insert_invitee, row["id"], position, name, email)
        await add_event(
            conn,
            MEETING_SCHEDULED,
            MeetingScheduledV1(
                meeting_id=str(row["id"]),
                title=row["title"],
                group_name=row["group_name"],
                starts_at=row["starts_at"],
                ends_at=row["ends_at"],
                timezone=row["timezone"],
                place=row["place"],
                invitees=[Invitee(name=n, email=e) for n, e in new.invitees],
            ),
            aggregate_id=str(row["id"]),
        )
    return {**dict(row), "invitees": [{"name": n, "email": e} for n, e in new.invitees]}


async def get_meeting(*, conn: asyncpg.Connection, meeting_id: uuid.UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(q.get_meeting, meeting_id)
    if row is None:
        return None
    invitees = [dict(r) for r in await conn.fetch(q.list_invitees, meeting_id)]
    return {**dict(row), "invitees": invitees}


async def list_meetings(
    *, conn: asyncpg.Connection, start: datetime | None, end: datetime | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    rows = await conn.fetch(q.list_meetings, start, end, limit, offset)
    total = await conn.fetchval(q.count_meetings, start, end)
    return [dict(r) for r in rows], int(total)
