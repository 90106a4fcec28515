"""The delivery log for staff: search, one email with its attempts, what is failing now, bounces."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from notify import deliveries
from notify.api.deps import ERRORS, ConnDep, Limit, Offset, ServiceZone, Staff
from notify.api.schemas import BounceReport, DeliveryDetail, DeliveryPublic, FailingNow, Page, State

router = APIRouter(prefix="/v1/deliveries", tags=["deliveries"], responses=ERRORS)


def _day_start(day: date | None, zone: ServiceZone) -> datetime | None:
    return datetime.combine(day, time(0), tzinfo=zone) if day else None


@router.get("", response_model=Page[DeliveryPublic])
async def search_deliveries(
    conn: ConnDep,
    _staff: Staff,
    zone: ServiceZone,
    recipient: Annotated[str | None, Query(max_length=320, description="The start of the address")] = None,
    cause_event_id: Annotated[uuid.UUID | None, Query(description="The event that caused the email")] = None,
    since: Annotated[date | None, Query(alias="from", description="Queued on or after this day")] = None,
    until: Annotated[date | None, Query(alias="to", description="Queued on or before this day")] = None,
    state: State | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[DeliveryPublic]:
    """Newest first; days are read on the service's clock (NOTIFY_TIMEZONE)."""
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
async def failing_now(conn: ConnDep, _staff: Staff) -> FailingNow:
    return FailingNow(**await deliveries.failing_now(conn))


@router.get("/{email_id}", response_model=DeliveryDetail)
async def get_delivery(conn: ConnDep, _staff: Staff, email_id: uuid.UUID) -> DeliveryDetail:
    return DeliveryDetail(**await deliveries.delivery(conn, email_id=email_id))


@router.post("/bounces", response_model=DeliveryPublic)
async def report_bounce(conn: ConnDep, _staff: Staff, body: BounceReport) -> DeliveryPublic:
    """A bounce for an email the relay took (from the relay's bounce handling, or by hand)."""
    email_id = await deliveries.record_bounce(conn, message_id=body.message_id, reason=body.reason)
    detail = await deliveries.delivery(conn, email_id=email_id)
    return DeliveryPublic(**detail)
