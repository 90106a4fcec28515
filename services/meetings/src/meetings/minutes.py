"""Use cases for minutes: write, review, approve, publish, correct; published versions never change."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from backbone.errors import NotFound, RuleError, StaleVersion
from backbone.outbox import add_event
from backbone.paging import fetch_page
from meetings import model
from meetings.contracts import (
    DECISION_RECORDED,
    MINUTES_CORRECTED,
    MINUTES_PUBLISHED,
    DecisionRecordedV1,
    Invitee,
    MinutesPublishedV1,
)
from meetings.sql_queries import q

Row = dict[str, Any]


@dataclass(frozen=True)
class Section:
    heading: str
    text: str = ""
    kind: model.SectionKind = "text"
    agenda_item_id: uuid.UUID | None = None
    working_group_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Decision:
    text: str
    section: str | None = None


@dataclass(frozen=True)
class MinutesContent:
    """What minutes say, as written or imported; their status and revision are the use cases'."""

    title: str | None
    minute_taker: str | None = None
    sections: list[Section] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)

    def sections_json(self) -> list[dict[str, Any]]:
        """The sections as stored (jsonb): ids as strings."""
        return [
            {
                "heading": s.heading,
                "text": s.text,
                "kind": s.kind,
                "agenda_item_id": str(s.agenda_item_id) if s.agenda_item_id else None,
                "working_group_id": str(s.working_group_id) if s.working_group_id else None,
            }
            for s in self.sections
        ]

    def decisions_json(self) -> list[dict[str, Any]]:
        return [{"text": d.text, "section": d.section} for d in self.decisions]

    def body_text(self) -> str:
        """The plain text that search indexes and highlights."""
        parts: list[str] = []
        for s in self.sections:
            parts += [s.heading, s.text]
        parts += [d.text for d in self.decisions]
        if self.minute_taker:
            parts.append(f"Vid pennan {self.minute_taker}")
        return "\n".join(p for p in parts if p)


def default_title(meeting: Any) -> str:
    day = meeting["starts_at"].astimezone(ZoneInfo(meeting["timezone"])).date()
    return f"{meeting['group_name'] or meeting['title']} {model.swedish_date(day)}"


async def get(*, conn: asyncpg.Connection, minutes_id: uuid.UUID, published_only: bool = False) -> Row:
    row = await q.get_minutes.fetchrow(conn, id=minutes_id)
    if row is None or (published_only and row["status"] not in ("published", "superseded")):
        raise NotFound(f"there are no minutes with id {minutes_id}")
    return dict(row)


async def current_for_meeting(
    *, conn: asyncpg.Connection, meeting_id: uuid.UUID, published_only: bool = False
) -> Row:
    """The newest version (any status), or the newest published one for readers who see only those."""
    minutes_id = await (q.latest_published_minutes if published_only else q.latest_minutes).fetchval(
        conn,
        meeting_id=meeting_id,
    )
    if minutes_id is None:
        what = "published minutes" if published_only else "minutes"
        raise NotFound(f"meeting {meeting_id} has no {what} yet")
    return await get(conn=conn, minutes_id=minutes_id)


async def versions(*, conn: asyncpg.Connection, meeting_id: uuid.UUID) -> list[Row]:
    return [dict(r) for r in await q.list_minutes_versions.fetch(conn, meeting_id=meeting_id)]


async def start(
    *,
    conn: asyncpg.Connection,
    meeting_id: uuid.UUID,
    content: MinutesContent,
    needs_review: bool = False,
) -> Row:
    """Open the first draft of a meeting's minutes; a meeting has one set of minutes (with versions)."""
    async with conn.transaction():
        meeting = await q.lock_meeting.fetchrow(conn, id=meeting_id)
        if meeting is None:
            raise NotFound(f"there is no meeting with id {meeting_id}")
        if await q.latest_minutes.fetchval(conn, meeting_id=meeting_id) is not None:
            raise RuleError("the meeting already has minutes; edit them, or create a correction if published")
        await _check_links(conn, meeting_id, content.sections)
        row = await q.insert_minutes.fetchrow(
            conn,
            id=uuid.uuid4(),
            meeting_id=meeting_id,
            version_no=1,
            title=content.title or default_title(meeting),
            minute_taker=content.minute_taker,
            sections=content.sections_json(),
            decisions=content.decisions_json(),
            correction_note=None,
            needs_review=needs_review,
            body_text=content.body_text(),
        )
    return await get(conn=conn, minutes_id=row["id"])


async def _check_links(conn: asyncpg.Connection, meeting_id: uuid.UUID, sections: list[Section]) -> None:
    """Sections tie to this meeting's agenda items and to existing working groups, or to nothing."""
    agenda = {r["id"] for r in await q.list_agenda_items.fetch(conn, meeting_id=meeting_id)}
    for s in sections:
        item = s.agenda_item_id
        if item and item not in agenda:
            raise NotFound(f"the meeting has no agenda item with id {item} (section {s.heading!r})")
        group = s.working_group_id
        if group and await q.get_group.fetchrow(conn, id=group) is None:
            raise NotFound(f"there is no group with id {group} (section {s.heading!r})")


def _check_revision(row: Any, revision: int) -> None:
    if row["revision"] != revision:
        raise StaleVersion(
            f"someone else saved these minutes in the meantime (revision is now {row['revision']}, you sent"
            f" {revision}); reload them, apply your change again and save"
        )


async def _locked(conn: asyncpg.Connection, minutes_id: uuid.UUID, revision: int) -> Any:
    row = await q.lock_minutes.fetchrow(conn, id=minutes_id)
    if row is None:
        raise NotFound(f"there are no minutes with id {minutes_id}")
    _check_revision(row, revision)
    return row


async def edit(
    *,
    conn: asyncpg.Connection,
    minutes_id: uuid.UUID,
    revision: int,
    content: MinutesContent,
    reviewed: bool | None = None,
) -> Row:
    """Save new content; never on published minutes, and an edit under review goes back to draft."""
    async with conn.transaction():
        current = await _locked(conn, minutes_id, revision)
        status = model.edit_status(current["status"])
        await _check_links(conn, current["meeting_id"], content.sections)
        needs_review = current["needs_review"] if reviewed is None else not reviewed
        await q.update_minutes_content.fetchrow(
            conn,
            id=minutes_id,
            revision=revision,
            title=content.title or current["title"],
            minute_taker=content.minute_taker,
            sections=content.sections_json(),
            decisions=content.decisions_json(),
            body_text=content.body_text(),
            status=status,
            needs_review=needs_review,
        )
    return await get(conn=conn, minutes_id=minutes_id)


async def transition(
    *,
    conn: asyncpg.Connection,
    minutes_id: uuid.UUID,
    revision: int,
    action: str,
    actor: str | None = None,
    approved_in_meeting_id: uuid.UUID | None = None,
) -> Row:
    """submit, return, approve or publish; publishing records decisions and announces the minutes.

    Approval is by the chair (`actor`) or at a later meeting (`approved_in_meeting_id`).
    """
    async with conn.transaction():
        if action == "publish":
            # Publishing adds events about the meeting: lock the meeting's row first (before the
            # minutes, the order every use case takes), so no other change of the meeting commits
            # between what the announcement says and its place in the meeting's events.
            found = await q.get_minutes.fetchrow(conn, id=minutes_id)
            if found is not None:
                await q.lock_meeting.fetchrow(conn, id=found["meeting_id"])
        current = await _locked(conn, minutes_id, revision)
        status = model.next_status(current["status"], action)
        if action == "approve" and current["needs_review"]:
            raise RuleError(
                "these minutes were imported and nobody has reviewed them yet; save them with reviewed=true"
                " (or review the import) before approving"
            )
        if approved_in_meeting_id is not None:
            if action != "approve":
                raise RuleError("approved_in_meeting_id only goes with approve")
            if await q.get_meeting.fetchrow(conn, id=approved_in_meeting_id) is None:
                raise NotFound(f"there is no meeting with id {approved_in_meeting_id}")
        row = await q.set_minutes_status.fetchrow(
            conn,
            id=minutes_id,
            revision=revision,
            status=status,
            actor=actor,
            approved_in_meeting_id=approved_in_meeting_id,
        )
        if action == "publish":
            await _announce(conn, row)
    return await get(conn=conn, minutes_id=minutes_id)


async def _announce(conn: asyncpg.Connection, row: Any) -> None:
    meeting = await q.get_meeting.fetchrow(conn, id=row["meeting_id"])
    previous = await q.supersede_published.fetch(conn, meeting_id=row["meeting_id"], id=row["id"])
    known = {d.get("text") for p in previous for d in p["decisions"]}
    group_id = str(meeting["group_id"]) if meeting["group_id"] else None
    corrected = bool(previous) or row["version_no"] > 1
    people = await q.list_invitees.fetch(conn, meeting_id=row["meeting_id"])
    if not people and meeting["group_id"] is not None:
        people = await q.member_invitees.fetch(conn, group_id=meeting["group_id"])
    await add_event(
        conn,
        MINUTES_CORRECTED if corrected else MINUTES_PUBLISHED,
        MinutesPublishedV1(
            minutes_id=str(row["id"]),
            meeting_id=str(row["meeting_id"]),
            group_id=group_id,
            title=row["title"],
            version_no=row["version_no"],
            published_at=row["published_at"],
            decision_count=len(row["decisions"]),
            correction_note=row["correction_note"],
            group_name=meeting["group_name"],
            meeting_starts_at=meeting["starts_at"],
            timezone=meeting["timezone"],
            recipients=[Invitee(name=p["name"], email=p["email"]) for p in people],
        ),
        aggregate_id=str(row["meeting_id"]),
    )
    for number, decision in enumerate(row["decisions"], start=1):
        if decision.get("text") in known:
            continue  # already in the register from the version this one corrects
        await add_event(
            conn,
            DECISION_RECORDED,
            DecisionRecordedV1(
                meeting_id=str(row["meeting_id"]),
                minutes_id=str(row["id"]),
                group_id=group_id,
                decision_no=number,
                text=decision["text"],
                section=decision.get("section"),
            ),
            aggregate_id=str(row["meeting_id"]),
        )


async def correct(*, conn: asyncpg.Connection, minutes_id: uuid.UUID, note: str) -> Row:
    """Start a corrected version of published minutes: a new draft; the published one stays as it is."""
    async with conn.transaction():
        source = await q.lock_minutes.fetchrow(conn, id=minutes_id)
        if source is None:
            raise NotFound(f"there are no minutes with id {minutes_id}")
        if source["status"] != "published":
            raise RuleError(
                f"only published minutes are corrected; these are {source['status']}, edit them instead"
            )
        latest = await q.latest_minutes.fetchval(conn, meeting_id=source["meeting_id"])
        if latest != source["id"]:
            raise RuleError("a correction of these minutes is already under way; edit that version instead")
        row = await q.insert_minutes.fetchrow(
            conn,
            id=uuid.uuid4(),
            meeting_id=source["meeting_id"],
            version_no=source["version_no"] + 1,
            title=source["title"],
            minute_taker=source["minute_taker"],
            sections=source["sections"],
            decisions=source["decisions"],
            correction_note=note,
            needs_review=False,
            body_text=source["body_text"],
        )
    return await get(conn=conn, minutes_id=row["id"])


async def list_minutes(
    *,
    conn: asyncpg.Connection,
    status: str | None,
    group_id: uuid.UUID | None,
    include_unpublished: bool,
    limit: int,
    offset: int,
) -> tuple[list[Row], int]:
    return await fetch_page(
        conn,
        q.list_minutes,
        status=status,
        group_id=group_id,
        include_unpublished=include_unpublished,
        limit=limit,
        offset=offset,
    )


async def decisions_register(
    *,
    conn: asyncpg.Connection,
    group_id: uuid.UUID | None,
    start: Any,
    end: Any,
    text: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Row], int]:
    return await fetch_page(
        conn,
        q.list_decisions,
        group_id=group_id,
        start=start,
        end=end,
        text=text,
        limit=limit,
        offset=offset,
    )


async def working_group_reports(
    *,
    conn: asyncpg.Connection,
    working_group_id: uuid.UUID | None,
    start: Any,
    end: Any,
    limit: int,
    offset: int,
) -> tuple[list[Row], int]:
    """What the working groups reported, across the published minutes."""
    return await fetch_page(
        conn,
        q.list_working_group_reports,
        working_group_id=working_group_id,
        start=start,
        end=end,
        limit=limit,
        offset=offset,
    )
