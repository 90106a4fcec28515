"""FastAPI dependencies every service's routes use: one pooled database connection per request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import asyncpg
from fastapi import Depends, Request


async def _connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    # The pool of the service's Runtime, which install_platform puts on the app.
    async with request.app.state.runtime.pool.acquire() as conn:
        yield conn


ConnDep = Annotated[asyncpg.Connection, Depends(_connection)]
