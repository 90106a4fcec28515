"""Pages of rows: the page model every list route answers with, its query parameters, and reading a
page with its total from a named list query ending in `LIMIT :limit OFFSET :offset` that selects
`count(*) OVER () AS total`."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

import asyncpg
from fastapi import Query
from pydantic import BaseModel

from backbone import queries

T = TypeVar("T")
Row = dict[str, Any]

Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]
Offset = Annotated[int, Query(ge=0, description="How many to skip")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


async def fetch_page(
    conn: asyncpg.Connection, query: queries.Query, *, limit: int, offset: int, **params: Any
) -> tuple[list[Row], int]:
    rows = await query.fetch(conn, **params, limit=limit, offset=offset)
    if rows:
        return [dict(r) for r in rows], int(rows[0]["total"])
    if offset == 0:
        return [], 0
    # A page past the end has no rows to carry the total: ask for the first row instead.
    first = await query.fetch(conn, **params, limit=1, offset=0)
    return [], int(first[0]["total"]) if first else 0
