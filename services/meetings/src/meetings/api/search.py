"""Route for full-text search over published minutes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from meetings import search
from meetings.api.deps import ERRORS, ConnDep, Limit, Offset, Reader
from meetings.api.schemas import Page, SearchHit

router = APIRouter(prefix="/v1/search", tags=["search"], responses=ERRORS)


@router.get("", response_model=Page[SearchHit])
async def search_minutes(
    conn: ConnDep,
    _who: Reader,
    q: Annotated[
        str, Query(min_length=1, max_length=300, description="Words to look for (Swedish stemming)")
    ],
    group_id: uuid.UUID | None = None,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Page[SearchHit]:
    hits, total = await search.search(
        conn=conn, text=q, group_id=group_id, start=start, end=end, limit=limit, offset=offset
    )
    return Page(items=[SearchHit.model_validate(h) for h in hits], total=total, limit=limit, offset=offset)
