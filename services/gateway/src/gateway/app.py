"""The gateway's composition root."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from backbone.http import install_platform
from backbone.runtime import Runtime
from gateway import proxy
from gateway.settings import Settings


def create_app(settings: Settings) -> FastAPI:  # type: ignore[override]
    runtime = Runtime(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan(app), httpx.AsyncClient(timeout=30.0) as client:
            app.state.http = client
            yield

    app = FastAPI(title="Delaktig gateway", version="1", lifespan=lifespan)
    app.state.upstreams = settings.upstreams()
    install_platform(app, runtime, require_identity=False)
    app.include_router(proxy.router)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def start_page() -> Any:
        return HTMLResponse(
            "<!DOCTYPE html><html lang='sv'><head><meta charset='utf-8'><title>Delaktig</title></head>"
            "<body><main><h1>Delaktig</h1><p>Plattformen för brukarinflytande i socialtjänsten.</p>"
            "</main></body></html>"
        )

    return app
