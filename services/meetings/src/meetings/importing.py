"""Use cases for importing old minutes: parse the text, store a draft meeting for review, save the review.

An imported text never becomes published minutes by itself: it is stored as draft minutes marked
as needing review, and only a person's review (PUT /v1/imports/{id}) clears that mark.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from backbone.errors import NotFound, RuleError, StaleVersion
from backbone.paging import fetch_page
from meetings import action_items, attendance, minutes, registry, scheduling
from meetings.importer import Attendee, ParsedMinutes, parse_minutes
from meetings.model import AttendanceStatus, OrganisationKind, SectionKind
from meetings.sql_queries import q

Row = dict[str, Any]

# The group meets at 13:30 for two hours (on the service's wall clock, `Settings.timezone`); an
# imported text rarely says when it started.
DEFAULT_START = time(13, 30)
DEFAULT_MINUTES = 120


def organisation_kind(name: str) -> OrganisationKind:
    """Municipal administrations end in "förvaltningen"; the rest are user organisations by default."""
    return "municipal" if name.lower().endswith(("förvaltningen", "förvaltning")) else "user_organisation"


def minutes_from(parsed: ParsedMinutes) -> minutes.MinutesContent:
    """The minutes an import (or its review) says: headings filled in, report sections recognised."""
    sections = []
    for s in parsed.sections:
        heading = (s.heading or "").strip() or "Inledning"
        kind: SectionKind = (
            "working_group_report" if heading.lower().startswith("rapport") else s.kind or "text"
        )
        sections.append(minutes.Section(heading=heading, text=s.text or "", kind=kind))
    return minutes.MinutesContent(
        title=parsed.title,
        minute_taker=parsed.minute_taker,
        sections=sections,
        decisions=[minutes.Decision(text=d.text, section=d.section) for d in parsed.decisions if d.text],
    )


async def _group_id(
    conn: asyncpg.Connection, group_id: uuid.UUID | None, name: str | None
) -> uuid.UUID | None:
    if group_id is not None:
        if await q.get_group.fetchrow(conn, id=group_id) is None:
            raise NotFound(f"there is no group with id {group_id}")
        return group_id
    if name:
        found = await q.find_group_by_name.fetchrow(conn, name=name)
        if found:
            return found["id"]
    return None


async def _record_attendance(conn: asyncpg.Connection, meeting_id: uuid.UUID, parsed: ParsedMinutes) -> None:
    people: list[tuple[Attendee, AttendanceStatus]] = [(a, "present") for a in parsed.attendees]
    people += [(a, "excused") for a in parsed.absent]
    for person, default_status in people:
        org_id = None
        if person.organisation:
            org = await registry.ensure_organisation(
                conn=conn, name=person.organisation, kind=organisation_kind(person.organisation)
            )
            org_id = org["id"]
        found = await registry.ensure_person(conn=conn, name=person.name, organisation_id=org_id)
        await attendance.record(
            conn=conn,
            meeting_id=meeting_id,
            person_id=found["id"],
            status=person.status or default_status,
            organisation_id=org_id or found.get("organisation_id"),
        )


async def _create_meeting(
    conn: asyncpg.Connection, parsed: ParsedMinutes, day: date, group_id: uuid.UUID | None, timezone: str
) -> tuple[uuid.UUID, uuid.UUID]:
    starts = datetime.combine(day, DEFAULT_START, tzinfo=ZoneInfo(timezone))
    title = parsed.group or parsed.title or "Möte"
    meeting = await scheduling.schedule_meeting(
        conn=conn,
        new=scheduling.NewMeeting(
            title=title,
            group_name=parsed.group,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=DEFAULT_MINUTES),
            timezone=timezone,
            place=None,
            invitees=[],
            group_id=group_id,
            source="import",
        ),
        announce=False,
    )
    await _record_attendance(conn, meeting["id"], parsed)
    doc = await minutes.start(
        conn=conn, meeting_id=meeting["id"], content=minutes_from(parsed), needs_review=True
    )
    return meeting["id"], doc["id"]


# Parsing half a million characters takes a while of pure CPU; on the event loop it would stall
# every request and the health checks meanwhile. Two parser threads are the most a service gives
# to imports at once, and only a few more uploads may wait their turn: each waiting one holds its
# text in memory, so beyond that an upload is refused at once instead of piling up.
PARSER_THREADS = 2
PARSES_WAITING = 4
BUSY_RETRY_SECONDS = 30


class ParserBusy(Exception):
    """Every parser thread is busy and the waiting line is full; the message says what to do."""


class ParserLine:
    """The parser threads and the uploads let in to wait for them, with a bound that never blocks."""

    def __init__(self, *, threads: int, waiting: int) -> None:
        self._threads = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="minutes-parser")
        self._room = threads + waiting
        # Counted until the thread is done, not until the request is: a cancelled request leaves
        # its parse running, and that parse still takes its place.
        self._lock = threading.Lock()
        self._admitted = 0

    @property
    def admitted(self) -> int:
        """Parses running or waiting for a thread."""
        return self._admitted

    async def parse(self, text: str, *, year: int | None, source_name: str | None) -> ParsedMinutes:
        with self._lock:
            if self._admitted >= self._room:
                raise ParserBusy(
                    f"The service is already reading {self._room} sets of minutes, the most it takes "
                    f"at once. Nothing was saved; try again in {BUSY_RETRY_SECONDS} seconds."
                )
            self._admitted += 1
        try:
            work = self._threads.submit(
                functools.partial(parse_minutes, text, year=year, source_name=source_name)
            )
        except BaseException:
            self._done()
            raise
        work.add_done_callback(lambda _work: self._done())
        return await asyncio.wrap_future(work)

    def _done(self) -> None:
        with self._lock:
            self._admitted -= 1


PARSERS = ParserLine(threads=PARSER_THREADS, waiting=PARSES_WAITING)


async def parse_upload(*, text: str, year: int | None, source_name: str | None) -> ParsedMinutes:
    """The first half of an import, without a database connection: `parse_minutes` in a parser
    thread, so the event loop goes on serving other requests meanwhile.

    Raises ParserBusy when the parsers' waiting line is full.
    """
    return await PARSERS.parse(text, year=year, source_name=source_name)


async def store_import(
    *,
    conn: asyncpg.Connection,
    parsed: ParsedMinutes,
    text: str,
    year: int | None,
    source_name: str | None,
    timezone: str,
    group_id: uuid.UUID | None = None,
) -> Row:
    """Store parsed minutes as a draft meeting (when the date is known, at 13:30 in `timezone`)
    awaiting review."""
    async with conn.transaction():
        meeting_id = minutes_id = None
        gid = await _group_id(conn, group_id, parsed.group)
        if parsed.date is not None:
            meeting_id, minutes_id = await _create_meeting(conn, parsed, parsed.date, gid, timezone)
        else:
            parsed.warnings.append(
                "No meeting was created because the date is unknown; give the date when you save the review."
            )
        row = await q.insert_import.fetchrow(
            conn,
            id=uuid.uuid4(),
            source_name=source_name,
            year=year,
            text=text,
            parsed=parsed.to_dict(),
            meeting_id=meeting_id,
            minutes_id=minutes_id,
        )
    return dict(row)


async def get_import(*, conn: asyncpg.Connection, import_id: uuid.UUID) -> Row:
    row = await q.get_import.fetchrow(conn, id=import_id)
    if row is None:
        raise NotFound(f"there is no import with id {import_id}")
    return dict(row)


async def list_imports(
    *, conn: asyncpg.Connection, status: str | None, limit: int, offset: int
) -> tuple[list[Row], int]:
    return await fetch_page(conn, q.list_imports, status=status, limit=limit, offset=offset)


async def save_review(
    *,
    conn: asyncpg.Connection,
    import_id: uuid.UUID,
    version: int,
    reviewed: ParsedMinutes,
    group_id: uuid.UUID | None,
    timezone: str,
) -> Row:
    """Apply a person's corrections: date, attendance, minutes text; the minutes stay a draft.

    The first review also turns the promises it lists into action items of the meeting.
    """
    async with conn.transaction():
        current = await q.lock_import.fetchrow(conn, id=import_id)
        if current is None:
            raise NotFound(f"there is no import with id {import_id}")
        if current["version"] != version:
            raise StaleVersion(
                f"someone else saved this import meanwhile (version is now {current['version']}, you sent"
                f" {version}); reload it and try again"
            )
        day = reviewed.date
        if day is None:
            raise RuleError("the review must give the meeting's date")
        gid = await _group_id(conn, group_id, reviewed.group)
        meeting_id, minutes_id = current["meeting_id"], current["minutes_id"]
        if meeting_id is None:
            meeting_id, minutes_id = await _create_meeting(conn, reviewed, day, gid, timezone)
        else:
            meeting = await q.get_meeting.fetchrow(conn, id=meeting_id)
            # The meeting keeps the zone it was stored in, whatever the setting says today.
            zone = ZoneInfo(meeting["timezone"])
            starts = datetime.combine(day, DEFAULT_START, tzinfo=zone)
            if meeting["starts_at"].astimezone(zone).date() != day:
                await q.set_meeting_start.execute(
                    conn,
                    id=meeting_id,
                    starts_at=starts,
                    ends_at=starts + timedelta(minutes=DEFAULT_MINUTES),
                    title=meeting["title"],
                )
            await q.clear_attendance.execute(conn, meeting_id=meeting_id)
            await _record_attendance(conn, meeting_id, reviewed)
        doc = await minutes.get(conn=conn, minutes_id=minutes_id)
        if doc["status"] in ("published", "superseded", "approved"):
            raise RuleError(
                f"the imported minutes are already {doc['status']}; change them through the minutes instead"
            )
        await minutes.edit(
            conn=conn,
            minutes_id=minutes_id,
            revision=doc["revision"],
            content=minutes_from(reviewed),
            reviewed=True,
        )
        if current["status"] == "needs_review":
            for item in reviewed.action_items:
                await action_items.assign(
                    conn=conn,
                    meeting_id=meeting_id,
                    item=action_items.ActionItem(
                        text=item.text,
                        owner_person_id=item.owner_person_id,
                        owner_name=item.owner,
                        due_date=item.due_date,
                    ),
                )
        stored = {**current["parsed"], **reviewed.stored()}
        row = await q.update_import.fetchrow(
            conn,
            id=import_id,
            version=version,
            parsed=stored,
            meeting_id=meeting_id,
            minutes_id=minutes_id,
        )
    return dict(row)
