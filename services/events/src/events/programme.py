"""An event's programme: timed items (room, title, responsible group or persons, notes)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from backbone.errors import NotFound, RuleError
from events.sql_queries import q

Row = dict[str, Any]
FIELDS = ("starts_at", "ends_at", "room", "title", "responsible", "notes")


async def _event(conn: asyncpg.Connection, event_id: uuid.UUID, *, lock: bool = False) -> Row:
    row = await (q.lock_event if lock else q.get_event).fetchrow(conn, id=event_id)
    if row is None:
        raise NotFound(f"Det finns inget evenemang med id {event_id}.")
    return dict(row)


def check_item(event: Row, item: dict[str, Any]) -> None:
    if item["ends_at"] <= item["starts_at"]:
        raise RuleError("Programpunkten slutar innan den börjar. Ändra sluttiden.")
    if item["starts_at"] < event["starts_at"] or item["ends_at"] > event["ends_at"]:
        raise RuleError(
            "Programpunkten ligger utanför evenemangets tid. Ändra tiden, eller ändra evenemangets tid först."
        )


async def add_item(*, conn: asyncpg.Connection, event_id: uuid.UUID, item: dict[str, Any]) -> Row:
    async with conn.transaction():
        event = await _event(conn, event_id, lock=True)
        check_item(event, item)
        return dict(await q.insert_programme_item.fetchrow(conn, id=uuid.uuid4(), event_id=event_id, **item))


async def update_item(
    *, conn: asyncpg.Connection, event_id: uuid.UUID, item_id: uuid.UUID, changes: dict[str, Any]
) -> Row:
    async with conn.transaction():
        event = await _event(conn, event_id, lock=True)
        before = await q.lock_programme_item.fetchrow(conn, id=item_id, event_id=event_id)
        if before is None:
            raise NotFound("Programpunkten finns inte. Den kan ha tagits bort; ladda om sidan.")
        after = {f: before[f] for f in FIELDS} | {k: v for k, v in changes.items() if k in FIELDS}
        check_item(event, after)
        return dict(await q.update_programme_item.fetchrow(conn, id=item_id, **after))


async def remove_item(*, conn: asyncpg.Connection, event_id: uuid.UUID, item_id: uuid.UUID) -> None:
    if await q.delete_programme_item.execute(conn, id=item_id, event_id=event_id) == "DELETE 0":
        raise NotFound("Programpunkten finns inte. Den kan redan ha tagits bort; ladda om sidan.")


async def programme(*, conn: asyncpg.Connection, event_id: uuid.UUID) -> list[Row]:
    await _event(conn, event_id)
    return [dict(r) for r in await q.list_programme.fetch(conn, event_id=event_id)]
