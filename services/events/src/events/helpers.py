"""Help needed: an event asks a volunteers pool for helpers or instructors. The request is kept here and
put on the bus as a fact (`events.helpers.requested.v1`); the volunteers service, which owns its pools,
answers it, and its assignment events (confirmed, cancelled) keep the count of confirmed helpers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from pydantic import BaseModel

from backbone.envelope import Envelope
from backbone.errors import NotFound, RuleError
from backbone.logs import get_logger
from backbone.outbox import add_event
from events import contracts as c
from events.registrations import Context
from events.sql_queries import q

Row = dict[str, Any]
log = get_logger(__name__)


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


# What the volunteers service tells back (its contracts.py), read as far as the count needs.
class AssignmentConfirmed(BaseModel):
    assignment_id: uuid.UUID
    volunteer_id: uuid.UUID
    # "events" and our request's id when the request came from here; anything else is not ours.
    source: str
    source_ref: str | None


class AssignmentCancelled(BaseModel):
    assignment_id: uuid.UUID


async def assignment_confirmed(
    conn: asyncpg.Connection, _event: Envelope, data: AssignmentConfirmed, ctx: Context
) -> None:
    """A volunteer has a place on one of our requests: one more confirmed (once per assignment)."""
    if data.source != "events" or data.source_ref is None:
        return  # a request staff made in the volunteers service: no event here counts it
    try:
        request_id = uuid.UUID(data.source_ref)
    except ValueError:
        log.warning("assignment for a request that is not ours", source_ref=data.source_ref)
        return
    if not await q.help_request_exists.fetchval(conn, id=request_id):
        log.warning("assignment for an unknown request for helpers", request_id=str(request_id))
        return
    await q.confirm_help_assignment.execute(
        conn,
        assignment_id=data.assignment_id,
        help_request_id=request_id,
        volunteer_id=data.volunteer_id,
        at=ctx.now,
    )


async def assignment_cancelled(
    conn: asyncpg.Connection, _event: Envelope, data: AssignmentCancelled, ctx: Context
) -> None:
    """The volunteer (or staff) cancelled: one fewer confirmed, however often it is told."""
    await q.cancel_help_assignment.execute(conn, assignment_id=data.assignment_id, at=ctx.now)
