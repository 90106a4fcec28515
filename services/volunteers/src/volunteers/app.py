"""The volunteers service's composition root."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from backbone.contracts import load_catalogue
from backbone.errors import install_rule_errors
from backbone.http import install_platform
from backbone.logs import get_logger
from backbone.runtime import Runtime
from backbone.workers import run_forever
from volunteers import offers, rights
from volunteers.api import fees, hours, links, pools, reports, requests, reviews, summary, volunteers
from volunteers.api import rights as rights_api
from volunteers.consumers import IGNORED, SUBSCRIPTIONS, subscriptions
from volunteers.links import Signer
from volunteers.model import InvalidLink
from volunteers.settings import Settings
from volunteers.work_links import WorkLinkSigner

log = get_logger(__name__)

CLASH = (
    "Personen är redan bokad på ett annat uppdrag samma tid, så platsen kunde inte bokas. "
    "Välj en annan person eller en annan tid."
)


def create_app(settings: Settings) -> FastAPI:
    # The other services' answers to rights requests, as far as they have declared them.
    answers = rights.answer_wiring(
        settings.rights_service_names, load_catalogue(), handled={s.subject for s in SUBSCRIPTIONS} | IGNORED
    )
    for service in answers.undeclared:
        log.warning("rights requests cannot complete: no answer declared", service=service)
    runtime = Runtime(
        settings,
        subscriptions=[*subscriptions(settings), *answers.subscriptions],
        # A service's answers that the wiring reads are no longer ignored (consumers.IGNORED).
        ignored=(IGNORED | answers.ignored) - {s.subject for s in answers.subscriptions},
    )
    signer = Signer(settings.link_key)

    async def expire_offers() -> None:
        # Offers nobody answered in time end, and their places go to the next candidates.
        ctx = offers.Context(
            signer=signer, zone=settings.zone, now=datetime.now(UTC), window_days=settings.fairness_days
        )
        async with runtime.pool.acquire() as conn:
            count = await offers.expire_due(conn=conn, ctx=ctx)
        if count:
            log.info("offers expired", count=count)

    runtime.add_worker(
        "offer-check",
        lambda: run_forever(
            expire_offers, name="offer-check", every=settings.offer_check_seconds, expected=(Exception,)
        ),
    )
    app = FastAPI(
        title="Volunteers service",
        description="Pools, volunteers, consent, requests, fair matching with reasons, offers by link.",
        version="1",
        lifespan=runtime.lifespan,
    )
    install_platform(app, runtime, conditional_gets=True)
    install_rule_errors(app)
    app.state.signer = signer
    app.state.work_signer = WorkLinkSigner(settings.link_key)

    # A link that is not one of ours is bad input (400), not a state that forbids it (409).
    @app.exception_handler(InvalidLink)
    async def invalid_link(_request: Request, exc: InvalidLink) -> JSONResponse:
        return JSONResponse(status_code=400, content={"detail": str(exc), "error": "invalid_link"})

    # Two bookings of one person at once that the use cases' locks did not order (the constraint is
    # the last guard): nothing was kept.
    @app.exception_handler(asyncpg.exceptions.ExclusionViolationError)
    async def clash(_request: Request, _exc: Exception) -> JSONResponse:
        return JSONResponse(status_code=409, content={"detail": CLASH, "error": "Clash"})

    app.include_router(pools.router)
    app.include_router(volunteers.router)
    app.include_router(requests.router)
    app.include_router(links.router)
    app.include_router(fees.router)
    app.include_router(hours.router)
    app.include_router(reports.router)
    app.include_router(reviews.router)
    app.include_router(rights_api.router)
    app.include_router(summary.router)
    return app
