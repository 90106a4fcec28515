"""Routes for hours: staff log and approve them; the volunteer proposes them from a signed link
(a GET shows the assignment and changes nothing, since mail scanners follow links; the POST from
the page's button proposes)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from volunteers import hours
from volunteers.api.deps import ERRORS, ConnDep, Coordinator, Limit, Offset, Visitor, scope_of
from volunteers.api.schemas import Page
from volunteers.api.schemas.work import (
    HoursApprove,
    HoursForVolunteer,
    HoursLinkIssued,
    HoursLinkView,
    HoursLog,
    HoursProposal,
    HoursProposed,
    HoursPublic,
    HoursReject,
)
from volunteers.api.work_deps import LinkContextDep

router = APIRouter(prefix="/v1", tags=["hours"], responses=ERRORS)
Token = Annotated[str, Query(min_length=1, max_length=2000)]

PROPOSED = "Tack! Dina timmar är skickade. Samordnaren godkänner dem, och sedan kommer de med i arvodet."


@router.post(
    "/assignments/{assignment_id}/hours", status_code=status.HTTP_201_CREATED, response_model=HoursPublic
)
async def log_hours(
    assignment_id: uuid.UUID, body: HoursLog, conn: ConnDep, who: Coordinator, ctx: LinkContextDep
) -> HoursPublic:
    """Staff log the hours of an assignment: approved at once, and announced."""
    scope = await scope_of(conn, who)
    row = await hours.log_hours(
        conn=conn, assignment_id=assignment_id, entry=body.to_domain(), scope=scope, by=who.subject, ctx=ctx
    )
    return HoursPublic.model_validate(await hours.get_hours(conn=conn, hours_id=row["id"], scope=scope))


@router.post("/assignments/{assignment_id}/hours-link", response_model=HoursLinkIssued)
async def issue_hours_link(
    assignment_id: uuid.UUID, conn: ConnDep, who: Coordinator, ctx: LinkContextDep
) -> HoursLinkIssued:
    """The link the volunteer proposes their hours with (`<public page>/…?token=<token>`)."""
    scope = await scope_of(conn, who)
    assignment = await hours.assignment_for_link(conn=conn, assignment_id=assignment_id, scope=scope)
    return HoursLinkIssued(
        token=hours.hours_link(assignment, ctx),
        expires_at=assignment["ends_at"] + timedelta(days=hours.PROPOSAL_DAYS),
    )


@router.get("/hours", response_model=Page[HoursPublic])
async def list_hours(
    conn: ConnDep,
    who: Coordinator,
    status_: Annotated[Literal["proposed", "approved", "rejected"] | None, Query(alias="status")] = None,
    volunteer_id: uuid.UUID | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[HoursPublic]:
    """Hours in the pools one works with, oldest first; `status=proposed` is the list to approve."""
    rows, total = await hours.list_hours(
        conn=conn,
        scope=await scope_of(conn, who),
        status=status_,
        volunteer_id=volunteer_id,
        limit=limit,
        offset=offset,
    )
    return Page(items=[HoursPublic.model_validate(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/hours/{hours_id}", response_model=HoursPublic)
async def read_hours(hours_id: uuid.UUID, conn: ConnDep, who: Coordinator) -> HoursPublic:
    return HoursPublic.model_validate(
        await hours.get_hours(conn=conn, hours_id=hours_id, scope=await scope_of(conn, who))
    )


@router.post("/hours/{hours_id}/approve", response_model=HoursPublic)
async def approve_hours(
    hours_id: uuid.UUID, body: HoursApprove, conn: ConnDep, who: Coordinator, ctx: LinkContextDep
) -> HoursPublic:
    scope = await scope_of(conn, who)
    await hours.approve_hours(
        conn=conn,
        hours_id=hours_id,
        scope=scope,
        by=who.subject,
        now=ctx.now,
        version=body.version,
        minutes=body.minutes,
    )
    return HoursPublic.model_validate(await hours.get_hours(conn=conn, hours_id=hours_id, scope=scope))


@router.post("/hours/{hours_id}/reject", response_model=HoursPublic)
async def reject_hours(
    hours_id: uuid.UUID, body: HoursReject, conn: ConnDep, who: Coordinator, ctx: LinkContextDep
) -> HoursPublic:
    scope = await scope_of(conn, who)
    await hours.reject_hours(
        conn=conn,
        hours_id=hours_id,
        reason=body.reason,
        scope=scope,
        by=who.subject,
        now=ctx.now,
        version=body.version,
    )
    return HoursPublic.model_validate(await hours.get_hours(conn=conn, hours_id=hours_id, scope=scope))


@router.get("/links/hours", response_model=HoursLinkView)
async def show_hours_link(token: Token, conn: ConnDep, _who: Visitor, ctx: LinkContextDep) -> HoursLinkView:
    """What the link is for and what was reported; changes nothing."""
    assignment, standing = await hours.look_up_link(conn=conn, token=token, ctx=ctx)
    return HoursLinkView(
        pool_name=assignment["pool_name"],
        starts_at=assignment["starts_at"],
        ends_at=assignment["ends_at"],
        timezone=ctx.zone.key,
        assignment_status=assignment["status"],
        reported=HoursForVolunteer.model_validate(standing) if standing else None,
    )


@router.post("/links/hours", status_code=status.HTTP_201_CREATED, response_model=HoursProposed)
async def propose_hours(
    body: HoursProposal, conn: ConnDep, _who: Visitor, ctx: LinkContextDep
) -> HoursProposed:
    row = await hours.propose_hours(conn=conn, token=body.token, entry=body.to_domain(), ctx=ctx)
    return HoursProposed(detail=PROPOSED, minutes=row["minutes"], status=row["status"])
