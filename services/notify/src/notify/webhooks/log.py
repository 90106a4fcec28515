"""The delivery log of an endpoint, replays, and the "send a test event" button."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from backbone.errors import NotFound, RuleError
from backbone.paging import fetch_page
from notify.webhooks import endpoints, topics
from notify.webhooks.store import WEBHOOKS_QUEUED, q

STATUSES = ("pending", "succeeded", "failed")


def webhook_id(message_id: uuid.UUID) -> str:
    """The `webhook-id` header: the same for every attempt and replay of one message."""
    return f"msg_{message_id.hex}"


async def messages(
    *,
    conn: asyncpg.Connection,
    endpoint_id: uuid.UUID,
    scope: uuid.UUID | None,
    status: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    await endpoints.get(conn=conn, endpoint_id=endpoint_id, scope=scope)
    if status is not None and status not in STATUSES:
        raise RuleError(f"Okänd status {status}. Välj en av: {', '.join(STATUSES)}")
    return await fetch_page(
        conn,
        q.list_messages,
        limit=limit,
        offset=offset,
        endpoint_id=endpoint_id,
        status=status,
        since=since,
        until=until,
    )


async def message(
    *, conn: asyncpg.Connection, endpoint_id: uuid.UUID, message_id: uuid.UUID, scope: uuid.UUID | None
) -> tuple[asyncpg.Record, list[asyncpg.Record]]:
    """One message with every attempt to deliver it, oldest first."""
    await endpoints.get(conn=conn, endpoint_id=endpoint_id, scope=scope)
    row = await q.get_message.fetchrow(conn, id=message_id, endpoint_id=endpoint_id)
    if row is None:
        raise NotFound("Leveransen finns inte")
    return row, await q.list_attempts.fetch(conn, message_id=message_id)


async def replay(
    *,
    conn: asyncpg.Connection,
    endpoint_id: uuid.UUID,
    message_id: uuid.UUID,
    scope: uuid.UUID | None,
    now: datetime,
) -> asyncpg.Record:
    """Send one message again now, with the same `webhook-id`, on a new round of the schedule."""
    await endpoints.get(conn=conn, endpoint_id=endpoint_id, scope=scope)
    row = await q.replay_message.fetchrow(conn, id=message_id, endpoint_id=endpoint_id, now=now)
    if row is None:
        raise NotFound("Leveransen finns inte")
    WEBHOOKS_QUEUED.ring()
    return row


async def replay_failed(
    *,
    conn: asyncpg.Connection,
    endpoint_id: uuid.UUID,
    scope: uuid.UUID | None,
    since: datetime,
    until: datetime,
    now: datetime,
) -> int:
    """Send again every failed message created in [since, until); how many."""
    if until <= since:
        raise RuleError('Tiden "till" måste vara efter tiden "från". Ändra tiderna och försök igen')
    await endpoints.get(conn=conn, endpoint_id=endpoint_id, scope=scope)
    rows = await q.replay_failed.fetch(conn, endpoint_id=endpoint_id, since=since, until=until, now=now)
    if rows:
        WEBHOOKS_QUEUED.ring()
    return len(rows)


async def send_test(
    *, conn: asyncpg.Connection, endpoint_id: uuid.UUID, scope: uuid.UUID | None, now: datetime
) -> asyncpg.Record:
    """A `webhook.test` message to this endpoint now, whatever its topics (also when it is disabled:
    the worker sends it once the endpoint is on again)."""
    endpoint = await endpoints.get(conn=conn, endpoint_id=endpoint_id, scope=scope)
    data = {"endpoint_id": str(endpoint["id"]), "message": "Det här är ett test från Delaktig."}
    row = await q.insert_message.fetchrow(
        conn,
        id=uuid.uuid4(),
        endpoint_id=endpoint_id,
        topic=topics.TEST_TOPIC,
        body=topics.body(topics.TEST_TOPIC, now, data),
        now=now,
    )
    WEBHOOKS_QUEUED.ring()
    return row
