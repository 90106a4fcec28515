"""The gateway's composition root: the web UI, sign-in, and the one door to the services' APIs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from backbone.http import install_platform
from backbone.logs import configure_logging, get_logger
from backbone.runtime import Runtime
from backbone.workers import run_forever
from gateway import audit, flash, oidc, proxy, rendering, sessions, throttle
from gateway.auth import NotAllowed, SignInRequired, client_ip
from gateway.csrf import CsrfRejected
from gateway.forwarded import ForwardedClient
from gateway.i18n import _
from gateway.locale_middleware import LocaleMiddleware
from gateway.pages import (
    admin,
    auth,
    deadletters,
    deliveries,
    events,
    feeds,
    imports,
    mailbox,
    meetings,
    minutes,
    notify_templates,
    organisations,
    preferences,
    public,
    registers,
    search,
    series,
    start,
    statistics,
    volunteers,
    volunteers_forms,
    volunteers_links,
    volunteers_requests,
    volunteers_reviews,
    volunteers_rights,
    volunteers_work,
    webhooks,
)
from gateway.rendering import render
from gateway.security_headers import SecurityHeaders
from gateway.settings import Settings
from gateway.upstream import AnswerCache, ServiceUnavailable, UpstreamClient

log = get_logger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"
# Reachable without signing in; every other route refuses anonymous requests (a test walks them all).
PUBLIC_PATHS = frozenset(
    {
        "/sign-in",
        "/sign-in/sso",
        "/sign-in/sso/callback",
        "/accessibility",
        # The events' public pages: no account needed to read, register or answer a personal link.
        "/evenemang",
        "/evenemang/{event_id}",
        "/evenemang/{event_id}/tack",
        "/evenemang/avboka",
        "/evenemang/erbjudande/ja",
        "/evenemang/erbjudande/nej",
        # The events' calendar and Atom feeds: calendar apps subscribe without an account.
        "/feeds/events.{kind}",
        "/feeds/organisations/{organisation_id}/events.{kind}",
        "/feeds/private/{token}/events.{kind}",
        "/feeds/groups/{token}/events.{kind}",
        # The volunteer's own pages, by the signed links in their messages.
        "/volontar/erbjudande/ja",
        "/volontar/erbjudande/nej",
        "/volontar/uppdrag/avboka",
        "/volontar/timmar",
        "/volontar/granskning",
        "/volontar/samtycken",
        # Email preferences and one-click unsubscribe, by the signed link in every email.
        "/installningar/e-post",
        "/installningar/e-post/avregistrera",
        "/language",
        "/sign-out",
        "/livez",
        "/readyz",
        "/metrics",
    }
)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def install_page_errors(app: FastAPI) -> None:
    """People see pages that say what happened; API callers get JSON."""

    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, _exc: SignInRequired) -> Response:
        if _is_api(request):
            return JSONResponse(status_code=401, content={"detail": _("Logga in för att använda tjänsten.")})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        location = (
            "/sign-in?" + httpx.QueryParams({"next": target if request.method == "GET" else "/"}).__str__()
        )
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": location})
        return RedirectResponse(location, status_code=303)

    @app.exception_handler(NotAllowed)
    async def not_allowed(request: Request, _exc: NotAllowed) -> Response:
        user = getattr(request.state, "user", None)
        async with request.app.state.runtime.pool.acquire() as conn:
            await audit.record(
                conn,
                action="access_refused",
                actor_id=user.user_id if user else None,
                actor_email=user.email if user else None,
                target=f"{request.method} {request.url.path}",
                ip=client_ip(request),
            )
        if _is_api(request):
            return JSONResponse(
                status_code=403, content={"detail": _("Din roll ger inte tillgång till det här.")}
            )
        return render(
            request,
            "pages/error.html",
            status_code=403,
            heading=_("Du har inte tillgång till sidan"),
            message=_("Din roll ger inte tillgång till det här. Fråga en administratör om du behöver den."),
        )

    @app.exception_handler(CsrfRejected)
    async def csrf_rejected(request: Request, _exc: CsrfRejected) -> Response:
        if _is_api(request):
            return JSONResponse(
                status_code=403, content={"detail": _("Begäran saknar en giltig CSRF-token.")}
            )
        return render(
            request,
            "pages/error.html",
            status_code=403,
            heading=_("Formuläret har gått ut"),
            message=_(
                "Sidan var öppen för länge, eller så kom formuläret från en annan webbplats. "
                "Gå tillbaka, ladda om sidan och försök igen."
            ),
        )

    @app.exception_handler(ServiceUnavailable)
    async def service_unavailable(request: Request, exc: ServiceUnavailable) -> Response:
        return render(
            request,
            "pages/error.html",
            status_code=502,
            heading=_("Något gick fel hos oss"),
            message=_("En del av tjänsten svarar inte just nu. Försök igen om en stund."),
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request) or request.url.path in ("/livez", "/readyz", "/metrics"):
            return JSONResponse(
                status_code=exc.status_code, content={"detail": exc.detail}, headers=exc.headers
            )
        if exc.status_code == 404:
            return render(
                request,
                "pages/error.html",
                status_code=404,
                heading=_("Sidan finns inte"),
                message=_("Länken kan vara fel, eller så har sidan flyttats."),
            )
        return render(
            request,
            "pages/error.html",
            status_code=exc.status_code,
            heading=_("Något gick fel"),
            message=_("Försök igen. Om det inte går, kontakta en administratör."),
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            return JSONResponse(status_code=422, content={"detail": _("Begäran är inte giltig.")})
        return render(
            request,
            "pages/error.html",
            status_code=422,
            heading=_("Adressen är inte giltig"),
            message=_("Något i adressen eller formuläret gick inte att läsa. Gå tillbaka och försök igen."),
        )


def session_cleanup(runtime: Runtime, settings: Settings) -> Callable[[], Awaitable[None]]:
    """One round of deleting expired sessions, stale single sign-on attempts, old sign-in failures."""

    async def clean() -> None:
        async with runtime.pool.acquire() as conn:
            await sessions.delete_expired(
                conn,
                now=datetime.now(UTC),
                idle=timedelta(minutes=settings.session_idle_minutes),
                absolute=timedelta(hours=settings.session_absolute_hours),
            )
            await oidc.delete_old_attempts(conn)
            await throttle.delete_forgotten(conn, now=datetime.now(UTC))

    return clean


def create_app(settings: Settings) -> FastAPI:
    runtime = Runtime(settings)
    # A failed round is a warning; the next round, one interval later, tries again.
    runtime.add_worker(
        "session-cleanup",
        lambda: run_forever(
            session_cleanup(runtime, settings),
            name="session-cleanup",
            every=settings.cleanup_every_seconds,
            expected=(Exception,),
        ),
    )
    # httpx logs every call to a service at INFO: five lines per meeting page, each costing a formatted
    # record, and nothing the services' own logs and the metrics do not already say.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Outside development the templates never change under a running process: no look at their files
    # on every page.
    rendering.ENV.auto_reload = settings.development

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with (
            runtime.lifespan(app),
            httpx.AsyncClient(timeout=30.0) as client,
            UpstreamClient(
                max_response_bytes=settings.proxy_max_response_bytes,
                timeout=settings.upstream_timeout_seconds,
                cache=AnswerCache(
                    max_entries=settings.upstream_cache_entries,
                    max_bytes=settings.upstream_cache_bytes,
                ),
            ) as upstream,
        ):
            app.state.http = client
            app.state.upstream = upstream
            yield

    app = FastAPI(
        title="Delaktig gateway",
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.upstreams = settings.upstreams()
    install_platform(app, runtime, require_identity=False)
    install_page_errors(app)
    # Added after the platform's middleware, so they wrap it: the language is set and the security
    # headers are added for every answer, refusals and errors included.
    app.add_middleware(LocaleMiddleware)
    app.add_middleware(SecurityHeaders, behind_tls=settings.behind_tls)
    app.add_middleware(flash.SecureFlashCookies, secure=settings.behind_tls)
    # Outermost, so that everything inside (throttling, sessions, the audit log, logs) sees the client's
    # address. The server itself believes no X-Forwarded-For (backbone's run_service turns that off).
    app.add_middleware(ForwardedClient, trusted=settings.trusted_proxies)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    app.include_router(public.router)
    app.include_router(auth.router)
    app.include_router(start.router)
    app.include_router(meetings.router)
    app.include_router(minutes.router)
    app.include_router(series.router)
    app.include_router(events.router)
    app.include_router(events.public_router)
    app.include_router(feeds.router)
    # Before volunteers.router: "/volunteers/pools/new" is not a pool's id.
    app.include_router(volunteers_forms.router)
    app.include_router(volunteers.router)
    app.include_router(volunteers_requests.router)
    app.include_router(volunteers_work.router)
    app.include_router(volunteers_reviews.router)
    app.include_router(volunteers_rights.router)
    app.include_router(volunteers_links.public_router)
    app.include_router(search.router)
    app.include_router(imports.router)
    app.include_router(organisations.router)
    app.include_router(statistics.router)
    app.include_router(registers.router)
    app.include_router(admin.router)
    app.include_router(deadletters.router)
    app.include_router(deliveries.router)
    app.include_router(notify_templates.router)
    app.include_router(webhooks.router)
    app.include_router(preferences.router)
    app.include_router(preferences.one_click_router)
    if settings.development:
        app.include_router(mailbox.router)
    if settings.oidc_enabled:
        app.include_router(oidc.router)
    app.include_router(proxy.router)
    return app


def app_from_environment() -> FastAPI:
    """For each of uvicorn's worker processes (GATEWAY_HTTP_WORKERS): the app from the environment.

    A worker is a fresh interpreter that never ran run_service, so it sets up its own logging."""
    settings = Settings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    return create_app(settings)
