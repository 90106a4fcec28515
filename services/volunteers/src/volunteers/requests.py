"""Requests for volunteers: created by staff over the API or by another service over the bus,
read by those who asked and by the pools' coordinators. Use cases on a connection, one transaction
each; what happens to the places is in offers.py."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from backbone import paging
from backbone.errors import NotFound, RuleError
from backbone.outbox import add_event
from volunteers import candidates, matching, offers
from volunteers import contracts as c
from volunteers.model import NewRequest, RequestSource, RequestStatus, RequestViewer, check_times
from volunteers.offers import Context
from volunteers.sql_queries import q

Row = dict[str, Any]


def _not_found(request_id: uuid.UUID) -> NotFound:
    return NotFound(f"Det finns ingen förfrågan med id {request_id}.")


async def create_request(
    *,
    conn: asyncpg.Connection,
    request: NewRequest,
    ctx: Context,
    requested_by: str,
    requested_by_name: str | None,
    source: RequestSource = "staff",
    source_ref: str | None = None,
    offer_now: bool = True,
    requested_by_email: str | None = None,
    requested_by_language: str | None = None,
) -> Row:
    """A new request, and (unless told not to) its first offers. A second ask with the same
    `source_ref` (a redelivered event) returns the first request and changes nothing.
    `requested_by_email`, `requested_by_language`: where to tell the one who asked that it is filled."""
    check_times(request.starts_at, request.ends_at)
    if request.starts_at <= ctx.now:
        raise RuleError("Starttiden har redan varit. Ange en tid i framtiden.")
    async with conn.transaction():
        pool = await q.lock_pool.fetchrow(conn, id=request.pool_id)
        if pool is None:
            raise NotFound(f"Det finns ingen pool med id {request.pool_id}.")
        if pool["status"] != "active":
            raise RuleError(f"Poolen ”{pool['name']}” är stängd och tar inte emot förfrågningar.")
        inserted = await q.insert_request.fetchrow(
            conn,
            id=uuid.uuid4(),
            pool_id=request.pool_id,
            seats=request.seats,
            starts_at=request.starts_at,
            ends_at=request.ends_at,
            place=request.place,
            area=request.area,
            language=request.language,
            needs=request.needs,
            unit=request.unit,
            offers_per_place=request.offers_per_place,
            requested_by=requested_by,
            requested_by_name=requested_by_name,
            requested_by_email=requested_by_email,
            requested_by_language=requested_by_language,
            source=source,
            source_ref=source_ref,
        )
        if inserted is None:
            existing = await q.get_request_by_source.fetchrow(conn, source=source, source_ref=source_ref)
            return dict(existing)
        row = await offers.locked_request(conn, inserted["id"])
        await add_event(
            conn,
            c.REQUEST_CREATED,
            c.RequestCreatedV1(
                **offers.about_request(row, ctx), seats=row["seats"], requested_by=requested_by
            ),
            aggregate_id=str(row["id"]),
        )
        if offer_now:
            await offers.send_offers(conn, row, ctx)
        return row


async def _visible(conn: asyncpg.Connection, request_id: uuid.UUID, viewer: RequestViewer) -> Row:
    row = await q.get_request.fetchrow(conn, id=request_id)
    if row is None or not viewer.sees(row["pool_id"], row["requested_by"]):
        raise _not_found(request_id)
    return dict(row)


async def get_request(*, conn: asyncpg.Connection, request_id: uuid.UUID, viewer: RequestViewer) -> Row:
    """The request with who has the places; with its offers too for the pool's coordinators."""
    row = await _visible(conn, request_id, viewer)
    assignments = [dict(a) for a in await q.assignments_of_request.fetch(conn, request_id=request_id)]
    if not viewer.sees_candidates(row["pool_id"]):
        # Why someone cancelled (often their health) is for the pool's coordinators only.
        for assignment in assignments:
            assignment["cancel_reason"] = None
    row["assignments"] = assignments
    row["taken"] = sum(1 for a in assignments if a["status"] != "cancelled")
    row["offers"] = (
        [dict(o) for o in await q.offers_of_request.fetch(conn, request_id=request_id)]
        if viewer.sees_candidates(row["pool_id"])
        else None
    )
    return row


async def list_requests(
    *,
    conn: asyncpg.Connection,
    viewer: RequestViewer,
    status: RequestStatus | None,
    pool_id: uuid.UUID | None,
    starts_after: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[Row], int]:
    scope = viewer.scope
    return await paging.fetch_page(
        conn,
        q.list_requests,
        pool_ids=scope.sql_pool_ids,
        requested_by=None if scope.everything else viewer.subject,
        status=status,
        pool_id=pool_id,
        starts_after=starts_after,
        limit=limit,
        offset=offset,
    )


async def match(
    *,
    conn: asyncpg.Connection,
    request_id: uuid.UUID,
    viewer: RequestViewer,
    ctx: Context,
    page: matching.Page = matching.Page(),
) -> tuple[Row, matching.Result]:
    """The ranked candidates and the excluded, each with why: for the pool's coordinators only."""
    row = await _visible(conn, request_id, viewer)
    if not viewer.sees_candidates(row["pool_id"]):
        raise _not_found(request_id)
    return row, await candidates.match_request(
        conn, row, zone=ctx.zone, window_days=ctx.window_days, page=page
    )


async def require_coordinated(
    *, conn: asyncpg.Connection, request_id: uuid.UUID, viewer: RequestViewer
) -> Row:
    """The request, if `viewer` coordinates its pool (offers and bookings are theirs)."""
    row = await _visible(conn, request_id, viewer)
    if not viewer.sees_candidates(row["pool_id"]):
        raise _not_found(request_id)
    return row
