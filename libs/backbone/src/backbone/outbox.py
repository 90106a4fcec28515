"""Writing events into the outbox, in the caller's transaction, with the change they describe."""

from __future__ import annotations

from typing import Any

import asyncpg
from pydantic import BaseModel

from backbone.contracts import EventType, SchemaViolation
from backbone.correlation import current_request_id
from backbone.envelope import Envelope, new_envelope
from backbone.wakeups import Wakeup

# Which aggregate an event is about, as a NATS header, so consumers can keep each one's order
# without reading the body.
AGGREGATE_HEADER = "Aggregate"
# Rung after every outbox row, so a relay in this process publishes without waiting for its poll.
OUTBOX_WRITTEN = Wakeup()


async def add_event(
    conn: asyncpg.Connection,
    event: EventType,
    data: BaseModel | dict[str, Any],
    *,
    aggregate_id: str,
) -> Envelope:
    """Record `event` for publishing; it leaves only if the surrounding transaction commits."""
    if not conn.is_in_transaction():
        raise RuntimeError("add_event must run inside the transaction that makes the change.")
    if isinstance(data, BaseModel):
        if not isinstance(data, event.payload):
            raise SchemaViolation(
                f"{event.subject} takes {event.payload.__name__}, not {type(data).__name__}."
            )
        payload = data.model_dump(mode="json")
    else:
        payload = data
    event.validate(payload)
    aggregate = f"{event.aggregate}/{aggregate_id}"
    env = new_envelope(
        subject=event.subject,
        source=f"/{event.owner}",
        data=payload,
        aggregate=aggregate,
        correlation_id=current_request_id(),
    )
    await conn.execute(
        """INSERT INTO outbox (event_id, subject, aggregate, envelope)
           VALUES ($1, $2, $3, $4)""",
        env.id,
        event.subject,
        aggregate,
        env.model_dump(mode="json", exclude_none=True),
    )
    OUTBOX_WRITTEN.ring()
    return env


async def backlog(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
