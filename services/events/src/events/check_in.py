"""Check-in at the door: recorded once per person, however often a phone on a bad connection retries.

Each scan or tap carries a nonce the phone makes and sends again on every retry. A nonce seen before
answers what it answered the first time; a second scan (a new nonce) of someone already checked in
changes nothing and says so. A walk-in (someone who did not register) is added and checked in in
one step, under the same nonce rule, and takes a place; a full event takes one only when staff say so."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from backbone.errors import NotFound, RuleError
from backbone.outbox import add_event
from events import contracts as c
from events import model
from events.registrations import Context, NewRegistration, about, cancel_token, holding
from events.sql_queries import q

Row = dict[str, Any]


@dataclass(frozen=True)
class CheckIn:
    registration: Row
    # False when the person had already been checked in (by this scan's earlier try, or another scan).
    first: bool


def _not_this_event() -> NotFound:
    return NotFound("Anmälan finns inte för det här evenemanget. Kontrollera att det är rätt evenemang.")


async def check_in(
    *,
    conn: asyncpg.Connection,
    event_id: uuid.UUID,
    registration_id: uuid.UUID,
    nonce: str,
    by: str,
    ctx: Context,
) -> CheckIn:
    async with conn.transaction():
        seen = await q.get_check_in.fetchrow(conn, nonce=nonce)
        if seen is not None:
            if seen["registration_id"] != registration_id:
                raise RuleError("Skanningen skickades redan för en annan person. Skanna koden igen.")
            reg = dict(await q.get_registration.fetchrow(conn, id=registration_id))
            # A retry answers as the first try did, but only on the path of the same event.
            if reg["event_id"] != event_id:
                raise _not_this_event()
            return CheckIn(reg, first=False)
        found = await q.lock_registration.fetchrow(conn, id=registration_id)
        if found is None or found["event_id"] != event_id:
            raise _not_this_event()
        if found["status"] != "registered":
            state = {"waiting": "står på väntelistan", "offered": "har ett erbjudande som inte är bekräftat"}
            why = state.get(found["status"], "har avbokat")
            raise RuleError(
                f"{found['name']} {why} och kan inte checkas in. Lägg till personen på plats i stället."
            )
        inserted = await q.insert_check_in.fetchrow(
            conn, nonce=nonce, registration_id=registration_id, checked_in_by=by
        )
        if inserted is None:  # the same nonce in a concurrent retry: it committed first
            return CheckIn(dict(found), first=False)
        marked = await q.mark_checked_in.fetchrow(conn, id=registration_id, at=ctx.now)
        if marked is None:
            return CheckIn(dict(found), first=False)
        await add_event(
            conn,
            c.REGISTRATION_CHECKED_IN,
            c.RegistrationCheckedInV1(
                registration_id=str(registration_id), event_id=str(event_id), checked_in_at=ctx.now
            ),
            aggregate_id=str(registration_id),
        )
        return CheckIn(dict(marked), first=True)


async def walk_in(
    *,
    conn: asyncpg.Connection,
    event_id: uuid.UUID,
    person: NewRegistration,
    nonce: str,
    beyond_capacity: bool,
    by: str,
    ctx: Context,
) -> CheckIn:
    """Add someone at the door who did not register, and check them in. The event's lock comes first,
    so retries of one tap take turns and the second finds the first's nonce."""
    async with conn.transaction():
        event = await q.lock_event.fetchrow(conn, id=event_id)
        if event is None:
            raise NotFound(f"Det finns inget evenemang med id {event_id}.")
        seen = await q.get_check_in.fetchrow(conn, nonce=nonce)
        if seen is not None:
            reg = dict(await q.get_registration.fetchrow(conn, id=seen["registration_id"]))
            if reg["event_id"] != event_id:
                raise _not_this_event()
            if not reg["walk_in"] or reg["name"] != person.name:
                raise RuleError("Skanningen skickades redan för en annan person. Skanna koden igen.")
            return CheckIn(reg, first=False)
        counts = {r["status"]: int(r["n"]) for r in await q.count_by_status.fetch(conn, event_id=event_id)}
        held = holding(counts)
        model.check_walk_in(
            status=event["status"],
            capacity=event["capacity"],
            holding_places=held,
            beyond_capacity=beyond_capacity,
        )
        phone_key = model.phone_key(person.phone)
        twin = await q.active_registration_with_contact.fetchrow(
            conn, event_id=event_id, email=person.email, phone_key=phone_key, organisation_id=None
        )
        if twin is not None and twin["status"] == "registered":
            raise RuleError(
                f"{person.name} har redan en plats. Sök på namnet i listan och checka in personen där."
            )
        reg = dict(
            await q.insert_walk_in.fetchrow(
                conn,
                id=uuid.uuid4(),
                event_id=event_id,
                name=person.name,
                email=person.email,
                phone=person.phone,
                phone_key=phone_key,
                registered_by=by,
                # Recorded only when the staff's decision was needed: the event was full.
                beyond_capacity=event["capacity"] is not None and held >= event["capacity"],
            )
        )
        await q.insert_check_in.execute(conn, nonce=nonce, registration_id=reg["id"], checked_in_by=by)
        marked = dict(await q.mark_checked_in.fetchrow(conn, id=reg["id"], at=ctx.now))
        event = dict(event)
        await add_event(
            conn,
            c.REGISTRATION_CREATED,
            c.RegistrationCreatedV1(
                **about(event, reg, ctx),
                status="registered",
                organisation_id=None,
                cancel_token=cancel_token(event, reg, ctx),
                walk_in=True,
            ),
            aggregate_id=str(reg["id"]),
        )
        await add_event(
            conn,
            c.REGISTRATION_CHECKED_IN,
            c.RegistrationCheckedInV1(
                registration_id=str(reg["id"]), event_id=str(event_id), checked_in_at=ctx.now
            ),
            aggregate_id=str(reg["id"]),
        )
        return CheckIn(marked, first=True)
