"""Bounces handed over whole: the raw message, as an MTA's pipe transport or a mailbox poller has it.

Anything may arrive here (a DSN, an out-of-office reply, a person answering): each is read and
either acted on or ignored with why, and answered 200 either way, so the sender does not try again
with a message that will never be more than ignored.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from backbone.access import SYSTEM, Capability, roles_with
from backbone.identity import Identity, require_roles
from notify import bounces
from notify.api.deps import ERRORS, ConnDep

router = APIRouter(prefix="/v1/bounces", tags=["deliveries"], responses=ERRORS)
# The relay's bounce handling (local tooling with the system identity), or an administrator by hand.
BounceReporter = Annotated[Identity, require_roles(*roles_with(Capability.ADMINISTER), SYSTEM)]


class BounceOutcome(BaseModel):
    outcome: bounces.Outcome
    detail: str
    recipient: str | None
    status: str | None
    email_id: str | None


class BounceAnswer(BaseModel):
    results: list[BounceOutcome]


@router.post(
    "",
    response_model=BounceAnswer,
    openapi_extra={"requestBody": {"content": {"message/rfc822": {"schema": {"type": "string"}}}}},
)
async def hand_over_bounce(request: Request, conn: ConnDep, _who: BounceReporter) -> BounceAnswer:
    """The raw message in the body (`Content-Type: message/rfc822`)."""
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
