"""Small summaries for the staff start page: certificates that run out soon, in the pools one coordinates."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from volunteers.api.deps import ERRORS, ConnDep, ContextDep, Coordinator, scope_of
from volunteers.sql_queries import q

router = APIRouter(prefix="/v1/summary", tags=["summary"], responses=ERRORS)


class ExpiringQualification(BaseModel):
    id: uuid.UUID
    volunteer_id: uuid.UUID
    volunteer_name: str
    key: str
    kind: str
    expires_on: date


class ExpiringQualifications(BaseModel):
    total: int
    until: date
    items: list[ExpiringQualification]


@router.get("/expiring", response_model=ExpiringQualifications)
async def expiring_qualifications(
    conn: ConnDep,
    who: Coordinator,
    ctx: ContextDep,
    days: Annotated[int, Query(ge=1, le=366, description="Ending within this many days")] = 30,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> ExpiringQualifications:
    """Trainings, agreements and certificates ending within `days` (the service's clock), soonest first."""
    today = ctx.now.astimezone(ctx.zone).date()
    until = today + timedelta(days=days)
    scope = await scope_of(conn, who)
    rows = await q.expiring_certificates.fetch(
        conn, today=today, until=until, pool_ids=scope.sql_pool_ids, limit=limit
    )
    total = rows[0]["total"] if rows else 0
    return ExpiringQualifications(
        total=total, until=until, items=[ExpiringQualification(**dict(r)) for r in rows]
    )
