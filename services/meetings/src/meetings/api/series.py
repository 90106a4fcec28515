"""Routes for meeting series: a recurrence that generates the group's meetings."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from meetings import scheduling
from meetings.api.deps import ERRORS, ConnDep, Limit, Offset, Reader, ServiceTimezone, Staff
from meetings.api.schemas import Page, SeriesCreate, SeriesPublic

router = APIRouter(prefix="/v1/series", tags=["series"], responses=ERRORS)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SeriesPublic)
async def create_series(
    body: SeriesCreate, conn: ConnDep, _who: Staff, timezone: ServiceTimezone
) -> SeriesPublic:
    row = await scheduling.create_series(conn=conn, new=body.to_domain(timezone=timezone))
    return SeriesPublic.model_validate(row)


@router.get("", response_model=Page[SeriesPublic])
async def list_series(
    conn: ConnDep, _who: Reader, group_id: uuid.UUID | None = None, limit: Limit = 50, offset: Offset = 0
) -> Page[SeriesPublic]:
    rows, total = await scheduling.list_series(conn=conn, group_id=group_id, limit=limit, offset=offset)
    return Page(items=[SeriesPublic.model_validate(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/{series_id}", response_model=SeriesPublic)
async def read_series(series_id: uuid.UUID, conn: ConnDep, _who: Reader) -> SeriesPublic:
    return SeriesPublic.model_validate(await scheduling.get_series(conn=conn, series_id=series_id))
