"""The notify service's composition root: consumers, the email sender, health."""

from __future__ import annotations

from fastapi import FastAPI

from backbone.http import install_platform
from backbone.runtime import Runtime
from notify.consumers import IGNORED, subscriptions
from notify.sending import EmailSender
from notify.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    runtime = Runtime(settings, subscriptions=subscriptions(settings), ignored=IGNORED)
    runtime.add_worker("email-sender", lambda: EmailSender(pool=runtime.pool, settings=settings).run())
    app = FastAPI(title="Notify service", version="1", lifespan=runtime.lifespan)
    install_platform(app, runtime)
    return app
