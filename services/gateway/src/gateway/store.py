"""The gateway's database access: its named queries and a connection per request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import asyncpg
from fastapi import Depends, Request

from backbone.queries import Queries

Q = Queries(Path(__file__).resolve().parent / "sql")


async def _connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    async with request.app.state.runtime.pool.acquire() as conn:
        yield conn


ConnDep = Annotated[asyncpg.Connection, Depends(_connection)]
