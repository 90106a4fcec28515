"""The meetings service's composition root."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from fastapi import FastAPI

from backbone.errors import install_rule_errors
from backbone.http import install_platform
from backbone.logs import get_logger
from backbone.runtime import Runtime
from backbone.workers import run_forever
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
    overview,
    people,
    reports,
    search,
    series,
)
from meetings.consumers import IGNORED, SUBSCRIPTIONS
from meetings.settings import Settings

log = get_logger(__name__)


def due_check(runtime: Runtime) -> Callable[[], Awaitable[None]]:
    """One round of the periodic check that announces action items due soon or overdue (each once).

    "Today" is the date on the service's wall clock (`Settings.timezone`), where due dates are meant."""

    async def check() -> None:
        async with runtime.pool.acquire() as conn:
            today = datetime.now(runtime.settings.zone).date()
            counts = await action_items.check_due(conn=conn, today=today)
        if any(counts.values()):
            log.info("action items announced", **counts)

    return check


def create_app(settings: Settings) -> FastAPI:
    runtime = Runtime(settings, subscriptions=SUBSCRIPTIONS, ignored=IGNORED)
    # A failed round is a warning; the next round, one interval later, tries again.
    runtime.add_worker(
        "due-check",
        lambda: run_forever(
            due_check(runtime), name="due-check", every=settings.due_check_seconds, expected=(Exception,)
        ),
    )
    app = FastAPI(
        title="Meetings service",
        description="Organisations, groups, meeting series, agendas, attendance, minutes, decisions, "
        "action items, search and import of old minutes.",
        version="1",
        lifespan=runtime.lifespan,
    )
    install_platform(app, runtime, conditional_gets=True)
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
    app.include_router(overview.router)
    return app
