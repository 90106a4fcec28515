"""Retention: registrations of past events are anonymised after a while (the person's fields go;
statuses and organisations stay, so counts per organisation remain)."""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg

from events.sql_queries import q


async def anonymise_old(
    *, conn: asyncpg.Connection, now: datetime, after_days: int, limit: int = 5_000
) -> int:
    """Anonymise up to `limit` registrations of events that ended more than `after_days` ago; how many."""
    status = await q.anonymise_registrations.execute(
        conn, now=now, ended_before=now - timedelta(days=after_days), limit=limit
    )
    return int(status.split()[-1])
