"""Answering a volunteer's export and erasure requests (docs/rights.md) with what events holds.

The events service does not know the volunteers service's ids: it finds the person's registrations
by email address (compared without case) or phone number (its phone_key, as registering compares
them). What it holds about them: each registration with its answers to the event's questions
(accessibility, food), their place in a waiting list or an offer, and their check-ins at the door.

An erasure keeps the counts right: a registration is anonymised, never deleted, so an event's
numbers of registered people and of those who came stay as they were. A place the person still
holds, an offer or a place in the queue of an event that has not ended is cancelled first, and the
freed place goes to the next in line as after any cancellation. Their personal links stop working
(the registration is cancelled or its offer round raised), the events about them that the relay has
not published go out without them (an export answer still to go, without its part), and the
published ones leave the outbox: the stream keeps those until they age out. The answer goes
through the outbox in the request's transaction, once per request: `rights_answers` remembers
which were answered.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import asyncpg
from pydantic import BaseModel

from backbone.envelope import Envelope
from backbone.logs import get_logger
from backbone.outbox import add_event
from events import contracts as c
from events import model
from events.registrations import Context, Row, fill_places
from events.sql_queries import q

log = get_logger(__name__)

SERVICE = "events"
Kind = Literal["export", "erasure"]
ACTIVE = ("registered", "offered", "waiting")


# -- the request (the volunteers service's contract; only what events reads) ---------------------


class RightsPerson(BaseModel):
    name: str
    email: str | None = None
    phone: str | None = None


class RightsRequested(BaseModel):
    # A UUID: any other id is refused as invalid when the message is read, not retried.
    request_id: uuid.UUID
    services: list[str]
    person: RightsPerson


Handler = Callable[[asyncpg.Connection, Envelope, RightsRequested, Context], Awaitable[None]]


def answer(kind: Kind) -> Handler:
    """The handler of one kind of request (the table in consumers.py names both)."""

    async def handle(conn: asyncpg.Connection, _event: Envelope, data: RightsRequested, ctx: Context) -> None:
        await answer_request(conn, kind=kind, data=data, ctx=ctx)

    return handle


async def answer_request(
    conn: asyncpg.Connection, *, kind: Kind, data: RightsRequested, ctx: Context
) -> None:
    """Do the events service's part of the request and answer it; one answered before changes nothing."""
    if SERVICE not in data.services:
        return  # asked of other services only: nobody waits for this answer
    request_id = data.request_id
    async with conn.transaction():
        if await q.already_answered.fetchval(conn, request_id=request_id, kind=kind):
            return
        email = (data.person.email or "").strip().lower() or None
        phone_key = model.phone_key(data.person.phone)
        found = (
            [dict(r) for r in await q.registrations_of_person.fetch(conn, email=email, phone_key=phone_key)]
            if email or phone_key
            else []
        )
        part: dict[str, Any] | None = None
        if kind == "export":
            part = await export_part(conn, found)
        elif found:
            await erase(conn, found, email=email, ctx=ctx)
        status = "done" if found else "nothing_held"
        await q.record_answer.execute(conn, request_id=request_id, kind=kind, status=status)
        await add_event(
            conn,
            c.EXPORT_COMPLETED if kind == "export" else c.ERASURE_COMPLETED,
            c.RightsCompletedV1(
                request_id=str(data.request_id),
                service=SERVICE,
                status=status,
                detail="",
                data=part if found else None,
            ),
            aggregate_id=str(data.request_id),
        )
    # The request id and counts only: the log must not name the person.
    log.info(
        "rights request answered",
        request_id=str(data.request_id),
        kind=kind,
        status=status,
        registrations=len(found),
    )


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def export_part(conn: asyncpg.Connection, found: list[Row]) -> dict[str, Any]:
    """Everything the events service holds about the person, as one JSON object (times as ISO text)."""
    registrations = [
        {
            "id": str(r["id"]),
            "event_id": str(r["event_id"]),
            "event_title": r["event_title"],
            "event_starts_at": _iso(r["starts_at"]),
            "event_ends_at": _iso(r["ends_at"]),
            # "registered", "waiting" (place_in_queue says where), "offered" (until offer_expires_at),
            # "cancelled", "declined" or "expired"
            "status": r["status"],
            "place_in_queue": r["place_in_queue"],
            "offer_expires_at": _iso(r["offer_expires_at"]),
            "name": r["name"],
            "email": r["email"],
            "phone": r["phone"],
            "organisation_id": str(r["organisation_id"]) if r["organisation_id"] else None,
            # the answers to the event's questions
            "accessibility": list(r["accessibility"]),
            "food": r["food"],
            "walk_in": r["walk_in"],
            "registered_at": _iso(r["created_at"]),
            "changed_at": _iso(r["updated_at"]),
            "checked_in_at": _iso(r["checked_in_at"]),
        }
        for r in found
    ]
    scans = await q.check_ins_of.fetch(conn, ids=[r["id"] for r in found])
    return {
        "registrations": registrations,
        "check_ins": [
            {"registration_id": str(s["registration_id"]), "checked_in_at": _iso(s["checked_in_at"])}
            for s in scans
        ],
    }


async def erase(conn: asyncpg.Connection, found: list[Row], *, email: str | None, ctx: Context) -> None:
    """End what the person still holds in events not yet over (their places go on), then anonymise
    every registration of theirs and take them out of the outbox. The caller holds a transaction."""
    by_event: dict[uuid.UUID, list[Row]] = {}
    for reg in found:
        by_event.setdefault(reg["event_id"], []).append(reg)
    # Events in one order, and each event's lock before its registrations (as registrations.py does).
    for event_id in sorted(by_event):
        event = dict(await q.lock_event.fetchrow(conn, id=event_id))
        freed = False
        for reg in by_event[event_id]:
            locked = dict(await q.lock_registration.fetchrow(conn, id=reg["id"]))
            # Those who came (and past events) stay as they were: the record of who came counts them.
            if (
                locked["status"] not in ACTIVE
                or locked["checked_in_at"] is not None
                or ctx.now >= event["ends_at"]
            ):
                continue
            await q.set_registration_status.execute(conn, id=locked["id"], status="cancelled")
            await add_event(
                conn,
                c.REGISTRATION_CANCELLED,
                c.RegistrationCancelledV1(
                    registration_id=str(locked["id"]),
                    event_id=str(event_id),
                    previous_status=locked["status"],
                ),
                aggregate_id=str(locked["id"]),
            )
            freed = freed or locked["status"] in model.HOLDS_PLACE
        if freed:
            await fill_places(conn, event, ctx)
    ids = [reg["id"] for reg in found]
    aggregates = [f"{c.REGISTRATION_CANCELLED.aggregate}/{i}" for i in ids]
    await q.anonymise_person.execute(conn, ids=ids, now=ctx.now)
    await q.scrub_unpublished_person.execute(conn, aggregates=aggregates)
    await q.forget_published_person.execute(conn, aggregates=aggregates)
    await q.forget_export_answers.execute(conn, email=email, ids=[str(i) for i in ids])
    await q.empty_unsent_export_answers.execute(conn, email=email, ids=[str(i) for i in ids])
