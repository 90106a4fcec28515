"""The notify service's composition root: consumers, the email sender, health."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from backbone.errors import install_rule_errors
from backbone.http import install_platform
from backbone.workers import run_forever
from notify import digests, retention
from notify.api import bounces as bounces_api
from notify.api import deliveries as deliveries_api
from notify.api import preferences as preferences_api
from notify.api import templates as templates_api
from notify.consumers import IGNORED, forget_past_events, subscriptions
from notify.links import InvalidLink, signer_for
from notify.readiness import NotifyRuntime
from notify.sending import EmailSender
from notify.settings import Settings
from notify.webhooks import api as webhooks_api


def create_app(settings: Settings) -> FastAPI:
    runtime = NotifyRuntime(settings, subscriptions=subscriptions(settings), ignored=IGNORED)
    runtime.add_worker("email-sender", lambda: EmailSender(pool=runtime.pool, settings=settings).run())

    async def digest_round() -> None:
        await digests.send_due_digests(runtime.pool, settings)

    runtime.add_worker(
        "digests",
        lambda: run_forever(digest_round, name="digests", every=settings.digest_check_seconds),
    )
    async def prune_round() -> None:
        await forget_past_events(runtime.pool)
        await retention.prune(runtime.pool, settings)

    runtime.add_worker(
        "forget-past-events",
        lambda: run_forever(prune_round, name="forget-past-events", every=settings.prune_interval_seconds),
    )
    app = FastAPI(title="Notify service", version="1", lifespan=runtime.lifespan)
    app.state.signer = signer_for(settings)
    install_platform(app, runtime, conditional_gets=True)
    install_rule_errors(app)

    # A link that is not one of ours, or too old, is bad input (400), not a state (409).
    @app.exception_handler(InvalidLink)
    async def invalid_link(_request: Request, exc: InvalidLink) -> JSONResponse:
        return JSONResponse(status_code=400, content={"detail": str(exc), "error": "invalid_link"})

    app.include_router(deliveries_api.router)
    app.include_router(deliveries_api.bounced_router)
    bounces_api.install(app, runtime, settings)
    app.include_router(preferences_api.router)
    app.include_router(templates_api.router)
    webhooks_api.install(app, runtime, settings)
    return app
