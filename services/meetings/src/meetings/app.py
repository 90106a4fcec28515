"""The meetings service's composition root."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from backbone.http import install_platform
from backbone.logs import get_logger
from backbone.runtime import Runtime
from backbone.settings import ServiceSettings
from meetings import action_items
from meetings.api import (
    action_items as action_items_api,
)
from meetings.api import (
    agendas,
    attendance,
    decisions,
    groups,
    imports,
    meetings,
    minutes,
    organisations,
    people,
    reports,
    search,
    series,
)
from meetings.consumers import SUBSCRIPTIONS
from meetings.model import NotAllowed, NotFound, RuleError, StaleVersion

log = get_logger(__name__)


def _status_of(exc: RuleError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, NotAllowed):
        return 403
    return 409  # a stale version, or a state the request does not fit


def install_rule_errors(app: FastAPI) -> None:
    @app.exception_handler(RuleError)
    async def rule_error(_request: Request, exc: RuleError) -> JSONResponse:
        message = str(exc)
        detail = message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
        kind = "stale_version" if isinstance(exc, StaleVersion) else type(exc).__name__
        return JSONResponse(status_code=_status_of(exc), content={"detail": detail, "error": kind})

    # Races the use cases' own checks cannot see (two requests at once) end here, not in a 500.
    @app.exception_handler(asyncpg.exceptions.UniqueViolationError)
    async def duplicate(_request: Request, _exc: Exception) -> JSONResponse:
        return JSONResponse(
            status_code=409,
            content={"detail": "Something with the same name or key was just created. Reload and try again."},
        )

    @app.exception_handler(asyncpg.exceptions.ForeignKeyViolationError)
    async def dangling(_request: Request, _exc: Exception) -> JSONResponse:
        return JSONResponse(
            status_code=409,
            content={
                "detail": "Something this refers to was just removed or does not exist. Reload and try again."
            },
        )


def due_check_worker(runtime: Runtime, interval_seconds: float, timezone: str = "Europe/Stockholm"):  # type: ignore[no-untyped-def]
    """The periodic check that announces action items due soon or overdue (each once)."""

    async def run() -> None:
        while True:
            try:
                async with runtime.pool.acquire() as conn:
                    today = datetime.now(ZoneInfo(timezone)).date()
                    counts = await action_items.check_due(conn=conn, today=today)
                if any(counts.values()):
                    log.info("action items announced", **counts)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the next round tries again
                log.warning("due check failed", error=str(exc))
            await asyncio.sleep(interval_seconds)

    return run


def create_app(settings: ServiceSettings) -> FastAPI:
    runtime = Runtime(settings, subscriptions=SUBSCRIPTIONS)
    runtime.add_worker(
        "due-check", due_check_worker(runtime, float(getattr(settings, "due_check_seconds", 300.0)))
    )
    app = FastAPI(
        title="Meetings service",
        description="Organisations, groups, meeting series, agendas, attendance, minutes, decisions, "
        "action items, search and import of old minutes.",
        version="1",
        lifespan=runtime.lifespan,
    )
    install_platform(app, runtime)
    install_rule_errors(app)
    app.include_router(organisations.router)
    app.include_router(people.router)
    app.include_router(groups.router)
    app.include_router(series.router)
    app.include_router(meetings.router)
    app.include_router(agendas.router)
    app.include_router(attendance.router)
    app.include_router(minutes.router)
    app.include_router(decisions.router)
    app.include_router(reports.router)
    app.include_router(action_items_api.router)
    app.include_router(search.router)
    app.include_router(imports.router)
    return app
