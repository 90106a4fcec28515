"""The events service's composition root."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from backbone.errors import install_rule_errors
from backbone.http import install_platform
from backbone.logs import get_logger
from backbone.runtime import Runtime
from backbone.workers import run_forever
from events import registrations, reminders, retention
from events.api import check_in, events, feeds, helpers, programme, public
from events.api import registrations as registrations_api
from events.consumers import IGNORED, subscriptions
from events.feed_cache import FeedCache
from events.feed_tokens import MalformedFeedToken
from events.links import Signer
from events.model import InvalidLink
from events.registration_desk import RETRY_AFTER_SECONDS, RegistrationDesk, Unavailable
from events.settings import Settings

log = get_logger(__name__)


async def _expire_offers(conn: asyncpg.Connection, ctx: registrations.Context) -> int:
    return await registrations.expire_offers(conn=conn, ctx=ctx)


async def _send_reminders(conn: asyncpg.Connection, ctx: registrations.Context) -> int:
    return await reminders.send_due(conn=conn, ctx=ctx)


# One round of a periodic job: does its work on a connection, says how many things it did.
Work = Callable[[asyncpg.Connection, registrations.Context], Awaitable[int]]


def periodic(runtime: Runtime, signer: Signer, work: Work, done: str) -> Callable[[], Awaitable[None]]:
    """A worker's step: one round of `work` at the current time, logged (how many, never who)."""

    async def step() -> None:
        ctx = registrations.Context(signer=signer, zone=runtime.settings.zone, now=datetime.now(UTC))
        async with runtime.pool.acquire() as conn:
            count = await work(conn, ctx)
        if count:
            log.info(done, count=count)

    return step


def _forever(
    step: Callable[[], Awaitable[None]], *, name: str, every: float
) -> Callable[[], Coroutine[Any, Any, None]]:
    # A failed round is a warning; the next round, one interval later, tries again.
    return lambda: run_forever(step, name=name, every=every, expected=(Exception,))


def create_app(settings: Settings) -> FastAPI:
    runtime = Runtime(settings, subscriptions=subscriptions(settings), ignored=IGNORED)
    signer = Signer(settings.link_key)

    async def anonymise(conn: asyncpg.Connection, ctx: registrations.Context) -> int:
        return await retention.anonymise_old(conn=conn, now=ctx.now, after_days=settings.retention_days)

    rounds: list[tuple[str, float, Work, str]] = [
        # Offers whose time ran out end, and their places go to the next in line.
        ("offer-check", settings.offer_check_seconds, _expire_offers, "offers expired"),
        # Reminders whose time has come, each once per start time.
        ("reminder-check", settings.reminder_check_seconds, _send_reminders, "people reminded"),
        # Registrations of events long past lose their personal fields.
        ("retention", settings.retention_check_seconds, anonymise, "registrations anonymised"),
    ]
    for name, every, work, done in rounds:
        runtime.add_worker(name, _forever(periodic(runtime, signer, work, done), name=name, every=every))
    desk = RegistrationDesk(
        lambda: runtime.pool,
        lambda: registrations.Context(signer=signer, zone=settings.zone, now=datetime.now(UTC)),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan(app):
            try:
                yield
            finally:
                # Before the runtime closes the pool: the batch being written may still finish.
                await app.state.registration_desk.close()

    app = FastAPI(
        title="Events service",
        description="Events, registration with a waiting list and offers, calendar and Atom feeds.",
        version="1",
        lifespan=lifespan,
    )
    install_platform(app, runtime, conditional_gets=True)
    install_rule_errors(app)
    app.state.signer = signer
    app.state.registration_desk = desk
    # Keys the feeds' own ETags (events.api.feeds), made once per process like the platform's.
    app.state.feed_key = secrets.token_bytes(32)
    app.state.feed_cache = FeedCache(max_bytes=settings.feed_cache_megabytes * 2**20)

    # A link that is not one of ours is bad input (400), not a state that forbids it (409).
    @app.exception_handler(InvalidLink)
    async def invalid_link(_request: Request, exc: InvalidLink) -> JSONResponse:
        return JSONResponse(status_code=400, content={"detail": str(exc), "error": "invalid_link"})

    # Not taken, through no fault of the person (a crowd, a lost database, a restart): send it again.
    @app.exception_handler(Unavailable)
    async def unavailable(_request: Request, exc: Unavailable) -> JSONResponse:
        return JSONResponse(
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            content={"detail": str(exc), "error": "unavailable", "perhaps_taken": exc.perhaps_taken},
        )

    @app.exception_handler(MalformedFeedToken)
    async def malformed_feed_token(_request: Request, exc: MalformedFeedToken) -> JSONResponse:
        return JSONResponse(status_code=400, content={"detail": str(exc), "error": "malformed_feed_token"})

    app.include_router(events.router)
    app.include_router(registrations_api.router)
    app.include_router(programme.router)
    app.include_router(check_in.router)
    app.include_router(helpers.router)
    app.include_router(public.router)
    app.include_router(feeds.router)
    app.include_router(feeds.tokens_router)
    app.include_router(feeds.group_tokens_router)
    return app
