"""The delivery log for staff: search, one email with its attempts, what is failing now, bounces."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from backbone.access import SYSTEM, Capability, roles_with
from backbone.identity import Identity, require_roles
from notify import bounces, deliveries
from notify.api.deps import ERRORS, ConnDep, Limit, Offset, ServiceZone
from notify.api.schemas import (
    BouncedAddressClear,
    BouncedAddressPublic,
    BounceReport,
    DeliveryDetail,
    DeliveryPublic,
    FailingNow,
    Page,
    State,
)

router = APIRouter(prefix="/v1/deliveries", tags=["deliveries"], responses=ERRORS)
bounced_router = APIRouter(prefix="/v1/bounced-addresses", tags=["deliveries"], responses=ERRORS)
# The log names every address and subject, volunteers' offers and people's registrations among
# them: for the administrators who look after the mail, not for everyone who runs meetings.
Administrator = Annotated[Identity, require_roles(*roles_with(Capability.ADMINISTER))]
# Bounces come from the relay's bounce handling too (local tooling, the system identity).
BounceReporter = Annotated[Identity, require_roles(*roles_with(Capability.ADMINISTER), SYSTEM)]
# A shorter start of an address finds half the log; the page says so beside the field.
MIN_RECIPIENT = 3
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)


def _invalid(message: str) -> HTTPException:
    return HTTPException(status_code=422, detail=message)


def _day_start(day: date | None, zone: ServiceZone) -> datetime | None:
    return datetime.combine(day, time(0), tzinfo=zone) if day else None


@router.get("", response_model=Page[DeliveryPublic])
async def search_deliveries(
    conn: ConnDep,
    _admin: Administrator,
    zone: ServiceZone,
    recipient: Annotated[str | None, Query(max_length=320, description="The start of the address")] = None,
    cause_event_id: Annotated[uuid.UUID | None, Query(description="The event that caused the email")] = None,
    since: Annotated[date | None, Query(alias="from", description="Queued on or after this day")] = None,
    until: Annotated[date | None, Query(alias="to", description="Queued on or before this day")] = None,
    state: State | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[DeliveryPublic]:
    """Newest first; days are read on the service's clock (NOTIFY_TIMEZONE). The total counts up to
    `deliveries.MAX_MATCHES`: narrow the search to see beyond it."""
    recipient = recipient.strip() if recipient else None
    if recipient is not None and len(recipient) < MIN_RECIPIENT:
        raise _invalid(f"Skriv minst {MIN_RECIPIENT} tecken av adressen för att söka på den.")
    for day in (since, until):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise _invalid(f"Dagen måste ligga mellan år {FIRST_DAY.year} och {LAST_DAY.year}.")
    if offset + limit > deliveries.MAX_MATCHES:
        raise _invalid(
            f"Det går att bläddra bland de {deliveries.MAX_MATCHES} senaste träffarna. "
            "Gör sökningen smalare, till exempel med en dag eller en adress."
        )
    rows, total = await deliveries.search(
        conn,
        search=deliveries.Search(
            recipient=recipient or None,
            cause_event_id=cause_event_id,
            since=_day_start(since, zone),
            until=_day_start(until + timedelta(days=1) if until else None, zone),
            state=state,
        ),
        limit=limit,
        offset=offset,
    )
    return Page(items=[DeliveryPublic(**r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/failing", response_model=FailingNow)
async def failing_now(conn: ConnDep, _admin: Administrator) -> FailingNow:
    return FailingNow(**await deliveries.failing_now(conn))


@router.get("/{email_id}", response_model=DeliveryDetail)
async def get_delivery(conn: ConnDep, _admin: Administrator, email_id: uuid.UUID) -> DeliveryDetail:
    entry = await deliveries.delivery(conn, email_id=email_id)
    bounced = await bounces.bounced_address(conn, address=entry["recipient"])
    return DeliveryDetail(**entry, address_bounced=BouncedAddressPublic(**bounced) if bounced else None)


@router.post("/bounces", response_model=DeliveryPublic)
async def report_bounce(conn: ConnDep, _who: BounceReporter, body: BounceReport) -> DeliveryPublic:
    """A bounce for an email the relay took (from the relay's bounce handling, or by hand)."""
    email_id = await deliveries.record_bounce(conn, message_id=body.message_id, reason=body.reason)
    detail = await deliveries.delivery(conn, email_id=email_id)
    return DeliveryPublic(**detail)


@bounced_router.post("/clear", response_model=BouncedAddressPublic)
async def clear_bounced_address(
    conn: ConnDep, admin: Administrator, body: BouncedAddressClear
) -> BouncedAddressPublic:
    """Bulk mail to the address goes again (the address in the body, so it stays out of URLs and the
    gateway's audit log, which records who cleared one and when). 404 if it has no bounce on record."""
    cleared = await bounces.clear_bounced_address(conn, address=body.address, by=admin.subject)
    return BouncedAddressPublic(**cleared)
