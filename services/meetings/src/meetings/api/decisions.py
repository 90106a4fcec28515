"""Routes for the decisions register: every decision of published minutes, across meetings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from meetings import minutes
from meetings.api.deps import ERRORS, ConnDep, Limit, Offset, Reader
from meetings.api.schemas import DecisionEntry, Page

router = APIRouter(prefix="/v1/decisions", tags=["decisions"], responses=ERRORS)


@router.get("", response_model=Page[DecisionEntry])
async def list_decisions(
    conn: ConnDep,
    _who: Reader,
    group_id: uuid.UUID | None = None,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
    text: Annotated[str | None, Query(description="Part of the decision's text")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[DecisionEntry]:
    rows, total = await minutes.decisions_register(
        conn=conn, group_id=group_id, start=start, end=end, text=text, limit=limit, offset=offset
    )
    return Page(
        items=[DecisionEntry.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )
