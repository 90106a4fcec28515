"""Routes for an event's programme: staff edit it; anyone reads a public event's programme."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from events import events, programme
from events.api.deps import ERRORS, ConnDep, Reader, ServiceZone, Staff, Visitor, viewer
from events.api.schemas import (
    ProgrammeItemCreate,
    ProgrammeItemForVisitors,
    ProgrammeItemPublic,
    ProgrammeItemUpdate,
)

router = APIRouter(tags=["programme"], responses=ERRORS)


@router.get("/v1/events/{event_id}/programme", response_model=list[ProgrammeItemPublic])
async def read_programme(event_id: uuid.UUID, conn: ConnDep, who: Reader) -> list[ProgrammeItemPublic]:
    await events.get_event(conn=conn, event_id=event_id, viewer=viewer(who))
    rows = await programme.programme(conn=conn, event_id=event_id)
    return [ProgrammeItemPublic.model_validate(r) for r in rows]


@router.get("/v1/public/events/{event_id}/programme", response_model=list[ProgrammeItemForVisitors])
async def read_public_programme(
    event_id: uuid.UUID, conn: ConnDep, _who: Visitor
) -> list[ProgrammeItemForVisitors]:
    """The programme as anyone sees it: without staff notes and who is responsible."""
    await events.get_public_event(conn=conn, event_id=event_id)
    rows = await programme.programme(conn=conn, event_id=event_id)
    return [ProgrammeItemForVisitors.model_validate(r) for r in rows]


@router.post(
    "/v1/events/{event_id}/programme",
    status_code=status.HTTP_201_CREATED,
    response_model=ProgrammeItemPublic,
)
async def add_programme_item(
    event_id: uuid.UUID, body: ProgrammeItemCreate, conn: ConnDep, _who: Staff, zone: ServiceZone
) -> ProgrammeItemPublic:
    row = await programme.add_item(conn=conn, event_id=event_id, item=body.fields(zone))
    return ProgrammeItemPublic.model_validate(row)


@router.patch("/v1/events/{event_id}/programme/{item_id}", response_model=ProgrammeItemPublic)
async def update_programme_item(
    event_id: uuid.UUID,
    item_id: uuid.UUID,
    body: ProgrammeItemUpdate,
    conn: ConnDep,
    _who: Staff,
    zone: ServiceZone,
) -> ProgrammeItemPublic:
    row = await programme.update_item(
        conn=conn, event_id=event_id, item_id=item_id, changes=body.changes(zone)
    )
    return ProgrammeItemPublic.model_validate(row)


@router.delete("/v1/events/{event_id}/programme/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_programme_item(
    event_id: uuid.UUID, item_id: uuid.UUID, conn: ConnDep, _who: Staff
) -> Response:
    await programme.remove_item(conn=conn, event_id=event_id, item_id=item_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
