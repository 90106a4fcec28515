"""Routes for the public side (the gateway's public pages): published events, registration without
an account, and the answers to personal links. Nobody's personal data is read here."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, status

from events import events, model, registrations
from events.api.deps import ERRORS, ConnDep, ContextDep, Limit, Offset, Visitor
from events.api.schemas import (
    EventPublic,
    LinkedRegistration,
    LinkLookup,
    LinkToken,
    Page,
    RegistrationCreate,
    RegistrationReceipt,
    RegistrationState,
)

router = APIRouter(prefix="/v1/public", tags=["public"], responses=ERRORS)


@router.get("/events", response_model=Page[EventPublic])
async def list_public_events(
    conn: ConnDep,
    _who: Visitor,
    start: Annotated[
        datetime | None, Query(alias="from", description="Events not ended by then; now by default")
    ] = None,
    organisation_id: uuid.UUID | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[EventPublic]:
    rows, total = await events.list_public_events(
        conn=conn,
        start=start or datetime.now(UTC),
        organisation_id=organisation_id,
        limit=limit,
        offset=offset,
    )
    return Page(items=[EventPublic.of(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/events/{event_id}", response_model=EventPublic)
async def read_public_event(event_id: uuid.UUID, conn: ConnDep, _who: Visitor) -> EventPublic:
    row = await events.get_public_event(conn=conn, event_id=event_id)
    return EventPublic.of(await events.with_places(conn, row))


@router.post(
    "/events/{event_id}/registrations",
    status_code=status.HTTP_201_CREATED,
    response_model=RegistrationReceipt,
)
async def register(
    event_id: uuid.UUID, body: RegistrationCreate, conn: ConnDep, who: Visitor, ctx: ContextDep
) -> RegistrationReceipt:
    model.check_honeypot(body.website)
    receipt = await registrations.register(
        conn=conn, event_id=event_id, person=body.person(), ctx=ctx, by=None, public=True
    )
    reg = receipt.registration
    return RegistrationReceipt(
        id=reg["id"], event_id=reg["event_id"], status=reg["status"], cancel_token=receipt.cancel_token
    )


@router.post("/registrations/cancel", response_model=RegistrationState)
async def cancel_by_link(body: LinkToken, conn: ConnDep, _who: Visitor, ctx: ContextDep) -> RegistrationState:
    row = await registrations.cancel_by_link(conn=conn, token=body.token, ctx=ctx)
    return RegistrationState.model_validate(row)


@router.post("/offers/confirm", response_model=RegistrationState)
async def confirm_offer(body: LinkToken, conn: ConnDep, _who: Visitor, ctx: ContextDep) -> RegistrationState:
    row = await registrations.answer_offer(conn=conn, token=body.token, accept=True, ctx=ctx)
    return RegistrationState.model_validate(row)


@router.post("/offers/decline", response_model=RegistrationState)
async def decline_offer(body: LinkToken, conn: ConnDep, _who: Visitor, ctx: ContextDep) -> RegistrationState:
    row = await registrations.answer_offer(conn=conn, token=body.token, accept=False, ctx=ctx)
    return RegistrationState.model_validate(row)


@router.post("/links/look-up", response_model=LinkedRegistration)
async def look_up_link(body: LinkLookup, conn: ConnDep, _who: Visitor, ctx: ContextDep) -> LinkedRegistration:
    """What a personal link is about, changing nothing: the page shows it before the person presses
    a button."""
    reg, event = await registrations.look_up(conn=conn, token=body.token, action=body.action, ctx=ctx)
    return LinkedRegistration(
        id=reg["id"],
        status=reg["status"],
        offer_expires_at=reg["offer_expires_at"],
        event=EventPublic.of(await events.with_places(conn, event)),
    )
