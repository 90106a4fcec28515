"""Use cases for action items: assign, change, close (often in a later meeting), and the due check."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import asyncpg

from backbone.errors import NotFound, RuleError, StaleVersion
from backbone.outbox import add_event
from backbone.paging import fetch_page
from meetings import model
from meetings.contracts import (
    ACTION_ITEM_ASSIGNED,
    ACTION_ITEM_CLOSED,
    ACTION_ITEM_DUE_SOON,
    ACTION_ITEM_OVERDUE,
    ActionItemClosedV1,
    ActionItemV1,
)
from meetings.sql_queries import q

Row = dict[str, Any]


@dataclass(frozen=True)
class ActionItem:
    """What an action item says: the task, who promised it (a registered person or a name), when."""

    text: str
    owner_person_id: uuid.UUID | None = None
    owner_name: str | None = None
    due_date: date | None = None


def _payload(row: Any, owner_email: str | None) -> ActionItemV1:
    return ActionItemV1(
        action_item_id=str(row["id"]),
        meeting_id=str(row["meeting_id"]),
        group_id=str(row["group_id"]) if row["group_id"] else None,
        text=row["text"],
        owner_person_id=str(row["owner_person_id"]) if row["owner_person_id"] else None,
        owner_name=row["owner_name"],
        owner_email=owner_email,
        due_date=row["due_date"],
    )


async def _owner(
    conn: asyncpg.Connection, person_id: uuid.UUID | None, name: str | None
) -> tuple[str | None, str | None]:
    if person_id is None:
        return name, None
    person = await q.get_person.fetchrow(conn, id=person_id)
    if person is None:
        raise NotFound(f"there is no person with id {person_id}")
    return name or person["name"], person["email"]


async def assign(
    *,
    conn: asyncpg.Connection,
    meeting_id: uuid.UUID,
    item: ActionItem,
) -> Row:
    """Record an action item from a meeting; an owner hears about it through the assigned event."""
    async with conn.transaction():
        meeting = await q.get_meeting.fetchrow(conn, id=meeting_id)
        if meeting is None:
            raise NotFound(f"there is no meeting with id {meeting_id}")
        name, email = await _owner(conn, item.owner_person_id, item.owner_name)
        row = await q.insert_action_item.fetchrow(
            conn,
            id=uuid.uuid4(),
            meeting_id=meeting_id,
            group_id=meeting["group_id"],
            text=item.text,
            owner_person_id=item.owner_person_id,
            owner_name=name,
            due_date=item.due_date,
        )
        await add_event(conn, ACTION_ITEM_ASSIGNED, _payload(row, email), aggregate_id=str(row["id"]))
    return await get(conn=conn, action_item_id=row["id"])


async def get(*, conn: asyncpg.Connection, action_item_id: uuid.UUID) -> Row:
    row = await q.get_action_item.fetchrow(conn, id=action_item_id)
    if row is None:
        raise NotFound(f"there is no action item with id {action_item_id}")
    return dict(row)


async def _current(conn: asyncpg.Connection, action_item_id: uuid.UUID, version: int) -> Row:
    current = await get(conn=conn, action_item_id=action_item_id)
    if current["version"] != version:
        raise StaleVersion(
            f"the action item was changed by someone else (version is now {current['version']}, you sent"
            f" {version}); reload it and try again"
        )
    return current


async def update(
    *,
    conn: asyncpg.Connection,
    action_item_id: uuid.UUID,
    version: int,
    item: ActionItem,
) -> Row:
    """Change an open item; a new owner hears about it like a new assignment."""
    async with conn.transaction():
        current = await _current(conn, action_item_id, version)
        if current["status"] != "open":
            raise RuleError(f"the action item is {current['status']}; only open items can change")
        name, email = await _owner(conn, item.owner_person_id, item.owner_name)
        row = await q.update_action_item.fetchrow(
            conn,
            id=action_item_id,
            version=version,
            text=item.text,
            owner_person_id=item.owner_person_id,
            owner_name=name,
            due_date=item.due_date,
        )
        if row is None:
            raise StaleVersion("the action item was changed by someone else; reload it and try again")
        if (item.owner_person_id, name) != (current["owner_person_id"], current["owner_name"]):
            await add_event(conn, ACTION_ITEM_ASSIGNED, _payload(row, email), aggregate_id=str(row["id"]))
    return await get(conn=conn, action_item_id=action_item_id)


async def close(
    *,
    conn: asyncpg.Connection,
    action_item_id: uuid.UUID,
    version: int,
    status: model.ClosedActionStatus,
    closed_in_meeting_id: uuid.UUID | None,
    note: str | None,
) -> Row:
    """Close an item as done or dropped, usually in a later meeting of the group."""
    async with conn.transaction():
        current = await _current(conn, action_item_id, version)
        new_status = model.close_action(current["status"], status)
        if closed_in_meeting_id and await q.get_meeting.fetchrow(conn, id=closed_in_meeting_id) is None:
            raise NotFound(f"there is no meeting with id {closed_in_meeting_id}")
        row = await q.close_action_item.fetchrow(
            conn,
            id=action_item_id,
            version=version,
            status=new_status,
            closed_in_meeting_id=closed_in_meeting_id,
            closing_note=note,
        )
        if row is None:
            raise StaleVersion("the action item was changed by someone else; reload it and try again")
        await add_event(
            conn,
            ACTION_ITEM_CLOSED,
            ActionItemClosedV1(
                action_item_id=str(action_item_id),
                meeting_id=str(row["meeting_id"]),
                group_id=str(row["group_id"]) if row["group_id"] else None,
                status=new_status,
                closed_in_meeting_id=str(closed_in_meeting_id) if closed_in_meeting_id else None,
                note=note,
            ),
            aggregate_id=str(action_item_id),
        )
    return await get(conn=conn, action_item_id=action_item_id)


async def list_items(
    *,
    conn: asyncpg.Connection,
    status: str | None,
    group_id: uuid.UUID | None,
    meeting_id: uuid.UUID | None,
    owner_person_id: uuid.UUID | None,
    organisation_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[list[Row], int]:
    return await fetch_page(
        conn,
        q.list_action_items,
        status=status,
        group_id=group_id,
        meeting_id=meeting_id,
        owner_person_id=owner_person_id,
        organisation_id=organisation_id,
        limit=limit,
        offset=offset,
    )


async def check_due(*, conn: asyncpg.Connection, today: date) -> dict[str, int]:
    """Announce open items that became due soon or overdue, each once (the marks make it idempotent)."""
    async with conn.transaction():
        overdue = await q.claim_overdue.fetch(conn, today=today)
        for row in overdue:
            await q.mark_overdue.execute(conn, id=row["id"])
            await add_event(
                conn, ACTION_ITEM_OVERDUE, _payload(row, row["owner_email"]), aggregate_id=str(row["id"])
            )
        soon = await q.claim_due_soon.fetch(
            conn,
            today=today,
            until=today + timedelta(days=model.DUE_SOON_DAYS),
        )
        for row in soon:
            await q.mark_due_soon.execute(conn, id=row["id"])
            await add_event(
                conn, ACTION_ITEM_DUE_SOON, _payload(row, row["owner_email"]), aggregate_id=str(row["id"])
            )
    return {"overdue": len(overdue), "due_soon": len(soon)}
