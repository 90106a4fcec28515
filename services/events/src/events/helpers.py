"""Help needed: an event asks a volunteers pool for helpers or instructors. The request is kept here and
put on the bus as a fact (`events.helpers.requested.v1`); the volunteers service, which owns its pools,
answers it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from backbone.errors import NotFound, RuleError
from backbone.outbox import add_event
from events import contracts as c
from events.registrations import Context
from events.sql_queries import q

Row = dict[str, Any]


@dataclass(frozen=True)
class HelpRequest:
    pool_key: str
    seats: int
    # None: the event's own start, end and place.
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    place: str | None = None
    needs: str = ""


def _place_of(event: Row) -> str | None:
    return ", ".join(p for p in (event["venue_name"], event["venue_address"]) if p) or None


def check_help(*, status: str, starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    if status == "cancelled":
        raise RuleError("Evenemanget är inställt, så det behövs ingen hjälp.")
    if ends_at <= starts_at:
        raise RuleError("Hjälpen slutar innan den börjar. Ändra sluttiden så att den är efter starttiden.")
    if starts_at <= now:
        raise RuleError("Starttiden för hjälpen har redan varit. Ange en tid i framtiden.")


async def request_helpers(
    *, conn: asyncpg.Connection, event_id: uuid.UUID, ask: HelpRequest, by: str, ctx: Context
) -> Row:
    async with conn.transaction():
        event = await q.lock_event.fetchrow(conn, id=event_id)
        if event is None:
            raise NotFound(f"Det finns inget evenemang med id {event_id}.")
        starts_at = ask.starts_at or event["starts_at"]
        ends_at = ask.ends_at or event["ends_at"]
        check_help(status=event["status"], starts_at=starts_at, ends_at=ends_at, now=ctx.now)
        row = dict(
            await q.insert_help_request.fetchrow(
                conn,
                id=uuid.uuid4(),
                event_id=event_id,
                pool_key=ask.pool_key,
                seats=ask.seats,
                starts_at=starts_at,
                ends_at=ends_at,
                place=ask.place or _place_of(event),
                needs=ask.needs,
                requested_by=by,
            )
        )
        await add_event(
            conn,
            c.HELPERS_REQUESTED,
            c.HelpersRequestedV1(
                request_id=str(row["id"]),
                event_id=str(event_id),
                event_title=event["title"],
                pool_key=row["pool_key"],
                seats=row["seats"],
                starts_at=row["starts_at"],
                ends_at=row["ends_at"],
                timezone=ctx.timezone,
                place=row["place"],
                needs=row["needs"],
                requested_by=by,
            ),
            aggregate_id=str(event_id),
        )
    return row


async def help_requests(*, conn: asyncpg.Connection, event_id: uuid.UUID) -> list[Row]:
    return [dict(r) for r in await q.list_help_requests.fetch(conn, event_id=event_id)]
