"""Routes for importing old minutes: parse into a draft for review, read it, save the review."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException, Request, status

from meetings import importing
from meetings.api.deps import ERRORS, ConnDep, Limit, Offset, ServiceTimezone, Staff
from meetings.api.schemas import ImportCreate, ImportPublic, ImportSummary, ImportUpdate, Page

router = APIRouter(prefix="/v1/imports", tags=["imports"], responses=ERRORS)


# A stored document keeps the fields its parse or review gave it (see `meetings.importer.result`): the
# reply shows those, rather than nulls for what a review adds and the parser never says.
@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ImportPublic,
    response_model_exclude_unset=True,
)
async def import_minutes(
    body: ImportCreate, request: Request, _who: Staff, timezone: ServiceTimezone
) -> ImportPublic:
    """Parse a minutes text into a draft meeting whose minutes need review; never published directly."""
    # Parse first and take a connection only to store the result: no ConnDep here, which would
    # hold a connection through the wait for a parser thread and the parse itself.
    try:
        parsed = await importing.parse_upload(text=body.text, year=body.year, source_name=body.source_name)
    except importing.ParserBusy as busy:
        raise HTTPException(
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            detail=str(busy),
            headers={"Retry-After": str(importing.BUSY_RETRY_SECONDS)},
        ) from None
    async with request.app.state.runtime.pool.acquire() as conn:
        row = await importing.store_import(
            conn=conn,
            parsed=parsed,
            text=body.text,
            year=body.year,
            source_name=body.source_name,
            timezone=timezone,
            group_id=body.group_id,
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


@router.get("/{import_id}", response_model=ImportPublic, response_model_exclude_unset=True)
async def read_import(import_id: uuid.UUID, conn: ConnDep, _who: Staff) -> ImportPublic:
    return ImportPublic.model_validate(await importing.get_import(conn=conn, import_id=import_id))


@router.put("/{import_id}", response_model=ImportPublic, response_model_exclude_unset=True)
async def save_review(
    import_id: uuid.UUID, body: ImportUpdate, conn: ConnDep, _who: Staff, timezone: ServiceTimezone
) -> ImportPublic:
    """Save the corrected structure; the minutes stay a draft, now marked as reviewed."""
    row = await importing.save_review(
        conn=conn,
        import_id=import_id,
        version=body.version,
        reviewed=body.to_domain(),
        group_id=body.group_id,
        timezone=timezone,
    )
    return ImportPublic.model_validate(row)
