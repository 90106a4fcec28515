"""Routes for help needed at an event: staff ask a volunteers pool for people; readers see the asks."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from events import events, helpers
from events.api.deps import ERRORS, ConnDep, ContextDep, Reader, Staff, viewer
from events.api.schemas import HelpRequestCreate, HelpRequestPublic

router = APIRouter(prefix="/v1/events/{event_id}/helpers", tags=["helpers"], responses=ERRORS)


@router.get("", response_model=list[HelpRequestPublic])
async def list_help_requests(event_id: uuid.UUID, conn: ConnDep, who: Reader) -> list[HelpRequestPublic]:
    await events.get_event(conn=conn, event_id=event_id, viewer=viewer(who))
    rows = await helpers.help_requests(conn=conn, event_id=event_id)
    return [HelpRequestPublic.model_validate(r) for r in rows]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=HelpRequestPublic)
async def request_helpers(
    event_id: uuid.UUID, body: HelpRequestCreate, conn: ConnDep, who: Staff, ctx: ContextDep
) -> HelpRequestPublic:
    row = await helpers.request_helpers(
        conn=conn, event_id=event_id, ask=body.ask(ctx.zone), by=who.subject, ctx=ctx
    )
    return HelpRequestPublic.model_validate(row)
