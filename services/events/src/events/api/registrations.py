"""Routes for staff and organisation representatives: an event's registrations and waiting list,
registering people on their behalf (a representative: only their own organisation's)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from events import events, exports, registrations
from events.api.deps import (
    ERRORS,
    ConnDep,
    ContextDep,
    Limit,
    Offset,
    Reader,
    Registrar,
    manages_events,
    organisation_scope,
    viewer,
)
from events.api.schemas import (
    Page,
    RegistrationBatch,
    RegistrationOnBehalf,
    RegistrationPublic,
    RegistrationReceipt,
    RegistrationState,
    RegistrationSummary,
)

router = APIRouter(prefix="/v1/events/{event_id}/registrations", tags=["registrations"], responses=ERRORS)


def _receipt(r: registrations.Receipt | None) -> RegistrationReceipt:
    assert r is not None  # staff and representatives are told of a duplicate (a 409), never None
    reg = r.registration
    return RegistrationReceipt(
        id=reg["id"], event_id=reg["event_id"], status=reg["status"], cancel_token=r.cancel_token
    )


@router.get("", response_model=Page[RegistrationPublic])
async def list_registrations(
    event_id: uuid.UUID,
    conn: ConnDep,
    who: Registrar,
    status: str | None = None,
    organisation_id: uuid.UUID | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[RegistrationPublic]:
    # A representative learns nothing of events they may not see (drafts, others' staff events).
    await events.get_event(conn=conn, event_id=event_id, viewer=viewer(who))
    rows, total = await registrations.list_registrations(
        conn=conn,
        event_id=event_id,
        status=status,
        organisation_id=organisation_scope(who, organisation_id),
        limit=limit,
        offset=offset,
    )
    return Page(
        items=[RegistrationPublic.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.get("/export.csv", response_class=Response)
async def export_registrations(event_id: uuid.UUID, conn: ConnDep, who: Registrar) -> Response:
    """The registrations as CSV (UTF-8 with a BOM, so spreadsheets read å, ä and ö); a representative
    gets their own organisation's."""
    await events.get_event(conn=conn, event_id=event_id, viewer=viewer(who))
    text = await exports.registrations_csv(
        conn=conn, event_id=event_id, organisation_id=organisation_scope(who)
    )
    return Response(
        content="\ufeff" + text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="anmalningar-{event_id}.csv"'},
    )


@router.get("/summary", response_model=RegistrationSummary)
async def registration_summary(event_id: uuid.UUID, conn: ConnDep, who: Reader) -> RegistrationSummary:
    """Counts per status and per organisation; a representative's: their own organisation's only."""
    seen = viewer(who)
    await events.get_event(conn=conn, event_id=event_id, viewer=seen)
    own = None if seen.everything else organisation_scope(who)
    return RegistrationSummary.model_validate(
        await registrations.summary(conn=conn, event_id=event_id, organisation_id=own)
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RegistrationReceipt)
async def register_on_behalf(
    event_id: uuid.UUID, body: RegistrationOnBehalf, conn: ConnDep, who: Registrar, ctx: ContextDep
) -> RegistrationReceipt:
    representative = not manages_events(who)
    organisation = organisation_scope(who, body.organisation_id)
    receipt = await registrations.register(
        conn=conn,
        event_id=event_id,
        person=body.person(organisation),
        ctx=ctx,
        by=who.subject,
        # A representative registers for what the public may register for, and no more, and hears
        # of duplicates only among their own organisation's registrations.
        public=representative,
        duplicates=registrations.Duplicates(within=organisation if representative else None),
    )
    return _receipt(receipt)


@router.post("/batch", status_code=status.HTTP_201_CREATED, response_model=list[RegistrationReceipt])
async def register_many(
    event_id: uuid.UUID, body: RegistrationBatch, conn: ConnDep, who: Registrar, ctx: ContextDep
) -> list[RegistrationReceipt]:
    representative = not manages_events(who)
    organisation = organisation_scope(who, body.organisation_id)
    receipts = await registrations.register_many(
        conn=conn,
        event_id=event_id,
        people=[p.person(organisation) for p in body.people],
        ctx=ctx,
        by=who.subject,
        public=representative,
        duplicates_within=organisation if representative else None,
    )
    return [_receipt(r) for r in receipts]


@router.post("/{registration_id}/cancel", response_model=RegistrationState)
async def cancel_registration(
    event_id: uuid.UUID, registration_id: uuid.UUID, conn: ConnDep, who: Registrar, ctx: ContextDep
) -> RegistrationState:
    row = await registrations.cancel(
        conn=conn,
        registration_id=registration_id,
        ctx=ctx,
        event_id=event_id,
        organisation_scope=organisation_scope(who),
    )
    return RegistrationState.model_validate(row)
