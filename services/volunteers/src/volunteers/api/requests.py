"""Routes for requests: asking a pool for people, what became of it, the ranked candidates with
their reasons, offers, direct bookings and cancellations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status

from volunteers import matching, offers, requests
from volunteers.api.deps import (
    ERRORS,
    ConnDep,
    ContextDep,
    Coordinator,
    Limit,
    Offset,
    Requester,
    request_viewer,
)
from volunteers.api.schemas import (
    AssignmentCancel,
    AssignmentCreate,
    CandidatesPublic,
    OffersSent,
    Page,
    RequestCancel,
    RequestCreate,
    RequestPublic,
    RequestSummary,
)
from volunteers.model import RequestStatus

router = APIRouter(prefix="/v1/requests", tags=["requests"], responses=ERRORS)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RequestPublic)
async def create_request(
    body: RequestCreate, conn: ConnDep, who: Requester, ctx: ContextDep
) -> RequestPublic:
    row = await requests.create_request(
        conn=conn,
        request=body.to_domain(),
        ctx=ctx,
        requested_by=who.subject,
        requested_by_name=who.name,
        offer_now=body.offer_now,
        requested_by_email=who.email,
        requested_by_language=who.language,
    )
    viewer = await request_viewer(conn, who)
    return RequestPublic.of(await requests.get_request(conn=conn, request_id=row["id"], viewer=viewer))


@router.get("", response_model=Page[RequestSummary])
async def list_requests(
    conn: ConnDep,
    who: Requester,
    status: RequestStatus | None = None,
    pool_id: uuid.UUID | None = None,
    starts_after: datetime | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[RequestSummary]:
    rows, total = await requests.list_requests(
        conn=conn,
        viewer=await request_viewer(conn, who),
        status=status,
        pool_id=pool_id,
        starts_after=starts_after,
        limit=limit,
        offset=offset,
    )
    return Page(items=[RequestSummary.of(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/{request_id}", response_model=RequestPublic)
async def read_request(request_id: uuid.UUID, conn: ConnDep, who: Requester) -> RequestPublic:
    row = await requests.get_request(conn=conn, request_id=request_id, viewer=await request_viewer(conn, who))
    return RequestPublic.of(row)


@router.get("/{request_id}/candidates", response_model=CandidatesPublic)
async def candidates(
    request_id: uuid.UUID,
    conn: ConnDep,
    who: Coordinator,
    ctx: ContextDep,
    limit: Limit = 50,
    offset: Offset = 0,
    excluded_limit: Limit = 50,
    excluded_offset: Offset = 0,
    reason: Annotated[str | None, Query(max_length=200, description="Only those excluded for it")] = None,
) -> CandidatesPublic:
    """Who may take it, in the order they are asked, and who may not; each with why. One page of
    each list (`limit`/`offset` for the ranked, `excluded_*` for the excluded, `reason` to list
    those excluded for one reason code), with the totals and how many are excluded for each reason."""
    page = matching.Page(limit, offset, excluded_limit, excluded_offset, reason)
    _row, result = await requests.match(
        conn=conn, request_id=request_id, viewer=await request_viewer(conn, who), ctx=ctx, page=page
    )
    return CandidatesPublic.of(request_id, result)


@router.post("/{request_id}/offers", response_model=OffersSent)
async def send_offers(request_id: uuid.UUID, conn: ConnDep, who: Coordinator, ctx: ContextDep) -> OffersSent:
    """Offer the free places to the next candidates (as many as free places times offers_per_place)."""
    await requests.require_coordinated(
        conn=conn, request_id=request_id, viewer=await request_viewer(conn, who)
    )
    return OffersSent(sent=await offers.offer_more(conn=conn, request_id=request_id, ctx=ctx))


@router.post("/{request_id}/assignments", status_code=status.HTTP_201_CREATED, response_model=RequestPublic)
async def assign(
    request_id: uuid.UUID, body: AssignmentCreate, conn: ConnDep, who: Coordinator, ctx: ContextDep
) -> RequestPublic:
    """Book a person directly (they said yes on the phone): the same rules as accepting an offer."""
    viewer = await request_viewer(conn, who)
    await requests.require_coordinated(conn=conn, request_id=request_id, viewer=viewer)
    await offers.assign(conn=conn, request_id=request_id, volunteer_id=body.volunteer_id, ctx=ctx)
    return RequestPublic.of(await requests.get_request(conn=conn, request_id=request_id, viewer=viewer))


@router.post("/{request_id}/assignments/{assignment_id}/cancel", response_model=RequestPublic)
async def cancel_assignment(
    request_id: uuid.UUID,
    assignment_id: uuid.UUID,
    body: AssignmentCancel,
    conn: ConnDep,
    who: Coordinator,
    ctx: ContextDep,
) -> RequestPublic:
    viewer = await request_viewer(conn, who)
    await requests.require_coordinated(conn=conn, request_id=request_id, viewer=viewer)
    await offers.cancel_by_staff(
        conn=conn, request_id=request_id, assignment_id=assignment_id, reason=body.reason, ctx=ctx
    )
    return RequestPublic.of(await requests.get_request(conn=conn, request_id=request_id, viewer=viewer))


@router.post("/{request_id}/cancel", response_model=RequestPublic)
async def cancel_request(
    request_id: uuid.UUID, body: RequestCancel, conn: ConnDep, who: Requester, ctx: ContextDep
) -> RequestPublic:
    """Call it off: the one who asked, or the pool's coordinator."""
    viewer = await request_viewer(conn, who)
    await requests.get_request(conn=conn, request_id=request_id, viewer=viewer)
    await offers.cancel_request(conn=conn, request_id=request_id, reason=body.reason, ctx=ctx)
    return RequestPublic.of(await requests.get_request(conn=conn, request_id=request_id, viewer=viewer))
