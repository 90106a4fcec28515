"""Use cases for a meeting's agenda: ordered items, and open action items carried over by themselves."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from backbone.errors import NotFound, RuleError
from meetings.model import AgendaKind
from meetings.sql_queries import q

Row = dict[str, Any]


@dataclass(frozen=True)
class AgendaItem:
    """What an agenda item says; where it stands on the agenda is the use case's `position`."""

    title: str
    kind: AgendaKind
    duration_minutes: int | None = None
    responsible_person_id: uuid.UUID | None = None
    responsible_group_id: uuid.UUID | None = None
    guests: list[str] = field(default_factory=list)
    description: str | None = None


async def _meeting(conn: asyncpg.Connection, meeting_id: uuid.UUID) -> Any:
    meeting = await q.get_meeting.fetchrow(conn, id=meeting_id)
    if meeting is None:
        raise NotFound(f"there is no meeting with id {meeting_id}")
    return meeting


async def _check_refs(conn: asyncpg.Connection, item: AgendaItem) -> None:
    person_id = item.responsible_person_id
    if person_id and await q.get_person.fetchrow(conn, id=person_id) is None:
        raise NotFound(f"there is no person with id {item.responsible_person_id}")
    if item.responsible_group_id and await q.get_group.fetchrow(conn, id=item.responsible_group_id) is None:
        raise NotFound(f"there is no group with id {item.responsible_group_id}")


async def get_agenda(
    *, conn: asyncpg.Connection, meeting_id: uuid.UUID, scope: uuid.UUID | None = None
) -> Row:
    """The agenda as planned, plus the open action items of the group's earlier meetings.

    With `scope` (a representative's organisation) the carried items are those its own people
    own, as in the action-item list, and other organisations' people are not named.
    """
    meeting = await _meeting(conn, meeting_id)
    items = [dict(r) for r in await q.list_agenda_items.fetch(conn, meeting_id=meeting_id)]
    if scope is not None:
        for item in items:
            if item["responsible_person_id"] is not None and item["responsible_organisation_id"] != scope:
                item["responsible_person_name"] = None
    carried: list[Row] = []
    if meeting["group_id"] is not None:
        carried = [
            dict(r)
            for r in await q.carried_action_items.fetch(
                conn,
                group_id=meeting["group_id"],
                before=meeting["starts_at"],
                organisation_id=scope,
            )
        ]
    total = sum(i["duration_minutes"] or 0 for i in items)
    return {"meeting_id": meeting_id, "items": items, "open_action_items": carried, "total_minutes": total}


async def add_item(
    *, conn: asyncpg.Connection, meeting_id: uuid.UUID, item: AgendaItem, position: int | None = None
) -> Row:
    """Add an item at `position` (1-based; the end when absent), moving later items down."""
    async with conn.transaction():
        await q.lock_meeting.fetchrow(conn, id=meeting_id)
        await _meeting(conn, meeting_id)
        await _check_refs(conn, item)
        new_id = uuid.uuid4()
        end = int(await q.next_agenda_position.fetchval(conn, meeting_id=meeting_id))
        await q.insert_agenda_item.fetchrow(
            conn,
            id=new_id,
            meeting_id=meeting_id,
            position=end,
            title=item.title,
            kind=item.kind,
            duration_minutes=item.duration_minutes,
            responsible_person_id=item.responsible_person_id,
            responsible_group_id=item.responsible_group_id,
            guests=item.guests,
            description=item.description,
        )
        if position is not None and position < end:
            rows = await q.list_agenda_items.fetch(conn, meeting_id=meeting_id)
            order = [r["id"] for r in rows if r["id"] != new_id]
            order.insert(max(position, 1) - 1, new_id)
            await _renumber(conn, meeting_id, order)
    return await get_agenda(conn=conn, meeting_id=meeting_id)


async def _renumber(conn: asyncpg.Connection, meeting_id: uuid.UUID, order: list[uuid.UUID]) -> None:
    for pos, item_id in enumerate(order, start=1):
        await q.set_agenda_position.execute(conn, meeting_id=meeting_id, id=item_id, position=pos)


async def update_item(
    *, conn: asyncpg.Connection, meeting_id: uuid.UUID, item_id: uuid.UUID, item: AgendaItem
) -> Row:
    async with conn.transaction():
        await _meeting(conn, meeting_id)
        await _check_refs(conn, item)
        row = await q.update_agenda_item.fetchrow(
            conn,
            meeting_id=meeting_id,
            id=item_id,
            title=item.title,
            kind=item.kind,
            duration_minutes=item.duration_minutes,
            responsible_person_id=item.responsible_person_id,
            responsible_group_id=item.responsible_group_id,
            guests=item.guests,
            description=item.description,
        )
        if row is None:
            raise NotFound(f"the meeting has no agenda item with id {item_id}")
    return await get_agenda(conn=conn, meeting_id=meeting_id)


async def remove_item(*, conn: asyncpg.Connection, meeting_id: uuid.UUID, item_id: uuid.UUID) -> Row:
    async with conn.transaction():
        await q.lock_meeting.fetchrow(conn, id=meeting_id)
        if await q.delete_agenda_item.fetchval(conn, meeting_id=meeting_id, id=item_id) is None:
            raise NotFound(f"the meeting has no agenda item with id {item_id}")
        order = [r["id"] for r in await q.list_agenda_items.fetch(conn, meeting_id=meeting_id)]
        await _renumber(conn, meeting_id, order)
    return await get_agenda(conn=conn, meeting_id=meeting_id)


async def reorder(*, conn: asyncpg.Connection, meeting_id: uuid.UUID, item_ids: list[uuid.UUID]) -> Row:
    """Put the items in the given order; the list must name every item exactly once."""
    async with conn.transaction():
        await q.lock_meeting.fetchrow(conn, id=meeting_id)
        await _meeting(conn, meeting_id)
        current = {r["id"] for r in await q.list_agenda_items.fetch(conn, meeting_id=meeting_id)}
        if set(item_ids) != current or len(item_ids) != len(current):
            raise RuleError("item_ids must list every agenda item of the meeting exactly once")
        await _renumber(conn, meeting_id, item_ids)
    return await get_agenda(conn=conn, meeting_id=meeting_id)
