"""Composite reads: what one staff page shows, in one answer instead of one call per part.

Each part is read by the same use case, with the same organisation scope, as its own route, so a
representative sees here exactly what the separate routes show it. The parts are read in one
read-only REPEATABLE READ transaction: one snapshot, so the parts agree with each other (the
separate calls could straddle a change).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, TypeVar

import asyncpg
from fastapi import APIRouter
from pydantic import BaseModel, Field

from backbone.errors import NotFound
from meetings import action_items, agendas, attendance, minutes, scheduling
from meetings.api.deps import ERRORS, ConnDep, Reader, organisation_scope, sees_drafts
from meetings.api.schemas import (
    ActionItemPublic,
    AgendaPublic,
    MeetingPage,
    MeetingPublic,
    MinutesPublic,
    MinutesSummary,
    Page,
    RollCallEntry,
    RollCallPublic,
)

router = APIRouter(tags=["overview"], responses=ERRORS)

NEXT_MEETINGS = 5
OPEN_ACTION_ITEMS = 50
LATEST_MINUTES = 5
MEETING_ACTION_ITEMS = 50


class OverviewPublic(BaseModel):
    """The start page: what comes next, what is open, what was published lately."""

    next_meetings: MeetingPage = Field(
        description=f"The next {NEXT_MEETINGS} meetings starting from the current minute"
    )
    open_action_items: Page[ActionItemPublic] = Field(
        description=f"Up to {OPEN_ACTION_ITEMS} open action items (a representative: its own people's)"
    )
    published_minutes: Page[MinutesSummary] = Field(
        description=f"The {LATEST_MINUTES} latest published minutes"
    )


class MeetingOverviewPublic(BaseModel):
    """One meeting's page: the meeting, its agenda, roll call, action items and current minutes."""

    meeting: MeetingPublic
    agenda: AgendaPublic
    roll_call: RollCallPublic
    action_items: Page[ActionItemPublic] = Field(
        description=f"Up to {MEETING_ACTION_ITEMS} action items assigned at this meeting"
    )
    minutes: MinutesPublic | None = Field(
        description="The newest version (readers other than staff: the newest published), or null"
    )


M = TypeVar("M", bound=BaseModel)


def _page(model: type[M], rows: list[dict[str, Any]], total: int, limit: int) -> Page[M]:
    return Page(items=[model.model_validate(r) for r in rows], total=total, limit=limit, offset=0)


async def _action_items(
    conn: asyncpg.Connection,
    *,
    scope: uuid.UUID | None,
    status: str | None,
    meeting_id: uuid.UUID | None,
    limit: int,
) -> Page[ActionItemPublic]:
    rows, total = await action_items.list_items(
        conn=conn,
        status=status,
        group_id=None,
        meeting_id=meeting_id,
        owner_person_id=None,
        organisation_id=scope,
        limit=limit,
        offset=0,
    )
    return _page(ActionItemPublic, rows, total, limit)


@router.get("/v1/overview", response_model=OverviewPublic)
async def read_overview(conn: ConnDep, who: Reader) -> OverviewPublic:
    scope = organisation_scope(who)
    # From the start of the current minute, so the answer is the same all minute (its ETag names
    # the minute, see backbone.conditional).
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        meetings, meetings_total = await scheduling.list_meetings(
            conn=conn, start=now, end=None, status=None, limit=NEXT_MEETINGS, offset=0
        )
        items = await _action_items(
            conn, scope=scope, status="open", meeting_id=None, limit=OPEN_ACTION_ITEMS
        )
        published, published_total = await minutes.list_minutes(
            conn=conn,
            status="published",
            group_id=None,
            include_unpublished=sees_drafts(who),
            limit=LATEST_MINUTES,
            offset=0,
        )
    return OverviewPublic(
        next_meetings=_page(MeetingPublic, meetings, meetings_total, NEXT_MEETINGS),
        open_action_items=items,
        published_minutes=_page(MinutesSummary, published, published_total, LATEST_MINUTES),
    )


@router.get("/v1/meetings/{meeting_id}/overview", response_model=MeetingOverviewPublic)
async def read_meeting_overview(meeting_id: uuid.UUID, conn: ConnDep, who: Reader) -> MeetingOverviewPublic:
    """404 when there is no such meeting; `minutes` is null when there are none (yet) for this reader."""
    scope = organisation_scope(who)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        meeting = await scheduling.get_meeting(conn=conn, meeting_id=meeting_id, scope=scope)
        agenda = await agendas.get_agenda(conn=conn, meeting_id=meeting_id, scope=scope)
        roll_call = await attendance.roll_call(conn=conn, meeting_id=meeting_id, scope=scope)
        items = await _action_items(
            conn, scope=scope, status=None, meeting_id=meeting_id, limit=MEETING_ACTION_ITEMS
        )
        try:
            current = await minutes.current_for_meeting(
                conn=conn, meeting_id=meeting_id, published_only=not sees_drafts(who)
            )
        except NotFound:
            current = None
    return MeetingOverviewPublic(
        meeting=MeetingPublic.model_validate(meeting),
        agenda=AgendaPublic.model_validate(agenda),
        roll_call=RollCallPublic(
            meeting_id=meeting_id, entries=[RollCallEntry.model_validate(r) for r in roll_call]
        ),
        action_items=items,
        minutes=None if current is None else MinutesPublic.model_validate(current),
    )
