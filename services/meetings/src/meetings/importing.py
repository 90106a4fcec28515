"""Use cases for importing old minutes: parse the text, store a draft meeting for review, save the review.

An imported text never becomes published minutes by itself: it is stored as draft minutes marked
as needing review, and only a person's review (PUT /v1/imports/{id}) clears that mark.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from meetings import action_items, attendance, minutes, registry, scheduling
from meetings.importer import parse_minutes
from meetings.model import NotFound, RuleError, StaleVersion
from meetings.paging import fetch_page
from meetings.sql_queries import q

Row = dict[str, Any]

# The group meets at 13:30 for two hours; an imported text rarely says when it started.
DEFAULT_START = time(13, 30)
DEFAULT_MINUTES = 120
TIMEZONE = "Europe/Stockholm"


def organisation_kind(name: str) -> str:
    """Municipal administrations end in "förvaltningen"; the rest are user organisations by default."""
    return "municipal" if name.lower().endswith(("förvaltningen", "förvaltning")) else "user_organisation"


def sections_from(parsed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for s in parsed:
        heading = (s.get("heading") or "").strip() or "Inledning"
        kind = "working_group_report" if heading.lower().startswith("rapport") else s.get("kind") or "text"
        out.append({"heading": heading, "text": s.get("text") or "", "kind": kind})
    return out


def decisions_from(parsed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"text": d["text"], "section": d.get("section")} for d in parsed if d.get("text")]


async def _group_id(
    conn: asyncpg.Connection, group_id: uuid.UUID | None, name: str | None
) -> uuid.UUID | None:
    if group_id is not None:
        if await conn.fetchrow(q.get_group, group_id) is None:
            raise NotFound(f"there is no group with id {group_id}")
        return group_id
    if name:
        found = await conn.fetchrow(q.find_group_by_name, name)
        if found:
            return found["id"]  # type: ignore[no-any-return]
    return None


async def _record_attendance(conn: asyncpg.Connection, meeting_id: uuid.UUID, parsed: Row) -> None:
    people = [(a, "present") for a in parsed.get("attendees", [])]
    people += [(a, "excused") for a in parsed.get("absent", [])]
    for person, default_status in people:
        org_id = None
        if person.get("organisation"):
            org = await registry.ensure_organisation(
                conn=conn, name=person["organisation"], kind=organisation_kind(person["organisation"])
            )
            org_id = org["id"]
        found = await registry.ensure_person(conn=conn, name=person["name"], organisation_id=org_id)
        await attendance.record(
            conn=conn,
            meeting_id=meeting_id,
            person_id=found["id"],
            status=person.get("status") or default_status,
            organisation_id=org_id or found.get("organisation_id"),
        )


async def _create_meeting(
    conn: asyncpg.Connection, parsed: Row, day: date, group_id: uuid.UUID | None
) -> tuple[uuid.UUID, uuid.UUID]:
    starts = datetime.combine(day, DEFAULT_START, tzinfo=ZoneInfo(TIMEZONE))
    title = parsed.get("group") or parsed.get("title") or "Möte"
    meeting = await scheduling.schedule_meeting(
        conn=conn,
        new=scheduling.NewMeeting(
            title=title,
            group_name=parsed.get("group"),
            starts_at=starts,
            ends_at=starts + timedelta(minutes=DEFAULT_MINUTES),
            timezone=TIMEZONE,
            place=None,
            invitees=[],
            group_id=group_id,
            source="import",
        ),
        announce=False,
    )
    await _record_attendance(conn, meeting["id"], parsed)
    doc = await minutes.start(
        conn=conn,
        meeting_id=meeting["id"],
        title=parsed.get("title"),
        minute_taker=parsed.get("minute_taker"),
        sections=sections_from(parsed.get("sections", [])),
        decisions=decisions_from(parsed.get("decisions", [])),
        needs_review=True,
    )
    return meeting["id"], doc["id"]


async def import_text(
    *,
    conn: asyncpg.Connection,
    text: str,
    year: int | None,
    source_name: str | None,
    group_id: uuid.UUID | None = None,
) -> Row:
    """Parse minutes and store them as a draft meeting (when the date is known) awaiting review."""
    parsed = parse_minutes(text, year=year, source_name=source_name).to_dict()
    async with conn.transaction():
        meeting_id = minutes_id = None
        gid = await _group_id(conn, group_id, parsed.get("group"))
        if parsed.get("date"):
            meeting_id, minutes_id = await _create_meeting(
                conn, parsed, date.fromisoformat(parsed["date"]), gid
            )
        else:
            parsed["warnings"] = [
                *parsed.get("warnings", []),
                "No meeting was created because the date is unknown; give the date when you save the review.",
            ]
        row = await conn.fetchrow(
            q.insert_import, uuid.uuid4(), source_name, year, text, parsed, meeting_id, minutes_id
        )
    return dict(row)


async def get_import(*, conn: asyncpg.Connection, import_id: uuid.UUID) -> Row:
    row = await conn.fetchrow(q.get_import, import_id)
    if row is None:
        raise NotFound(f"there is no import with id {import_id}")
    return dict(row)


async def list_imports(
    *, conn: asyncpg.Connection, status: str | None, limit: int, offset: int
) -> tuple[list[Row], int]:
    return await fetch_page(conn, q.list_imports, status, limit=limit, offset=offset)


async def save_review(
    *, conn: asyncpg.Connection, import_id: uuid.UUID, version: int, reviewed: Row, group_id: uuid.UUID | None
) -> Row:
    """Apply a person's corrections: date, attendance, minutes text; the minutes stay a draft.

    The first review also turns the promises it lists into action items of the meeting.
    """
    async with conn.transaction():
        current = await conn.fetchrow(q.lock_import, import_id)
        if current is None:
            raise NotFound(f"there is no import with id {import_id}")
        if current["version"] != version:
            raise StaleVersion(
                f"someone else saved this import meanwhile (version is now {current['version']}, you sent"
                f" {version}); reload it and try again"
            )
        day: date | None = reviewed.get("date")
        if day is None:
            raise RuleError("the review must give the meeting's date")
        gid = await _group_id(conn, group_id, reviewed.get("group"))
        meeting_id, minutes_id = current["meeting_id"], current["minutes_id"]
        if meeting_id is None:
            meeting_id, minutes_id = await _create_meeting(conn, reviewed, day, gid)
        else:
            meeting = await conn.fetchrow(q.get_meeting, meeting_id)
            starts = datetime.combine(day, DEFAULT_START, tzinfo=ZoneInfo(TIMEZONE))
            if meeting["starts_at"].astimezone(ZoneInfo(TIMEZONE)).date() != day:
                await conn.execute(
                    q.set_meeting_start,
                    meeting_id,
                    starts,
                    starts + timedelta(minutes=DEFAULT_MINUTES),
                    meeting["title"],
                )
            await conn.execute(q.clear_attendance, meeting_id)
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
            title=reviewed.get("title") or doc["title"],
            minute_taker=reviewed.get("minute_taker"),
            sections=sections_from(reviewed.get("sections", [])),
            decisions=decisions_from(reviewed.get("decisions", [])),
            reviewed=True,
        )
        if current["status"] == "needs_review":
            for item in reviewed.get("action_items", []):
                await action_items.assign(
                    conn=conn,
                    meeting_id=meeting_id,
                    text=item["text"],
                    owner_person_id=item.get("owner_person_id"),
                    owner_name=item.get("owner"),
                    due_date=item.get("due_date"),
                )
        stored = {**current["parsed"], **_jsonable(reviewed)}
        row = await conn.fetchrow(q.update_import, import_id, version, stored, meeting_id, minutes_id)
    return dict(row)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (date, uuid.UUID)):
        return str(value)
    return value
