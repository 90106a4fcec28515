"""What every service's HTTP side has: request ids, metrics, health, body limits, clear errors."""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from joserfc.jwk import OKPKey
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backbone.conditional import ConditionalGets
from backbone.correlation import REQUEST_ID_HEADER, bind_request_id, clean_request_id
from backbone.db import CONNECTION_ERRORS
from backbone.deadletter_admin import dead_letter_router
from backbone.identity import InvalidIdentity, VerifiedTokens
from backbone.logs import get_logger
from backbone.metrics import HTTP_LATENCY, HTTP_REQUESTS, method_label
from backbone.runtime import Runtime

log = get_logger(__name__)


class RequestContext:
    """Binds the request id for the request's logs and events, returns it, and counts the request.

    Plain ASGI rather than BaseHTTPMiddleware: it runs on every request, and the wrapper's extra
    task and body streaming cost more than everything else this does.
    """

    def __init__(self, app: ASGIApp, service: str) -> None:
        self._app = app
        self._service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        rid = bind_request_id(clean_request_id(Headers(scope=scope).get(REQUEST_ID_HEADER)))
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = rid
            await send(message)

        try:
            await self._app(scope, receive, send_with_id)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            HTTP_REQUESTS.labels(self._service, method_label(scope["method"]), path, str(status)).inc()
            HTTP_LATENCY.labels(self._service, path).observe(time.perf_counter() - started)


# Reachable without an identity: probes and scraping only.
OPEN_PATHS = frozenset({"/livez", "/readyz", "/metrics"})


class IdentityRequired:
    """Refuses any request without an identity the gateway signed for this service."""

    def __init__(self, app: ASGIApp, service: str, key: OKPKey) -> None:
        self._app = app
        self._service = service
        self._tokens = VerifiedTokens(key=key, audience=service)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self._app(scope, receive, send)
            return
        auth = Headers(scope=scope).get("Authorization", "")
        if not auth.startswith("Bearer "):
            refusal = JSONResponse(
                status_code=401,
                content={"detail": "This service answers only requests that come through the gateway."},
            )
            await refusal(scope, receive, send)
            return
        try:
            identity = self._tokens.verify(auth[7:])
        except InvalidIdentity as exc:
            refusal = JSONResponse(status_code=401, content={"detail": f"The identity is not valid: {exc}."})
            await refusal(scope, receive, send)
            return
        scope.setdefault("state", {})["identity"] = identity
        await self._app(scope, receive, send)


def _size(limit: int) -> str:
    if limit >= 1_048_576:
        return f"{limit / 1_048_576:.1f} MB"
    return f"{limit // 1024} kB" if limit >= 1024 else f"{limit} bytes"


class RequestTooLarge(Exception):
    """Raised to the application when a streamed body passes its limit; the 413 is already sent."""


class BodyLimit:
    """Refuses request bodies over a limit with 413, before any form parsing, CSRF check or proxying.

    A declared Content-Length over the limit is refused at once, unread. A body without one (chunked)
    is counted as it streams; when it passes the limit the 413 goes out and the application's read
    fails, so no handler ever sees an oversized body.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, by_path: Mapping[str, int] | None = None) -> None:
        self._app = app
        self._max_bytes = max_bytes
        # Longest prefix first, so "/v1/imports" wins over "/v1".
        self._by_path = sorted((by_path or {}).items(), key=lambda item: len(item[0]), reverse=True)

    def limit_for(self, path: str) -> int:
        for prefix, limit in self._by_path:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return limit
        return self._max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(limit, headers)(scope, receive, send)
            return
        received = 0
        started = False
        refused = False

        async def counted_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    if not started and not refused:
                        refused = True
                        await _too_large(limit, headers)(scope, receive, send)
                    raise RequestTooLarge(f"the request body passed {limit} bytes")
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 is the answer; whatever the application says after it is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self._app(scope, counted_receive, guarded_send)
        except RequestTooLarge:
            if not refused:
                raise


def _too_large(limit: int, headers: Headers) -> Response:
    # The rest of the body is never read, so the connection cannot carry a next request: close it.
    close = {"Connection": "close"}
    # The gateway's pages are the only ones a browser posts to; everything else is an API client.
    if "text/html" in headers.get("accept", ""):
        return HTMLResponse(
            status_code=413,
            headers=close,
            content=(
                '<!doctype html><html lang="sv"><meta charset="utf-8"><title>För stort</title>'
                "<h1>Det du skickade är för stort</h1>"
                f"<p>Det får vara högst {_size(limit).replace('.', ',')}. "
                "Gå tillbaka och skicka en mindre fil eller kortare text.</p></html>"
            ),
        )
    return JSONResponse(
        status_code=413,
        content={"detail": f"The request body is too large: at most {_size(limit)}. Send less."},
        headers=close,
    )


def _field_message(err: dict[str, Any]) -> dict[str, str]:
    loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
    return {"field": ".".join(loc) or "(request)", "message": err.get("msg", "is not valid")}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_input(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_field_message(e) for e in exc.errors()]
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return JSONResponse(
            status_code=422,
            content={"detail": f"The request is not valid. {summary}", "errors": errors},
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(status_code=exc.status_code, content={"detail": exc.detail}, headers=exc.headers)

    async def unavailable(_request: Request, exc: Exception) -> JSONResponse:
        log.warning("dependency unavailable", error=str(exc))
        return JSONResponse(
            status_code=503,
            content={"detail": "The service cannot reach its database right now. Try again in a moment."},
            headers={"Retry-After": "2"},
        )

    for exc_type in CONNECTION_ERRORS:
        app.add_exception_handler(exc_type, unavailable)


def health_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/livez")
    async def livez() -> dict[str, str]:
        return {"status": "alive"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        # Besides the connections: a background loop that stopped turning, an outbox not emptied.
        report = await runtime.readiness_report()
        content = {"ready": report.ready, "checks": report.checks, "reasons": report.reasons}
        return JSONResponse(status_code=200 if report.ready else 503, content=content)

    @router.get("/metrics")
    async def metrics(request: Request) -> Response:
        token = runtime.settings.metrics_token
        given = request.headers.get("Authorization", "")
        if token and not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return JSONResponse(
                status_code=401, content={"detail": "Metrics need the metrics token: Authorization: Bearer …"}
            )
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def install_platform(
    app: FastAPI, runtime: Runtime, *, require_identity: bool = True, conditional_gets: bool = False
) -> None:
    """Request ids, metrics, body limits, error handlers and health endpoints, the same in every service.

    `conditional_gets`: ETags and 304s on GET answers (backbone.conditional). Only for a service whose
    migrations track every table its GETs read with backbone_track_data_version: an untracked table
    would let a 304 hide its changes.
    """
    settings = runtime.settings
    if conditional_gets:
        if not require_identity:
            raise RuntimeError("Conditional GETs key their ETags by the verified identity: require it.")
        # Added first, so it runs inside the identity check and sees who is asking.
        app.add_middleware(ConditionalGets, runtime=runtime)
    if require_identity:
        if settings.verifying_key is None:
            raise RuntimeError(
                f"{settings.env_name('identity_public_key')} is not set, so {settings.service_name} cannot "
                "check who is asking. Give it the gateway's public identity key (`make run` makes one "
                "under var/identity/)."
            )
        app.add_middleware(IdentityRequired, service=settings.service_name, key=settings.verifying_key)
    # Outside the identity check, so an oversized body is refused before anything else looks at it.
    app.add_middleware(
        BodyLimit, max_bytes=settings.max_request_bytes, by_path=settings.max_request_bytes_by_path
    )
    # Added last, so it runs first: every response, refusals included, carries the request id.
    app.add_middleware(RequestContext, service=runtime.settings.service_name)
    install_error_handlers(app)
    app.include_router(health_router(runtime))
    if require_identity:
        # Administrators see and replay this service's dead letters (the gateway gathers them).
        app.include_router(dead_letter_router(settings.service_name))
    app.state.runtime = runtime
