"""Routes for minutes: write, review, approve, publish, correct, read as JSON or as a page.

Concurrency: every minutes response carries an ETag; a change must send the `revision` it read
(409 when someone saved in between) and may send `If-Match` with the ETag (412 when it is stale).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Response, status
from fastapi.responses import HTMLResponse

from backbone.identity import Identity
from meetings import minutes, rendering
from meetings.api.deps import ERRORS, ConnDep, ErrorBody, Limit, Offset, Reader, Staff, sees_drafts
from meetings.api.schemas import (
    MinutesAction,
    MinutesCorrectionCreate,
    MinutesCreate,
    MinutesPublic,
    MinutesSummary,
    MinutesUpdate,
    MinutesVersion,
    Page,
)
from meetings.model import MinutesStatus

router = APIRouter(
    tags=["minutes"],
    responses={
        **ERRORS,
        412: {"model": ErrorBody, "description": "If-Match names an older revision: reload and try again"},
    },
)

IfMatch = Annotated[str | None, Header(description="The ETag you read; 412 if the minutes changed since")]


def etag(row: dict[str, Any]) -> str:
    return f'"{row["id"]}.{row["revision"]}"'


def _public(row: dict[str, Any], response: Response) -> MinutesPublic:
    response.headers["ETag"] = etag(row)
    return MinutesPublic.model_validate(row)


async def _check_if_match(conn: ConnDep, minutes_id: uuid.UUID, if_match: str | None) -> None:
    if if_match is None:
        return
    current = await minutes.get(conn=conn, minutes_id=minutes_id)
    if if_match.strip() not in (etag(current), f"W/{etag(current)}", "*"):
        raise HTTPException(
            status_code=status.HTTP_412_PRECONDITION_FAILED,
            detail="Someone else saved these minutes after you read them (the ETag no longer matches). "
            "Reload them, apply your change again and save.",
            headers={"ETag": etag(current)},
        )


@router.post(
    "/v1/meetings/{meeting_id}/minutes", status_code=status.HTTP_201_CREATED, response_model=MinutesPublic
)
async def start_minutes(
    meeting_id: uuid.UUID, body: MinutesCreate, conn: ConnDep, _who: Staff, response: Response
) -> MinutesPublic:
    row = await minutes.start(conn=conn, meeting_id=meeting_id, content=body.to_domain())
    return _public(row, response)


@router.get("/v1/meetings/{meeting_id}/minutes", response_model=MinutesPublic)
async def current_minutes(
    meeting_id: uuid.UUID, conn: ConnDep, who: Reader, response: Response
) -> MinutesPublic:
    """The newest version; readers other than staff get the newest published one."""
    row = await minutes.current_for_meeting(
        conn=conn, meeting_id=meeting_id, published_only=not sees_drafts(who)
    )
    return _public(row, response)


@router.get("/v1/meetings/{meeting_id}/minutes/versions", response_model=list[MinutesVersion])
async def minutes_versions(meeting_id: uuid.UUID, conn: ConnDep, who: Reader) -> list[MinutesVersion]:
    rows = await minutes.versions(conn=conn, meeting_id=meeting_id)
    if not sees_drafts(who):
        rows = [r for r in rows if r["status"] in ("published", "superseded")]
    return [MinutesVersion.model_validate(r) for r in rows]


@router.get("/v1/minutes", response_model=Page[MinutesSummary])
async def list_minutes(
    conn: ConnDep,
    who: Reader,
    status: MinutesStatus | None = None,
    group_id: uuid.UUID | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[MinutesSummary]:
    rows, total = await minutes.list_minutes(
        conn=conn,
        status=status,
        group_id=group_id,
        include_unpublished=sees_drafts(who),
        limit=limit,
        offset=offset,
    )
    return Page(
        items=[MinutesSummary.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.get("/v1/minutes/{minutes_id}", response_model=MinutesPublic)
async def read_minutes(
    minutes_id: uuid.UUID, conn: ConnDep, who: Reader, response: Response
) -> MinutesPublic:
    row = await minutes.get(conn=conn, minutes_id=minutes_id, published_only=not sees_drafts(who))
    return _public(row, response)


@router.put("/v1/minutes/{minutes_id}", response_model=MinutesPublic)
async def edit_minutes(
    minutes_id: uuid.UUID,
    body: MinutesUpdate,
    conn: ConnDep,
    _who: Staff,
    response: Response,
    if_match: IfMatch = None,
) -> MinutesPublic:
    await _check_if_match(conn, minutes_id, if_match)
    row = await minutes.edit(
        conn=conn,
        minutes_id=minutes_id,
        revision=body.revision,
        content=body.to_domain(),
        reviewed=body.reviewed,
    )
    return _public(row, response)


async def _act(
    action: str,
    minutes_id: uuid.UUID,
    body: MinutesAction,
    conn: ConnDep,
    response: Response,
    if_match: str | None,
    who: Identity,
) -> MinutesPublic:
    await _check_if_match(conn, minutes_id, if_match)
    row = await minutes.transition(
        conn=conn,
        minutes_id=minutes_id,
        revision=body.revision,
        action=action,
        actor=who.name or who.subject,
        approved_in_meeting_id=body.approved_in_meeting_id,
    )
    return _public(row, response)


@router.post("/v1/minutes/{minutes_id}/submit", response_model=MinutesPublic)
async def submit_minutes(
    minutes_id: uuid.UUID,
    body: MinutesAction,
    conn: ConnDep,
    who: Staff,
    response: Response,
    if_match: IfMatch = None,
) -> MinutesPublic:
    """draft → ready_for_review."""
    return await _act("submit", minutes_id, body, conn, response, if_match, who)


@router.post("/v1/minutes/{minutes_id}/return", response_model=MinutesPublic)
async def return_minutes(
    minutes_id: uuid.UUID,
    body: MinutesAction,
    conn: ConnDep,
    who: Staff,
    response: Response,
    if_match: IfMatch = None,
) -> MinutesPublic:
    """ready_for_review or approved → draft, e.g. when the reviewer asks for changes."""
    return await _act("return", minutes_id, body, conn, response, if_match, who)


@router.post("/v1/minutes/{minutes_id}/approve", response_model=MinutesPublic)
async def approve_minutes(
    minutes_id: uuid.UUID,
    body: MinutesAction,
    conn: ConnDep,
    who: Staff,
    response: Response,
    if_match: IfMatch = None,
) -> MinutesPublic:
    """ready_for_review → approved (at the next meeting, or by the chair)."""
    return await _act("approve", minutes_id, body, conn, response, if_match, who)


@router.post("/v1/minutes/{minutes_id}/publish", response_model=MinutesPublic)
async def publish_minutes(
    minutes_id: uuid.UUID,
    body: MinutesAction,
    conn: ConnDep,
    who: Staff,
    response: Response,
    if_match: IfMatch = None,
) -> MinutesPublic:
    """approved → published; from now on this version never changes."""
    return await _act("publish", minutes_id, body, conn, response, if_match, who)


@router.post(
    "/v1/minutes/{minutes_id}/corrections", status_code=status.HTTP_201_CREATED, response_model=MinutesPublic
)
async def correct_minutes(
    minutes_id: uuid.UUID, body: MinutesCorrectionCreate, conn: ConnDep, _who: Staff, response: Response
) -> MinutesPublic:
    """Start a corrected version (a new draft) of published minutes; the note says what changes."""
    return _public(await minutes.correct(conn=conn, minutes_id=minutes_id, note=body.note), response)


@router.get("/v1/minutes/{minutes_id}/html", response_class=HTMLResponse)
async def minutes_page(minutes_id: uuid.UUID, conn: ConnDep, who: Reader) -> HTMLResponse:
    """The minutes as an accessible HTML page (Swedish)."""
    page = await rendering.render_minutes(
        conn=conn, minutes_id=minutes_id, printable=False, published_only=not sees_drafts(who)
    )
    return HTMLResponse(page)


@router.get("/v1/minutes/{minutes_id}/print", response_class=HTMLResponse)
async def minutes_print(minutes_id: uuid.UUID, conn: ConnDep, who: Reader) -> HTMLResponse:
    """The minutes in the group's familiar printed shape."""
    page = await rendering.render_minutes(
        conn=conn, minutes_id=minutes_id, printable=True, published_only=not sees_drafts(who)
    )
    return HTMLResponse(page)
