"""Routes for the hourly fees of a pool and the days each applies."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from fastapi import APIRouter, Request, status

from volunteers import fees
from volunteers.api.deps import ERRORS, ConnDep, Coordinator, scope_of
from volunteers.api.schemas.work import FeeCreate, FeeEnd, FeePublic


def _today(request: Request) -> date:
    return datetime.now(UTC).astimezone(request.app.state.runtime.settings.zone).date()


router = APIRouter(prefix="/v1", tags=["fees"], responses=ERRORS)


@router.get("/pools/{pool_id}/fees", response_model=list[FeePublic])
async def list_fees(pool_id: uuid.UUID, conn: ConnDep, who: Coordinator) -> list[FeePublic]:
    rows = await fees.list_fees(conn=conn, pool_id=pool_id, scope=await scope_of(conn, who))
    return [FeePublic.model_validate(r) for r in rows]


@router.post("/pools/{pool_id}/fees", status_code=status.HTTP_201_CREATED, response_model=FeePublic)
async def add_fee(
    pool_id: uuid.UUID, body: FeeCreate, conn: ConnDep, who: Coordinator, request: Request
) -> FeePublic:
    """A new fee period; 409 with the reason when it overlaps one the pool has."""
    row = await fees.add_fee(
        conn=conn,
        pool_id=pool_id,
        fee=body.to_domain(),
        scope=await scope_of(conn, who),
        by=who.subject,
        today=_today(request),
    )
    return FeePublic.model_validate(row)


@router.patch("/fees/{fee_id}", response_model=FeePublic)
async def end_fee(
    fee_id: uuid.UUID, body: FeeEnd, conn: ConnDep, who: Coordinator, request: Request
) -> FeePublic:
    """Give a fee period its last day (a new amount is a new period after it)."""
    row = await fees.end_fee(
        conn=conn,
        fee_id=fee_id,
        valid_until=body.valid_until,
        scope=await scope_of(conn, who),
        today=_today(request),
    )
    return FeePublic.model_validate(row)
