"""The events service's composition root (its domain arrives with its own issue)."""

from __future__ import annotations

from fastapi import FastAPI

from backbone.http import install_platform
from backbone.runtime import Runtime
from events.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    runtime = Runtime(settings)
    app = FastAPI(title="Events service", version="1", lifespan=runtime.lifespan)
    install_platform(app, runtime)
    return app
