"""Routes for action items: assign at a meeting, change, close (often at a later meeting), list."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from backbone.errors import NotFound
from meetings import action_items
from meetings.api.deps import ERRORS, ConnDep, Limit, Offset, Reader, Staff, organisation_scope
from meetings.api.schemas import ActionItemClose, ActionItemCreate, ActionItemPublic, ActionItemUpdate, Page
from meetings.model import ActionStatus

router = APIRouter(tags=["action items"], responses=ERRORS)


@router.post(
    "/v1/meetings/{meeting_id}/action-items",
    status_code=status.HTTP_201_CREATED,
    response_model=ActionItemPublic,
)
async def assign_action_item(
    meeting_id: uuid.UUID, body: ActionItemCreate, conn: ConnDep, _who: Staff
) -> ActionItemPublic:
    row = await action_items.assign(conn=conn, meeting_id=meeting_id, item=body.to_domain())
    return ActionItemPublic.model_validate(row)


@router.get("/v1/action-items", response_model=Page[ActionItemPublic])
async def list_action_items(
    conn: ConnDep,
    who: Reader,
    status: ActionStatus | None = None,
    group_id: uuid.UUID | None = None,
    meeting_id: uuid.UUID | None = None,
    owner_person_id: uuid.UUID | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ActionItemPublic]:
    """Representatives see the items owned by people of their organisation."""
    rows, total = await action_items.list_items(
        conn=conn,
        status=status,
        group_id=group_id,
        meeting_id=meeting_id,
        owner_person_id=owner_person_id,
        organisation_id=organisation_scope(who),
        limit=limit,
        offset=offset,
    )
    return Page(
        items=[ActionItemPublic.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.get("/v1/action-items/{action_item_id}", response_model=ActionItemPublic)
async def read_action_item(action_item_id: uuid.UUID, conn: ConnDep, who: Reader) -> ActionItemPublic:
    row = await action_items.get(conn=conn, action_item_id=action_item_id)
    scope = organisation_scope(who)
    if scope is not None and row["owner_organisation_id"] != scope:
        raise NotFound(f"there is no action item with id {action_item_id}")
    return ActionItemPublic.model_validate(row)


@router.put("/v1/action-items/{action_item_id}", response_model=ActionItemPublic)
async def update_action_item(
    action_item_id: uuid.UUID, body: ActionItemUpdate, conn: ConnDep, _who: Staff
) -> ActionItemPublic:
    row = await action_items.update(
        conn=conn, action_item_id=action_item_id, version=body.version, item=body.to_domain()
    )
    return ActionItemPublic.model_validate(row)


@router.post("/v1/action-items/{action_item_id}/close", response_model=ActionItemPublic)
async def close_action_item(
    action_item_id: uuid.UUID, body: ActionItemClose, conn: ConnDep, _who: Staff
) -> ActionItemPublic:
    row = await action_items.close(
        conn=conn,
        action_item_id=action_item_id,
        version=body.version,
        status=body.status,
        closed_in_meeting_id=body.closed_in_meeting_id,
        note=body.note,
    )
    return ActionItemPublic.model_validate(row)
