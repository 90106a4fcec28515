"""Use cases for attendance: who came, for which organisation, and counts by organisation over time."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from backbone.errors import NotAllowed, NotFound, RuleError
from backbone.outbox import add_event
from meetings import registry
from meetings.contracts import ATTENDANCE_RECORDED, AttendanceRecordedV1
from meetings.model import AttendanceStatus
from meetings.sql_queries import q

Row = dict[str, Any]


async def record(
    *,
    conn: asyncpg.Connection,
    meeting_id: uuid.UUID,
    person_id: uuid.UUID,
    status: AttendanceStatus,
    organisation_id: uuid.UUID | None,
    scope: uuid.UUID | None = None,
) -> Row:
    """Record one person's attendance; they represent `organisation_id`, else what they represent in
    the group, else their own organisation. `scope` limits it to one organisation's people."""
    async with conn.transaction():
        meeting = await _lock_meeting(conn, meeting_id)
        await _record_one(
            conn,
            meeting=meeting,
            person_id=person_id,
            status=status,
            organisation_id=organisation_id,
            scope=scope,
        )
    rows = await list_for_meeting(conn=conn, meeting_id=meeting_id)
    return next(r for r in rows if r["person_id"] == person_id)


@dataclass(frozen=True)
class RollCallMark:
    """One line of a roll call: `person:<id>` or `invitee:<position>`, and how they attended."""

    key: str
    status: AttendanceStatus


@dataclass(frozen=True)
class Guest:
    name: str
    organisation_name: str | None = None


@dataclass(frozen=True)
class RollCall:
    """A whole roll call as one form sends it: a mark for whom it names, and guests to add."""

    marks: list[RollCallMark] = field(default_factory=list)
    guests: list[Guest] = field(default_factory=list)


async def roll_call(
    *, conn: asyncpg.Connection, meeting_id: uuid.UUID, scope: uuid.UUID | None = None
) -> list[Row]:
    """Everyone expected at the meeting, once each, with what is recorded for them so far."""
    if await q.get_meeting.fetchrow(conn, id=meeting_id) is None:
        raise NotFound(f"there is no meeting with id {meeting_id}")
    return [dict(r) for r in await q.roll_call.fetch(conn, meeting_id=meeting_id, organisation_id=scope)]


async def record_roll_call(
    *,
    conn: asyncpg.Connection,
    meeting_id: uuid.UUID,
    roll: RollCall,
    scope: uuid.UUID | None = None,
) -> list[Row]:
    """Save a whole roll call in one transaction: every mark, and guests added as people of their own.

    An invitee who is not yet a person becomes one (with the invited address), linked to the
    invitation. A key that is not on the meeting's roll call refuses the whole save, so a stale page
    never records half a meeting."""
    async with conn.transaction():
        meeting = await _lock_meeting(conn, meeting_id)
        everyone = await q.roll_call.fetch(conn, meeting_id=meeting_id, organisation_id=None)
        expected = {r["key"]: r for r in everyone}
        listed = await q.roll_call_invitees.fetch(conn, meeting_id=meeting_id)
        invitees = {f"invitee:{r['position']}": r for r in listed}
        unknown = [m.key for m in roll.marks if m.key not in expected and m.key not in invitees]
        if unknown:
            raise RuleError(
                f"{len(unknown)} of the people sent are not on this meeting's roll call"
                f" ({', '.join(unknown[:3])}); reload the page and try again"
            )
        for mark in roll.marks:
            if mark.key in expected and expected[mark.key]["person_id"] is not None:
                person_id = expected[mark.key]["person_id"]
            else:
                # An invitee keyed by position: the person the invitation was made to, or a new one
                # registered now and linked to it. Never whoever has the address now: anyone who
                # can give a person an address could then take over the invitation.
                invitee = invitees[mark.key]
                person_id = invitee["person_id"]
                if person_id is None:
                    person = await registry.register_person(
                        conn=conn, name=invitee["name"], email=invitee["email"], organisation_id=None
                    )
                    person_id = person["id"]
                    await q.link_invitee.execute(
                        conn, meeting_id=meeting_id, position=invitee["position"], person_id=person_id
                    )
            await _record_one(
                conn,
                meeting=meeting,
                person_id=person_id,
                status=mark.status,
                organisation_id=None,
                scope=scope,
            )
        for guest in roll.guests:
            if scope is not None:
                raise NotAllowed("only staff can add guests to a meeting's attendance")
            organisation_id = None
            if guest.organisation_name:
                organisation = await registry.ensure_organisation(
                    conn=conn, name=guest.organisation_name, kind="other"
                )
                organisation_id = organisation["id"]
            person = await registry.ensure_guest(conn=conn, name=guest.name, organisation_id=organisation_id)
            await _record_one(
                conn,
                meeting=meeting,
                person_id=person["id"],
                status="guest",
                organisation_id=organisation_id,
                scope=None,
            )
    return await list_for_meeting(conn=conn, meeting_id=meeting_id, scope=scope)


async def _lock_meeting(conn: asyncpg.Connection, meeting_id: uuid.UUID) -> asyncpg.Record:
    meeting = await q.lock_meeting.fetchrow(conn, id=meeting_id)
    if meeting is None:
        raise NotFound(f"there is no meeting with id {meeting_id}")
    return meeting


async def _record_one(
    conn: asyncpg.Connection,
    *,
    meeting: asyncpg.Record,
    person_id: uuid.UUID,
    status: AttendanceStatus,
    organisation_id: uuid.UUID | None,
    scope: uuid.UUID | None,
) -> None:
    person = await q.get_person.fetchrow(conn, id=person_id)
    if person is None:
        raise NotFound(f"there is no person with id {person_id}")
    represents = organisation_id
    if represents is None and meeting["group_id"] is not None:
        represents = await q.member_organisation.fetchval(
            conn,
            group_id=meeting["group_id"],
            person_id=person_id,
        )
    if represents is None:
        represents = person["organisation_id"]
    if scope is not None and (represents != scope or person["organisation_id"] != scope):
        raise NotAllowed("you can only record attendance for people of your own organisation")
    if represents is not None and await q.get_organisation.fetchrow(conn, id=represents) is None:
        raise NotFound(f"there is no organisation with id {represents}")
    await q.upsert_attendance.fetchrow(
        conn,
        meeting_id=meeting["id"],
        person_id=person_id,
        status=status,
        organisation_id=represents,
    )
    await add_event(
        conn,
        ATTENDANCE_RECORDED,
        AttendanceRecordedV1(
            meeting_id=str(meeting["id"]),
            person_id=str(person_id),
            status=status,
            organisation_id=str(represents) if represents else None,
        ),
        aggregate_id=str(meeting["id"]),
    )


async def list_for_meeting(
    *, conn: asyncpg.Connection, meeting_id: uuid.UUID, scope: uuid.UUID | None = None
) -> list[Row]:
    if await q.get_meeting.fetchrow(conn, id=meeting_id) is None:
        raise NotFound(f"there is no meeting with id {meeting_id}")
    rows = await q.list_attendance.fetch(conn, meeting_id=meeting_id, organisation_id=scope)
    return [dict(r) for r in rows]


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
        dict(r) for r in await q.attendance_by_organisation.fetch(
            conn,
            group_id=group_id,
            start=start,
            end=end,
            organisation_id=organisation_id,
        )
    ]
