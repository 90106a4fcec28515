"""Check-in at the door: recorded once per person, however often a phone on a bad connection retries.

Each scan or tap carries a nonce the phone makes and sends again on every retry. A nonce seen before
answers what it answered the first time; a second scan (a new nonce) of someone already checked in
changes nothing and says so."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from backbone.errors import NotFound, RuleError
from backbone.outbox import add_event
from events import contracts as c
from events.registrations import Context
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
