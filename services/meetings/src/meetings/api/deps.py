"""FastAPI dependencies of the meetings API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import asyncpg
from fastapi import Depends, Request


async def _connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    async with request.app.state.runtime.pool.acquire() as conn:
        yield conn


ConnDep = Annotated[asyncpg.Connection, Depends(_connection)]
