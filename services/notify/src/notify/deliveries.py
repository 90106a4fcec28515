"""The delivery log: what happened to each email (queued, sent, deferred, failed, bounced), every
attempt with its reason, searchable by staff, and a summary of what is failing now.

The state of an email is read from its row: `queued` (not tried yet), `deferred` (tried, or the
relay was away, and waiting for its next try), `sent` (the relay took it), `failed` (never tried
again), `bounced` (the relay took it, and a bounce said it did not arrive). Each try the sender
makes adds a row to `delivery_attempts` in the same transaction as its outcome; a relay that is
away costs no attempt, and adds no row (its reason stays in `last_error`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import asyncpg

from backbone.errors import NotFound, RuleError
from backbone.paging import fetch_page
from backbone.queries import Queries

q = Queries(Path(__file__).parent / "sql")

State = Literal["queued", "sent", "deferred", "failed", "bounced"]
Outcome = Literal["sent", "deferred", "failed", "bounced"]
# "Failing now": waiting after a failed try, or failed or bounced within this window.
FAILING_WINDOW_SECONDS = 24 * 3600.0
# A search reads at most this many matches (newest first): the count and the paging stop there.
MAX_MATCHES = 10_000


async def record_attempt(
    conn: asyncpg.Connection, *, email_id: uuid.UUID, outcome: Outcome, reason: str | None
) -> None:
    await q.record_attempt.execute(conn, email_id=email_id, outcome=outcome, reason=reason)


@dataclass(frozen=True)
class Search:
    recipient: str | None = None
    cause_event_id: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None
    state: State | None = None


async def search(
    conn: asyncpg.Connection, *, search: Search, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """A page of the log, newest first."""
    recipient = search.recipient.strip() if search.recipient else None
    # The start of an address, typed as it is: `%` and `_` are letters here, not patterns.
    pattern = recipient.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") if recipient else None
    return await fetch_page(
        conn,
        q.search_deliveries,
        limit=limit,
        offset=offset,
        recipient=pattern,
        cause_event_id=search.cause_event_id,
        since=search.since,
        until=search.until,
        state=search.state,
        cap=MAX_MATCHES,
    )


async def delivery(conn: asyncpg.Connection, *, email_id: uuid.UUID) -> dict[str, Any]:
    """One email's log entry with each of its attempts."""
    row = await q.delivery_by_id.fetchrow(conn, id=email_id)
    if row is None:
        raise NotFound("Det finns inget mejl med det id:t. Det kan vara så gammalt att det är borttaget.")
    attempts = [dict(r) for r in await q.attempts_of.fetch(conn, email_id=email_id)]
    return {**dict(row), "attempts_log": attempts}


async def failing_now(conn: asyncpg.Connection, *, shown: int = 5) -> dict[str, Any]:
    """How many emails are failing now, and the latest of them (the start page's card)."""
    # One round trip: each of the newest rows carries the counts of all (none: nothing is failing).
    rows = await q.failing_now.fetch(conn, window_seconds=FAILING_WINDOW_SECONDS, limit=shown)
    first = rows[0] if rows else None
    counted = ("deferred", "failed", "bounced", "oldest_deferred_at")
    return {
        "deferred": first["deferred"] if first else 0,
        "failed": first["failed"] if first else 0,
        "bounced": first["bounced"] if first else 0,
        "oldest_deferred_at": first["oldest_deferred_at"] if first else None,
        "window_seconds": FAILING_WINDOW_SECONDS,
        "latest": [{k: v for k, v in r.items() if k not in counted} for r in rows],
    }


class NotBounceable(RuleError):
    pass


async def record_bounce(conn: asyncpg.Connection, *, message_id: str, reason: str) -> uuid.UUID:
    """A bounce came back for the email with `message_id`: it did not arrive. Reported twice, once."""
    async with conn.transaction():
        email_id = await q.mark_bounced.fetchval(conn, message_id=message_id, reason=reason[:1000])
        if email_id is not None:
            await record_attempt(conn, email_id=email_id, outcome="bounced", reason=reason[:1000])
            return uuid.UUID(str(email_id))
        row = await q.email_by_message_id.fetchrow(conn, message_id=message_id)
    if row is None:
        raise NotFound("Det finns inget mejl med det Message-ID:t.")
    if row["status"] == "bounced":
        return uuid.UUID(str(row["id"]))
    raise NotBounceable("Mejlet har inte skickats än, så det kan inte ha studsat.")
