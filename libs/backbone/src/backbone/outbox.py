"""Writing events into the outbox, in the caller's transaction, with the change they describe."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import asyncpg
from pydantic import BaseModel

from backbone.contracts import EventType, SchemaViolation
from backbone.correlation import current_request_id
from backbone.envelope import Envelope, new_envelope
from backbone.queries import backbone_queries as q
from backbone.wakeups import Wakeup

# Which aggregate an event is about, as a NATS header, so consumers can keep each one's order
# without reading the body.
AGGREGATE_HEADER = "Aggregate"
# An event travels as one NATS message; the server refuses anything over its max_payload (1 MiB by
# default), and a relay cannot publish such a row. Well below that, so headers and growth fit.
MAX_EVENT_BYTES = 256 * 1024
# Rung after every outbox row, so a relay in this process publishes without waiting for its poll.
OUTBOX_WRITTEN = Wakeup()


class EventTooLarge(ValueError):
    """A programming error: an event bigger than the bus carries (send a reference, not the content)."""


async def add_event(
    conn: asyncpg.Connection,
    event: EventType,
    data: BaseModel | dict[str, Any],
    *,
    aggregate_id: str,
    max_bytes: int = MAX_EVENT_BYTES,
) -> Envelope:
    """Record `event` for publishing; it leaves only if the surrounding transaction commits.

    Lock the aggregate's own row (`SELECT ... FOR UPDATE`) before deciding what the event says: the
    sequence number taken here orders events of one aggregate by commit, but only the row lock makes
    the event's content agree with that order. Both are held to commit: a transaction about several
    aggregates takes them in aggregate order (sorted), or two such transactions can deadlock (the
    HTTP layer answers that 409 "try again"; see docs/architecture.md).
    """
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
        sequence=1,  # a stand-in of the same size class, so the size check needs no number yet
    )
    text = env.to_json()
    size = len(text)
    if size > max_bytes:
        raise EventTooLarge(
            f"{event.subject} for {aggregate} is {size} bytes; events are at most {max_bytes} bytes."
            " Put less in the event (ids, or a link the consumer can fetch) or split it."
        )
    # Takes the aggregate's counter row and holds it to commit, and writes the row with its number
    # (see the query): one round trip, and the JSON written once.
    sequence = await q.insert_numbered_outbox_event.fetchval(
        conn, event_id=env.id, subject=event.subject, aggregate=aggregate, envelope=text.decode()
    )
    env = env.model_copy(update={"aggregateseq": int(sequence)})
    OUTBOX_WRITTEN.ring()
    return env


async def add_events(
    conn: asyncpg.Connection,
    event: EventType,
    items: Sequence[tuple[BaseModel | dict[str, Any], str]],
    *,
    max_bytes: int = MAX_EVENT_BYTES,
) -> list[Envelope]:
    """`add_event` for many events of one type, each `(data, aggregate_id)`, in two statements
    instead of two per event (a cancelled event tells 10,000 people: 20,000 round trips before).

    The same checks, numbers and order as `add_event` one after another. The aggregates' counter
    rows are taken in aggregate order; aggregates named more than once go through `add_event`.
    """
    if not conn.is_in_transaction():
        raise RuntimeError("add_events must run inside the transaction that makes the change.")
    aggregates = [f"{event.aggregate}/{aggregate_id}" for _data, aggregate_id in items]
    if len(set(aggregates)) != len(aggregates):
        return [await add_event(conn, event, data, aggregate_id=aggregate_id, max_bytes=max_bytes)
                for data, aggregate_id in items]
    drafts = [_draft(event, data, aggregate, max_bytes) for (data, _id), aggregate in zip(items, aggregates,
                                                                                            strict=True)]
    if not drafts:
        return []
    numbers = {row["aggregate"]: int(row["last_seq"])
               for row in await q.next_aggregate_seqs.fetch(conn, aggregates=aggregates)}
    envelopes = [env.model_copy(update={"aggregateseq": numbers[aggregate]})
                 for env, aggregate in zip(drafts, aggregates, strict=True)]
    await q.insert_outbox_events.execute(
        conn,
        event_ids=[env.id for env in envelopes],
        subjects=[event.subject] * len(envelopes),
        aggregates=aggregates,
        envelopes=[json.dumps(env.model_dump(mode="json", exclude_none=True)) for env in envelopes],
    )
    OUTBOX_WRITTEN.ring()
    return envelopes


def _draft(event: EventType, data: BaseModel | dict[str, Any], aggregate: str, max_bytes: int) -> Envelope:
    """The envelope of one event, checked as `add_event` checks it, still without its number."""
    if isinstance(data, BaseModel):
        if not isinstance(data, event.payload):
            raise SchemaViolation(
                f"{event.subject} takes {event.payload.__name__}, not {type(data).__name__}."
            )
        payload = data.model_dump(mode="json")
    else:
        payload = data
    event.validate(payload)
    env = new_envelope(
        subject=event.subject,
        source=f"/{event.owner}",
        data=payload,
        aggregate=aggregate,
        correlation_id=current_request_id(),
        sequence=1,
    )
    size = len(env.to_json())
    if size > max_bytes:
        raise EventTooLarge(
            f"{event.subject} for {aggregate} is {size} bytes; events are at most {max_bytes} bytes."
            " Put less in the event (ids, or a link the consumer can fetch) or split it."
        )
    return env


async def backlog(conn: asyncpg.Connection) -> int:
    """How many events are still to be published (rows set aside are not: they never will be)."""
    return int(await q.outbox_backlog.fetchval(conn))
