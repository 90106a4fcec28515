"""Routes for staff: events, their changes, publishing, cancelling and copying."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status

from events import events
from events.api.deps import ERRORS, ConnDep, ContextDep, Limit, Offset, Reader, ServiceZone, Staff, viewer
from events.api.schemas import (
    EventCancel,
    EventChangePublic,
    EventCopy,
    EventCreate,
    EventPublic,
    EventUpdate,
    Page,
)
from events.model import Status

router = APIRouter(prefix="/v1/events", tags=["events"], responses=ERRORS)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=EventPublic)
async def create_event(body: EventCreate, conn: ConnDep, _who: Staff, zone: ServiceZone) -> EventPublic:
    return EventPublic.of(await events.create_event(conn=conn, fields=body.fields(zone)))


@router.get("", response_model=Page[EventPublic])
async def list_events(
    conn: ConnDep,
    who: Reader,
    start: Annotated[datetime | None, Query(alias="from", description="Events not ended by then")] = None,
    status: Status | None = None,
    organisation_id: uuid.UUID | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[EventPublic]:
    rows, total = await events.list_events(
        conn=conn,
        start=start,
        status=status,
        organisation_id=organisation_id,
        limit=limit,
        offset=offset,
        viewer=viewer(who),
    )
    return Page(items=[EventPublic.of(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/{event_id}", response_model=EventPublic)
async def read_event(event_id: uuid.UUID, conn: ConnDep, who: Reader) -> EventPublic:
    row = await events.get_event(conn=conn, event_id=event_id, viewer=viewer(who))
    return EventPublic.of(await events.with_places(conn, row))


@router.patch("/{event_id}", response_model=EventPublic)
async def update_event(
    event_id: uuid.UUID, body: EventUpdate, conn: ConnDep, who: Staff, ctx: ContextDep
) -> EventPublic:
    row = await events.update_event(
        conn=conn,
        event_id=event_id,
        changes=body.changes(ctx.zone),
        version=body.version,
        by=who.subject,
        ctx=ctx,
    )
    return EventPublic.of(await events.with_places(conn, row))


@router.post("/{event_id}/publish", response_model=EventPublic)
async def publish_event(event_id: uuid.UUID, conn: ConnDep, who: Staff, ctx: ContextDep) -> EventPublic:
    row = await events.publish_event(conn=conn, event_id=event_id, by=who.subject, ctx=ctx)
    return EventPublic.of(await events.with_places(conn, row))


@router.post("/{event_id}/cancel", response_model=EventPublic)
async def cancel_event(
    event_id: uuid.UUID, body: EventCancel, conn: ConnDep, who: Staff, ctx: ContextDep
) -> EventPublic:
    row = await events.cancel_event(conn=conn, event_id=event_id, reason=body.reason, by=who.subject, ctx=ctx)
    return EventPublic.of(await events.with_places(conn, row))


@router.post("/{event_id}/copy", status_code=status.HTTP_201_CREATED, response_model=EventPublic)
async def copy_event(
    event_id: uuid.UUID, body: EventCopy, conn: ConnDep, _who: Staff, zone: ServiceZone
) -> EventPublic:
    return EventPublic.of(await events.copy_event(conn=conn, event_id=event_id, starts_at=body.start(zone)))


@router.get("/{event_id}/history", response_model=list[EventChangePublic])
async def event_history(event_id: uuid.UUID, conn: ConnDep, who: Reader) -> list[EventChangePublic]:
    rows = await events.history(conn=conn, event_id=event_id, viewer=viewer(who))
    return [EventChangePublic.model_validate(r) for r in rows]
