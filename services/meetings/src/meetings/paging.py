"""Pages of rows with their total, from list queries ending in `LIMIT $n OFFSET $n+1` that select
`count(*) OVER () AS total`."""

from __future__ import annotations

from typing import Any

import asyncpg

Row = dict[str, Any]


async def fetch_page(
    conn: asyncpg.Connection, sql: str, *args: Any, limit: int, offset: int
) -> tuple[list[Row], int]:
    rows = await conn.fetch(sql, *args, limit, offset)
    if rows:
        return [dict(r) for r in rows], int(rows[0]["total"])
    if offset == 0:
        return [], 0
    # A page past the end has no rows to carry the total: ask for the first row instead.
    first = await conn.fetch(sql, *args, 1, 0)
    return [], int(first[0]["total"]) if first else 0
