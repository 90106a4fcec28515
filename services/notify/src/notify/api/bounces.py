"""Bounces handed over whole: the raw message, as an MTA's pipe transport or a mailbox poller has it.

Anything may arrive here (a DSN, an out-of-office reply, a person answering): each is read and
either acted on or ignored with why, and answered 200 either way, so the sender does not try again
with a message that will never be more than ignored.

Two ways in: an administrator by hand (an identity the gateway signed), or the bounce pipe with
its own credential, `NOTIFY_BOUNCE_TOKEN` (`BounceTokenDoor`). The pipe's host then holds nothing
that could sign an identity: the gateway's private key would let whoever reads it act as anyone
in every service, the token only hands over bounces.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from backbone.access import Capability, roles_with
from backbone.errors import install_rule_errors
from backbone.http import BodyLimit, RequestContext, install_error_handlers
from backbone.identity import Identity, require_roles
from backbone.runtime import Runtime
from notify import bounces
from notify.api.deps import ERRORS, ConnDep
from notify.settings import Settings

PATH = "/v1/bounces"
router = APIRouter(prefix=PATH, tags=["deliveries"], responses=ERRORS)
# The same route behind the bounce token's door (below): passing the door is the check.
token_router = APIRouter(prefix=PATH, tags=["deliveries"], responses=ERRORS)
# An administrator by hand; the pipe comes with the bounce token instead of an identity.
BounceReporter = Annotated[Identity, require_roles(*roles_with(Capability.ADMINISTER))]


class BounceOutcome(BaseModel):
    outcome: bounces.Outcome
    detail: str
    recipient: str | None
    status: str | None
    email_id: str | None


class BounceAnswer(BaseModel):
    results: list[BounceOutcome]


RAW_BODY = {"requestBody": {"content": {"message/rfc822": {"schema": {"type": "string"}}}}}


async def _hand_over(request: Request, conn: ConnDep) -> BounceAnswer:
    raw = await request.body()
    if not raw.strip():
        raise HTTPException(status_code=422, detail="Skicka hela meddelandet, som det kom, i anropets kropp.")
    settings = request.app.state.runtime.settings
    handled = await bounces.handle_report(
        conn, raw, message_key=settings.link_key, timeout=settings.bounce_parse_timeout_seconds
    )
    return BounceAnswer(
        results=[
            BounceOutcome(
                outcome=h.outcome,
                detail=h.detail,
                recipient=h.recipient,
                status=h.status,
                email_id=str(h.email_id) if h.email_id else None,
            )
            for h in handled
        ]
    )


@router.post("", response_model=BounceAnswer, openapi_extra=RAW_BODY)
async def hand_over_bounce(request: Request, conn: ConnDep, _who: BounceReporter) -> BounceAnswer:
    """The raw message in the body (`Content-Type: message/rfc822`); or with the bounce token."""
    return await _hand_over(request, conn)


@token_router.post("", response_model=BounceAnswer)
async def hand_over_bounce_with_token(request: Request, conn: ConnDep) -> BounceAnswer:
    return await _hand_over(request, conn)


class BounceTokenDoor:
    """Takes `POST /v1/bounces` with `Authorization: Bearer <NOTIFY_BOUNCE_TOKEN>` past the identity
    check, to an app that has that one route; every other request goes on to the service as it came.

    The token is compared in constant time. A bearer that is no JWT (no dots) on this path is a
    wrong token, refused here with what to do; elsewhere the token is no identity (401).
    """

    def __init__(self, app: ASGIApp, *, token: str, door: ASGIApp) -> None:
        self._app = app
        self._token = f"Bearer {token}".encode()
        self._door = door

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == PATH:
            given = Headers(scope=scope).get("Authorization", "")
            if hmac.compare_digest(given.encode(), self._token):
                await self._door(scope, receive, send)
                return
            if given.startswith("Bearer ") and given.count(".") != 2:
                refusal = JSONResponse(
                    status_code=401,
                    content={
                        "detail": "The bounce token is not right: send the value of NOTIFY_BOUNCE_TOKEN "
                        "as `Authorization: Bearer <token>` (notify.bounce_pipe --token-file)."
                    },
                )
                await refusal(scope, receive, send)
                return
        await self._app(scope, receive, send)


def install(app: FastAPI, runtime: Runtime, settings: Settings) -> None:
    """The route for administrators, and the bounce pipe's door in front of the whole app."""
    app.include_router(router)
    door = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    door.state.runtime = runtime
    install_error_handlers(door)
    install_rule_errors(door)
    door.include_router(token_router)
    # What install_platform puts around the service, but the identity check: the token is the check.
    door.add_middleware(
        BodyLimit, max_bytes=settings.max_request_bytes, by_path=settings.max_request_bytes_by_path
    )
    door.add_middleware(RequestContext, service=settings.service_name)
    app.add_middleware(BounceTokenDoor, token=settings.bounce_key, door=door)
