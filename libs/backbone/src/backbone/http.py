"""What every service's HTTP side has: request ids, metrics, health, and errors people understand."""

from __future__ import annotations

import hmac
import time
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backbone.correlation import REQUEST_ID_HEADER, bind_request_id, clean_request_id
from backbone.db import CONNECTION_ERRORS
from backbone.identity import InvalidIdentity, verify
from backbone.logs import get_logger
from backbone.metrics import HTTP_LATENCY, HTTP_REQUESTS
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
            HTTP_REQUESTS.labels(self._service, scope["method"], path, str(status)).inc()
            HTTP_LATENCY.labels(self._service, path).observe(time.perf_counter() - started)


# Reachable without an identity: probes and scraping only.
OPEN_PATHS = frozenset({"/livez", "/readyz", "/metrics"})


class IdentityRequired:
    """Refuses any request without an identity the gateway signed for this service."""

    def __init__(self, app: ASGIApp, service: str, key: str) -> None:
        self._app = app
        self._service = service
        self._key = key

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
            identity = verify(auth[7:], key=self._key, audience=self._service)
        except InvalidIdentity as exc:
            refusal = JSONResponse(status_code=401, content={"detail": f"The identity is not valid: {exc}."})
            await refusal(scope, receive, send)
            return
        scope.setdefault("state", {})["identity"] = identity
        await self._app(scope, receive, send)


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
        checks = await runtime.readiness()
        ok = all(checks.values())
        return JSONResponse(status_code=200 if ok else 503, content={"ready": ok, "checks": checks})

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


def install_platform(app: FastAPI, runtime: Runtime, *, require_identity: bool = True) -> None:
    """Request ids, metrics, error handlers and health endpoints, the same in every service."""
    if require_identity:
        app.add_middleware(
            IdentityRequired, service=runtime.settings.service_name, key=runtime.settings.gateway_signing_key
        )
    # Added last, so it runs first: every response, refusals included, carries the request id.
    app.add_middleware(RequestContext, service=runtime.settings.service_name)
    install_error_handlers(app)
    app.include_router(health_router(runtime))
    app.state.runtime = runtime
