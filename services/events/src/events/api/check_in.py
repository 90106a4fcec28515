"""Routes for check-in at the door: find a person by name, check them in (once per nonce), and add
walk-ins."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from events import check_in
from events.api.deps import ERRORS, ConnDep, ContextDep, Limit, Offset, Staff
from events.api.schemas import CheckInCreate, CheckInPublic, Page, RegistrationPublic, WalkInCreate
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
    return _public(done)


def _public(done: check_in.CheckIn) -> CheckInPublic:
    reg = done.registration
    return CheckInPublic(
        registration_id=reg["id"],
        name=reg["name"],
        checked_in_at=reg["checked_in_at"],
        first=done.first,
        walk_in=reg["walk_in"],
        beyond_capacity=reg["beyond_capacity"],
    )


@router.post(
    "/walk-ins",
    status_code=status.HTTP_201_CREATED,
    response_model=CheckInPublic,
    responses={200: {"model": CheckInPublic, "description": "A retry: the person was added already"}},
)
async def add_walk_in(
    event_id: uuid.UUID, body: WalkInCreate, conn: ConnDep, who: Staff, ctx: ContextDep, response: Response
) -> CheckInPublic:
    """Someone who did not register, added and checked in; 201 the first time, 200 for a retry."""
    done = await check_in.walk_in(
        conn=conn,
        event_id=event_id,
        person=body.person(),
        nonce=body.nonce,
        beyond_capacity=body.beyond_capacity,
        by=who.subject,
        ctx=ctx,
    )
    if not done.first:
        response.status_code = status.HTTP_200_OK
    return _public(done)
