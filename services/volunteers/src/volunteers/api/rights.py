"""Routes for rights requests (export, erasure): the administrator starts them and sees where each
stands, service by service; the export is fetched as one JSON document."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, status

from volunteers import rights
from volunteers.api.deps import ERRORS, ConnDep, Limit, Manager, Offset
from volunteers.api.schemas import Page
from volunteers.api.schemas.work import RightsCreate, RightsRequestPublic, RightsRequestSummary

router = APIRouter(prefix="/v1/rights/requests", tags=["rights"], responses=ERRORS)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RightsRequestPublic)
async def request_rights(
    body: RightsCreate, request: Request, conn: ConnDep, who: Manager
) -> RightsRequestPublic:
    """Export or erase everything about a volunteer: done here at once, asked of the other services
    named in VOLUNTEERS_RIGHTS_SERVICES over the bus; complete when all have answered."""
    settings = request.app.state.runtime.settings
    row = await rights.request_rights(
        conn=conn,
        kind=body.kind,
        volunteer_id=body.volunteer_id,
        services=settings.rights_service_names,
        by=who.subject,
        now=datetime.now(UTC),
    )
    return RightsRequestPublic.model_validate(await rights.get_request(conn=conn, request_id=row["id"]))


@router.get("", response_model=Page[RightsRequestSummary])
async def list_requests(
    conn: ConnDep,
    _who: Manager,
    status_: Annotated[Literal["waiting", "complete", "failed"] | None, Query(alias="status")] = None,
    volunteer_id: uuid.UUID | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[RightsRequestSummary]:
    rows, total = await rights.list_requests(
        conn=conn, status=status_, volunteer_id=volunteer_id, limit=limit, offset=offset
    )
    return Page(
        items=[RightsRequestSummary.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.get("/{request_id}", response_model=RightsRequestPublic)
async def read_request(request_id: uuid.UUID, conn: ConnDep, _who: Manager) -> RightsRequestPublic:
    return RightsRequestPublic.model_validate(await rights.get_request(conn=conn, request_id=request_id))


@router.get("/{request_id}/export")
async def read_export(request_id: uuid.UUID, conn: ConnDep, _who: Manager) -> dict[str, Any]:
    """Every answered service's part, by service; `complete` says whether all have answered."""
    return await rights.export_document(conn=conn, request_id=request_id)


@router.post("/{request_id}/retry", response_model=RightsRequestPublic)
async def retry_request(request_id: uuid.UUID, conn: ConnDep, _who: Manager) -> RightsRequestPublic:
    """Ask the services that could not do their part again; the request waits for them anew."""
    row = await rights.retry_request(conn=conn, request_id=request_id, now=datetime.now(UTC))
    return RightsRequestPublic.model_validate(row)
