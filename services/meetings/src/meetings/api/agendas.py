"""Routes for a meeting's agenda."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from meetings import agendas
from meetings.api.deps import ERRORS, ConnDep, Reader, Staff, organisation_scope
from meetings.api.schemas import AgendaItemCreate, AgendaOrderUpdate, AgendaPublic

router = APIRouter(prefix="/v1/meetings/{meeting_id}/agenda", tags=["agenda"], responses=ERRORS)


@router.get("", response_model=AgendaPublic)
async def read_agenda(meeting_id: uuid.UUID, conn: ConnDep, who: Reader) -> AgendaPublic:
    """The agenda, with the open action items of the group's earlier meetings to follow up.

    A representative gets the items its own organisation's people own."""
    row = await agendas.get_agenda(conn=conn, meeting_id=meeting_id, scope=organisation_scope(who))
    return AgendaPublic.model_validate(row)


@router.post("/items", status_code=status.HTTP_201_CREATED, response_model=AgendaPublic)
async def add_item(meeting_id: uuid.UUID, body: AgendaItemCreate, conn: ConnDep, _who: Staff) -> AgendaPublic:
    row = await agendas.add_item(
        conn=conn, meeting_id=meeting_id, item=body.to_domain(), position=body.position
    )
    return AgendaPublic.model_validate(row)


@router.put("/items/{item_id}", response_model=AgendaPublic)
async def update_item(
    meeting_id: uuid.UUID, item_id: uuid.UUID, body: AgendaItemCreate, conn: ConnDep, _who: Staff
) -> AgendaPublic:
    row = await agendas.update_item(conn=conn, meeting_id=meeting_id, item_id=item_id, item=body.to_domain())
    return AgendaPublic.model_validate(row)


@router.delete("/items/{item_id}", response_model=AgendaPublic)
async def delete_item(meeting_id: uuid.UUID, item_id: uuid.UUID, conn: ConnDep, _who: Staff) -> AgendaPublic:
    return AgendaPublic.model_validate(
        await agendas.remove_item(conn=conn, meeting_id=meeting_id, item_id=item_id)
    )


@router.put("/order", response_model=AgendaPublic)
async def reorder(meeting_id: uuid.UUID, body: AgendaOrderUpdate, conn: ConnDep, _who: Staff) -> AgendaPublic:
    return AgendaPublic.model_validate(
        await agendas.reorder(conn=conn, meeting_id=meeting_id, item_ids=body.item_ids)
    )
