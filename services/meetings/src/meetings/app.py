"""The meetings service's composition root."""

from __future__ import annotations

from fastapi import FastAPI

from backbone.http import install_platform
from backbone.runtime import Runtime
from backbone.settings import ServiceSettings
from meetings.api import meetings
from meetings.consumers import SUBSCRIPTIONS


def create_app(settings: ServiceSettings) -> FastAPI:
    runtime = Runtime(settings, subscriptions=SUBSCRIPTIONS)
    app = FastAPI(
        title="Meetings service",
        description="Meeting series, agendas, attendance, minutes, decisions and action items.",
        version="1",
        lifespan=runtime.lifespan,
    )
    install_platform(app, runtime)
    app.include_router(meetings.router)
    return app
