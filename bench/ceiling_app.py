"""`python -m bench.ceiling_app DSN PORT`: the page bench's ceiling, the least a page can cost.

A FastAPI app with an asyncpg pool that answers `GET /meetings/{id}` with one primary-key SELECT
as JSON, served by uvicorn with the services' own server settings. A page of the gateway does this
and more (a session, calls to the meetings service, a template), so its rate is a fraction of this.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, HTTPException, Request

from backbone.db import create_pool
from backbone.queries import Queries

q = Queries(Path(__file__).parent / "sql")


def create_app(dsn: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The services' default pool size (backbone ServiceSettings.pool_max_size).
        app.state.pool = await create_pool(dsn, min_size=1, max_size=16)
        try:
            yield
        finally:
            await app.state.pool.close()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/meetings/{meeting_id}")
    async def meeting(meeting_id: uuid.UUID, request: Request) -> dict[str, Any]:
        async with request.app.state.pool.acquire() as conn:
            row = await conn.fetchrow(q.ceiling_get_meeting.sql, meeting_id)
        if row is None:
            raise HTTPException(status_code=404)
        return dict(row)

    @app.get("/livez")
    async def livez() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    dsn, port = sys.argv[1], int(sys.argv[2])
    # As backbone.service_main.run_service starts the services.
    uvicorn.run(create_app(dsn), host="127.0.0.1", port=port, log_config=None, access_log=False,
                proxy_headers=False)


if __name__ == "__main__":
    main()
