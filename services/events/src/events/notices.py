"""What each person an event concerns is told when it changes or is cancelled: one event on the bus per
person, with what notify needs for that person's own message (their name, address, where they stand,
what changed, and their cancellation link)."""

from __future__ import annotations

from typing import Any

import asyncpg

from backbone.outbox import add_events
from events import contracts as c
from events.registrations import Context, about, cancel_token
from events.sql_queries import q

Row = dict[str, Any]


async def concerned(conn: asyncpg.Connection, event: Row) -> list[Row]:
    """Those with a place, an open offer or a place in the queue, in queue order."""
    return [dict(r) for r in await q.active_registrations.fetch(conn, event_id=event["id"])]


async def tell_changed(
    conn: asyncpg.Connection, *, before: Row, after: Row, changes: list[str], ctx: Context
) -> int:
    """Tell everyone concerned that the event changed; the caller holds the event's lock and has
    written the change. How many were told."""
    people = await concerned(conn, after)
    # One statement for everyone's notice, not two each: an event may have thousands of people.
    notices = [
        (
            c.RegistrationEventChangedV1(
                **about(after, reg, ctx),
                ends_at=after["ends_at"],
                status=reg["status"],
                changes=changes,
                previous_starts_at=before["starts_at"],
                previous_ends_at=before["ends_at"],
                previous_venue_name=before["venue_name"],
                previous_venue_address=before["venue_address"],
                venue_name=after["venue_name"],
                venue_address=after["venue_address"],
                audience=after["audience"],
                cancel_token=cancel_token(after, reg, ctx),
                sequence=after["sequence"],
            ),
            str(reg["id"]),
        )
        for reg in people
    ]
    await add_events(conn, c.REGISTRATION_EVENT_CHANGED, notices)
    return len(people)


async def tell_cancelled(
    conn: asyncpg.Connection, *, event: Row, people: list[Row], reason: str | None, ctx: Context
) -> None:
    """Tell each of `people` (as they stood before the cancellation) that the event is cancelled."""
    notices = [
        (
            c.RegistrationEventCancelledV1(
                **about(event, reg, ctx),
                previous_status=reg["status"],
                reason=reason,
                sequence=event["sequence"],
            ),
            str(reg["id"]),
        )
        for reg in people
    ]
    await add_events(conn, c.REGISTRATION_EVENT_CANCELLED, notices)
