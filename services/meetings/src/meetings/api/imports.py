"""Routes for importing old minutes: parse into a draft for review, read it, save the review."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from meetings import importing
from meetings.api.deps import ERRORS, ConnDep, Limit, Offset, Staff
from meetings.api.schemas import ImportCreate, ImportPublic, ImportReview, ImportSummary, Page

router = APIRouter(prefix="/v1/imports", tags=["imports"], responses=ERRORS)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ImportPublic)
async def import_minutes(body: ImportCreate, conn: ConnDep, _who: Staff) -> ImportPublic:
    """Parse a minutes text into a draft meeting whose minutes need review; never published directly."""
    row = await importing.import_text(
        conn=conn, text=body.text, year=body.year, source_name=body.source_name, group_id=body.group_id
    )
    return ImportPublic.model_validate(row)


@router.get("", response_model=Page[ImportSummary])
async def list_imports(
    conn: ConnDep, _who: Staff, status: str | None = None, limit: Limit = 50, offset: Offset = 0
) -> Page[ImportSummary]:
    rows, total = await importing.list_imports(conn=conn, status=status, limit=limit, offset=offset)
    return Page(
        items=[ImportSummary.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.get("/{import_id}", response_model=ImportPublic)
async def read_import(import_id: uuid.UUID, conn: ConnDep, _who: Staff) -> ImportPublic:
    return ImportPublic.model_validate(await importing.get_import(conn=conn, import_id=import_id))


@router.put("/{import_id}", response_model=ImportPublic)
async def save_review(import_id: uuid.UUID, body: ImportReview, conn: ConnDep, _who: Staff) -> ImportPublic:
    """Save the corrected structure; the minutes stay a draft, now marked as reviewed."""
    reviewed = body.model_dump(exclude={"version", "group_id"})
    row = await importing.save_review(
        conn=conn, import_id=import_id, version=body.version, reviewed=reviewed, group_id=body.group_id
    )
    return ImportPublic.model_validate(row)
