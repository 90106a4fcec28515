"""FastAPI dependencies every service's routes use: one pooled database connection per request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import asyncpg
from fastapi import Depends, Request


async def _connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    # Conditional GETs (backbone.conditional) have taken one already to read the data version:
    # the route goes on with it, one acquire and one release per request.
    held = getattr(request.state, "connection", None)
    if held is not None:
        yield held
        return
    # The pool of the service's Runtime, which install_platform puts on the app.
    async with request.app.state.runtime.pool.acquire() as conn:
        yield conn


ConnDep = Annotated[asyncpg.Connection, Depends(_connection)]
