"""Use cases that put meetings in the calendar: single meetings, series, moving and cancelling."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import asyncpg

from backbone.errors import NotFound, RuleError, StaleVersion
from backbone.outbox import add_event
from backbone.paging import fetch_page
from meetings import model
from meetings.contracts import (
    MEETING_CANCELLED,
    MEETING_RESCHEDULED,
    MEETING_SCHEDULED,
    SERIES_CREATED,
    Invitee,
    MeetingCancelledV1,
    MeetingRescheduledV1,
    MeetingScheduledV1,
    SeriesCreatedV1,
)
from meetings.sql_queries import q

Row = dict[str, Any]


@dataclass(frozen=True)
class NewMeeting:
    title: str
    group_name: str | None
    starts_at: datetime
    ends_at: datetime
    timezone: str
    place: str | None
    invitees: list[tuple[str, str]]  # (name, email)
    group_id: uuid.UUID | None = None
    series_id: uuid.UUID | None = None
    occurrence_date: date | None = None
    source: str = "api"


@dataclass(frozen=True)
class NewSeries:
    title: str
    group_id: uuid.UUID | None
    place: str | None
    timezone: str
    rule: model.Recurrence
    start_time: time
    duration_minutes: int
    starts_on: date
    until: date | None = None
    count: int | None = None
    extra_invitees: list[tuple[str, str]] = field(default_factory=list)


async def _group(conn: asyncpg.Connection, group_id: uuid.UUID | None) -> Any:
    if group_id is None:
        return None
    group = await q.get_group.fetchrow(conn, id=group_id)
    if group is None:
        raise NotFound(f"there is no group with id {group_id}")
    return group


async def _insert(conn: asyncpg.Connection, new: NewMeeting, *, announce: bool) -> Row:
    row = await q.insert_meeting.fetchrow(
        conn,
        id=uuid.uuid4(),
        title=new.title,
        group_name=new.group_name,
        starts_at=new.starts_at,
        ends_at=new.ends_at,
        timezone=new.timezone,
        place=new.place,
        group_id=new.group_id,
        series_id=new.series_id,
        occurrence_date=new.occurrence_date,
        source=new.source,
        names=[name for name, _email in new.invitees],
        emails=[email for _name, email in new.invitees],
    )
    if announce:
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
                group_id=str(new.group_id) if new.group_id else None,
                series_id=str(new.series_id) if new.series_id else None,
            ),
            aggregate_id=str(row["id"]),
        )
    return {**dict(row), "invitees": [{"name": n, "email": e} for n, e in new.invitees]}


async def _member_invitees(conn: asyncpg.Connection, group_id: uuid.UUID | None) -> list[tuple[str, str]]:
    if group_id is None:
        return []
    return [(r["name"], r["email"]) for r in await q.member_invitees.fetch(conn, group_id=group_id)]


async def schedule_meeting(*, conn: asyncpg.Connection, new: NewMeeting, announce: bool = True) -> Row:
    """Store the meeting and its invitees, and record `meetings.meeting.scheduled.v1`, in one transaction.

    A meeting of a group without explicit invitees invites the group's members who have an email.
    Imported (historical) meetings are stored with `announce=False`: nobody should be invited to 2016.
    """
    async with conn.transaction():
        group = await _group(conn, new.group_id)
        if group is not None:
            invitees = new.invitees or (await _member_invitees(conn, new.group_id) if announce else [])
            new = NewMeeting(
                **{**new.__dict__, "group_name": new.group_name or group["name"], "invitees": invitees}
            )
        return await _insert(conn, new, announce=announce)


async def create_series(*, conn: asyncpg.Connection, new: NewSeries) -> Row:
    """Store a series and generate its meetings, each announced with its own scheduled event."""
    days = model.occurrences(new.rule, starts_on=new.starts_on, until=new.until, count=new.count)
    if not days:
        raise RuleError("the series has no meetings between starts_on and until; check the dates and weekday")
    async with conn.transaction():
        group = await _group(conn, new.group_id)
        series = await q.insert_series.fetchrow(
            conn,
            id=uuid.uuid4(),
            group_id=new.group_id,
            title=new.title,
            place=new.place,
            timezone=new.timezone,
            frequency=new.rule.frequency,
            interval=new.rule.interval,
            weekday=new.rule.weekday,
            week_of_month=new.rule.week_of_month,
            start_time=new.start_time,
            duration_minutes=new.duration_minutes,
            starts_on=new.starts_on,
            until=new.until,
        )
        invitees = await _member_invitees(conn, new.group_id) + new.extra_invitees
        meetings: list[Row] = []
        for day in days:
            starts, ends = model.local_slot(day, new.start_time, new.duration_minutes, new.timezone)
            meetings.append(
                await _insert(
                    conn,
                    NewMeeting(
                        title=new.title,
                        group_name=group["name"] if group else None,
                        starts_at=starts,
                        ends_at=ends,
                        timezone=new.timezone,
                        place=new.place,
                        invitees=invitees,
                        group_id=new.group_id,
                        series_id=series["id"],
                        occurrence_date=day,
                        source="series",
                    ),
                    announce=True,
                )
            )
        await add_event(
            conn,
            SERIES_CREATED,
            SeriesCreatedV1(
                series_id=str(series["id"]),
                group_id=str(new.group_id) if new.group_id else None,
                title=new.title,
                meeting_ids=[str(m["id"]) for m in meetings],
            ),
            aggregate_id=str(series["id"]),
        )
    return {**dict(series), "group_name": group["name"] if group else None, "meetings": meetings}


async def get_series(*, conn: asyncpg.Connection, series_id: uuid.UUID) -> Row:
    row = await q.get_series.fetchrow(conn, id=series_id)
    if row is None:
        raise NotFound(f"there is no series with id {series_id}")
    meetings, _ = await list_meetings(
        conn=conn, start=None, end=None, series_id=series_id, limit=500, offset=0
    )
    group = await q.get_group.fetchrow(conn, id=row["group_id"]) if row["group_id"] else None
    return {**dict(row), "group_name": group["name"] if group else None, "meetings": meetings}


async def list_series(
    *, conn: asyncpg.Connection, group_id: uuid.UUID | None, limit: int, offset: int
) -> tuple[list[Row], int]:
    return await fetch_page(conn, q.list_series, group_id=group_id, limit=limit, offset=offset)


async def get_meeting(
    *, conn: asyncpg.Connection, meeting_id: uuid.UUID, scope: uuid.UUID | None = None
) -> Row:
    """The meeting and its invitees; with `scope`, only the invitees of that organisation."""
    row = await q.get_meeting.fetchrow(conn, id=meeting_id)
    if row is None:
        raise NotFound(f"there is no meeting with id {meeting_id}")
    if scope is None:
        found = await q.list_invitees.fetch(conn, meeting_id=meeting_id)
    else:
        found = await q.list_invitees_of_organisation.fetch(
            conn,
            meeting_id=meeting_id,
            organisation_id=scope,
        )
    invitees = [dict(r) for r in found]
    return {**dict(row), "invitees": invitees}


async def list_meetings(
    *,
    conn: asyncpg.Connection,
    start: datetime | None,
    end: datetime | None,
    limit: int,
    offset: int,
    group_id: uuid.UUID | None = None,
    series_id: uuid.UUID | None = None,
    status: str | None = None,
) -> tuple[list[Row], int]:
    return await fetch_page(
        conn,
        q.list_meetings,
        start=start,
        end=end,
        group_id=group_id,
        series_id=series_id,
        status=status,
        limit=limit,
        offset=offset,
    )


async def _locked(conn: asyncpg.Connection, meeting_id: uuid.UUID, version: int) -> Any:
    current = await q.lock_meeting.fetchrow(conn, id=meeting_id)
    if current is None:
        raise NotFound(f"there is no meeting with id {meeting_id}")
    if current["version"] != version:
        raise StaleVersion(
            f"the meeting was changed by someone else (version is now {current['version']}, you sent"
            f" {version}); reload it and try again"
        )
    if current["status"] == "cancelled":
        raise RuleError("the meeting is cancelled; schedule a new one instead")
    return current


async def reschedule_meeting(
    *,
    conn: asyncpg.Connection,
    meeting_id: uuid.UUID,
    version: int,
    starts_at: datetime | None,
    ends_at: datetime | None,
    place: str | None,
) -> Row:
    """Move one meeting (of a series or not) to another time or place; the others stay as they are."""
    async with conn.transaction():
        current = await _locked(conn, meeting_id, version)
        new_start = starts_at or current["starts_at"]
        new_end = ends_at or (new_start + (current["ends_at"] - current["starts_at"]))
        if new_end <= new_start:
            raise RuleError("the meeting must end after it starts")
        row = await q.move_meeting.fetchrow(
            conn,
            id=meeting_id,
            version=version,
            starts_at=new_start,
            ends_at=new_end,
            place=place or current["place"],
        )
        invitees = [
            Invitee(name=r["name"], email=r["email"])
            for r in await q.list_invitees.fetch(conn, meeting_id=meeting_id)
        ]
        await add_event(
            conn,
            MEETING_RESCHEDULED,
            MeetingRescheduledV1(
                meeting_id=str(meeting_id),
                title=row["title"],
                group_name=row["group_name"],
                group_id=str(row["group_id"]) if row["group_id"] else None,
                previous_starts_at=current["starts_at"],
                starts_at=row["starts_at"],
                ends_at=row["ends_at"],
                timezone=row["timezone"],
                place=row["place"],
                invitees=invitees,
            ),
            aggregate_id=str(meeting_id),
        )
    return await get_meeting(conn=conn, meeting_id=meeting_id)


async def cancel_meeting(
    *, conn: asyncpg.Connection, meeting_id: uuid.UUID, version: int, reason: str | None
) -> Row:
    async with conn.transaction():
        await _locked(conn, meeting_id, version)
        row = await q.cancel_meeting.fetchrow(conn, id=meeting_id, version=version, cancel_reason=reason)
        invitees = [
            Invitee(name=r["name"], email=r["email"])
            for r in await q.list_invitees.fetch(conn, meeting_id=meeting_id)
        ]
        await add_event(
            conn,
            MEETING_CANCELLED,
            MeetingCancelledV1(
                meeting_id=str(meeting_id),
                title=row["title"],
                group_name=row["group_name"],
                group_id=str(row["group_id"]) if row["group_id"] else None,
                starts_at=row["starts_at"],
                timezone=row["timezone"],
                reason=reason,
                invitees=invitees,
            ),
            aggregate_id=str(meeting_id),
        )
    return await get_meeting(conn=conn, meeting_id=meeting_id)
