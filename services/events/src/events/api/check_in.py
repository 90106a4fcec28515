"""Routes for check-in at the door: find a person by name, check them in (once per nonce)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from events import check_in
from events.api.deps import ERRORS, ConnDep, ContextDep, Limit, Offset, Staff
from events.api.schemas import CheckInCreate, CheckInPublic, Page, RegistrationPublic
from events.registrations import list_registrations

router = APIRouter(prefix="/v1/events/{event_id}/check-in", tags=["check-in"], responses=ERRORS)


@router.get("/people", response_model=Page[RegistrationPublic])
async def find_people(
    event_id: uuid.UUID, conn: ConnDep, _who: Staff, name: str = "", limit: Limit = 20, offset: Offset = 0
) -> Page[RegistrationPublic]:
    """Those registered whose name holds `name` (any case), in queue order."""
    rows, total = await list_registrations(
        conn=conn,
        event_id=event_id,
        status="registered",
        organisation_id=None,
        limit=limit,
        offset=offset,
        name=name.strip() or None,
    )
    return Page(
        items=[RegistrationPublic.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.post("", response_model=CheckInPublic)
async def check_in_person(
    event_id: uuid.UUID, body: CheckInCreate, conn: ConnDep, who: Staff, ctx: ContextDep
) -> CheckInPublic:
    done = await check_in.check_in(
        conn=conn,
        event_id=event_id,
        registration_id=body.registration_id,
        nonce=body.nonce,
        by=who.subject,
        ctx=ctx,
    )
    reg = done.registration
    return CheckInPublic(
        registration_id=reg["id"], name=reg["name"], checked_in_at=reg["checked_in_at"], first=done.first
    )
