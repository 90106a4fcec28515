"""Route for working-group reports across published minutes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from meetings import minutes
from meetings.api.deps import ERRORS, ConnDep, Limit, Offset, Reader
from meetings.api.schemas import Page, WorkingGroupReport

router = APIRouter(prefix="/v1/working-group-reports", tags=["minutes"], responses=ERRORS)


@router.get("", response_model=Page[WorkingGroupReport])
async def list_reports(
    conn: ConnDep,
    _who: Reader,
    working_group_id: uuid.UUID | None = None,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[WorkingGroupReport]:
    rows, total = await minutes.working_group_reports(
        conn=conn, working_group_id=working_group_id, start=start, end=end, limit=limit, offset=offset
    )
    return Page(
        items=[WorkingGroupReport.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )
