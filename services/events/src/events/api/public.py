"""Routes for the public side (the gateway's public pages): published events, registration without
an account, and the answers to personal links. Nobody's personal data is read here."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from events import events, model, registrations
from events.api.deps import ERRORS, ConnDep, ContextDep, Limit, Offset, Visitor
from events.api.schemas import (
    EventForVisitors,
    LinkedEvent,
    LinkedRegistration,
    LinkLookup,
    LinkToken,
    Page,
    RegistrationCreate,
    RegistrationReceived,
    RegistrationState,
)
from events.registration_desk import RegistrationDesk

router = APIRouter(prefix="/v1/public", tags=["public"], responses=ERRORS)


@router.get("/events", response_model=Page[EventForVisitors])
async def list_public_events(
    conn: ConnDep,
    _who: Visitor,
    start: Annotated[
        datetime | None, Query(alias="from", description="Events not ended by then; now by default")
    ] = None,
    organisation_id: uuid.UUID | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[EventForVisitors]:
    rows, total = await events.list_public_events(
        conn=conn,
        start=start or datetime.now(UTC),
        organisation_id=organisation_id,
        limit=limit,
        offset=offset,
    )
    return Page(items=[EventForVisitors.of(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/events/{event_id}", response_model=EventForVisitors)
async def read_public_event(event_id: uuid.UUID, conn: ConnDep, _who: Visitor) -> EventForVisitors:
    row = await events.get_public_event(conn=conn, event_id=event_id)
    return EventForVisitors.of(await events.with_places(conn, row))


RECEIVED = (
    "Tack! Vi har tagit emot din anmälan. Du får ett mejl (eller sms) med besked om du har fått en plats "
    "eller står på väntelistan, och en länk för att avboka. Kommer inget, titta i skräpposten."
)


@router.post(
    "/events/{event_id}/registrations",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RegistrationReceived,
)
async def register(
    event_id: uuid.UUID, body: RegistrationCreate, request: Request, _who: Visitor
) -> RegistrationReceived:
    """The same answer whether the person was registered now, was registered already (nothing new
    is stored), or is a robot that filled in the hidden field (nothing is stored): the answer must
    tell nobody whether an address is registered. Refusals about the event itself (not open yet,
    closed, cancelled) are still told: they say nothing about a person.

    No connection of its own: the desk writes the registrations that arrive together in one
    transaction (events.registration_desk), and answers each once that has committed."""
    # A robot learns nothing from the answer, so it has nothing to adjust.
    if not model.filled_honeypot(body.website):
        desk: RegistrationDesk = request.app.state.registration_desk
        await desk.register(event_id, body.person())
    return RegistrationReceived(event_id=event_id, detail=RECEIVED)


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
        event=LinkedEvent.model_validate(event),
    )
