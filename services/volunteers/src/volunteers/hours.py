"""Hours worked: logged by staff (approved at once), or proposed by the volunteer through a signed
link and approved or rejected by staff. Approved hours feed the fee report and go out on the bus.

One standing entry (proposed or approved) per assignment: a second proposal for the same work would
be paid twice, so it is refused; a rejected one may be proposed again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg

from backbone.errors import NotFound, RuleError, StaleVersion
from backbone.outbox import add_event
from backbone.paging import fetch_page
from volunteers.contracts import HOURS_APPROVED, HoursApprovedV1
from volunteers.model import Scope, UsedLink
from volunteers.sql_queries import q
from volunteers.work_links import LinkContext, WorkLink, refuse_erased

Row = dict[str, Any]

# A volunteer may propose hours this long after the assignment ended (payroll closes monthly).
PROPOSAL_DAYS = 30
MAX_MINUTES = 24 * 60
MAX_NOTE = 2000


@dataclass(frozen=True)
class HoursEntry:
    minutes: int
    note: str = ""
    # The local day of the work; the assignment's own day when not given.
    work_date: date | None = None


def check_entry(entry: HoursEntry) -> None:
    if entry.minutes <= 0:
        raise RuleError("Ange hur länge du arbetade, minst 1 minut.")
    if entry.minutes > MAX_MINUTES:
        raise RuleError("Ett arbetspass kan vara högst 24 timmar. Dela upp tiden på flera dagar.")
    if len(entry.note) > MAX_NOTE:
        raise RuleError(f"Kommentaren är för lång. Skriv högst {MAX_NOTE} tecken.")


def hours_link(assignment: Row, ctx: LinkContext) -> str:
    """The link a volunteer proposes their hours with; it works until PROPOSAL_DAYS after the end."""
    link = WorkLink(
        target_id=assignment["id"],
        action="hours",
        expires_at=assignment["ends_at"] + timedelta(days=PROPOSAL_DAYS),
    )
    return ctx.signer.sign(link, now=ctx.now)


async def _assignment(conn: asyncpg.Connection, assignment_id: uuid.UUID) -> Row:
    row = await q.get_assignment_for_hours.fetchrow(conn, assignment_id=assignment_id)
    if row is None:
        raise NotFound("Uppdraget finns inte. Det kan ha tagits bort; kontakta den som samordnar poolen.")
    return dict(row)


def _check_workable(assignment: Row, now: datetime) -> None:
    if assignment["status"] == "cancelled":
        raise RuleError("Uppdraget är avbokat, så det finns inga timmar att rapportera för det.")
    if assignment["starts_at"] > now:
        raise RuleError("Uppdraget har inte börjat än. Rapportera timmarna när du har gjort det.")


async def _approved_event(conn: asyncpg.Connection, row: Row) -> None:
    await add_event(
        conn,
        HOURS_APPROVED,
        HoursApprovedV1(
            hours_id=str(row["id"]),
            volunteer_id=str(row["volunteer_id"]),
            pool_id=str(row["pool_id"]),
            assignment_id=str(row["assignment_id"]) if row["assignment_id"] else None,
            review_reviewer_id=str(row["review_reviewer_id"]) if row["review_reviewer_id"] else None,
            work_date=row["work_date"],
            minutes=row["minutes"],
            proposed_by=row["proposed_by"],
        ),
        aggregate_id=str(row["id"]),
    )


async def log_hours(
    *,
    conn: asyncpg.Connection,
    assignment_id: uuid.UUID,
    entry: HoursEntry,
    scope: Scope,
    by: str,
    ctx: LinkContext,
) -> Row:
    """Staff log the hours of an assignment; they count as approved at once."""
    check_entry(entry)
    async with conn.transaction():
        await q.lock_assignment_for_hours.fetchrow(conn, assignment_id=assignment_id)
        assignment = await _assignment(conn, assignment_id)
        scope.require(assignment["pool_id"])
        _check_workable(assignment, ctx.now)
        await _refuse_second(conn, assignment_id)
        row = dict(
            await q.insert_hours.fetchrow(
                conn,
                id=uuid.uuid4(),
                assignment_id=assignment_id,
                review_reviewer_id=None,
                volunteer_id=assignment["volunteer_id"],
                pool_id=assignment["pool_id"],
                work_date=entry.work_date or assignment["starts_at"].astimezone(ctx.zone).date(),
                minutes=entry.minutes,
                note=entry.note,
                status="approved",
                proposed_by="staff",
                logged_by=by,
                decided_by=by,
                decided_at=ctx.now,
            )
        )
        await _approved_event(conn, row)
    return row


async def _refuse_second(conn: asyncpg.Connection, assignment_id: uuid.UUID) -> None:
    standing = await q.standing_hours_of_assignment.fetchrow(conn, assignment_id=assignment_id)
    if standing is None:
        return
    if standing["status"] == "approved":
        raise UsedLink(
            "Timmarna för det här uppdraget är redan godkända. Kontakta samordnaren om något är fel."
        )
    raise UsedLink(
        "Timmar för det här uppdraget är redan rapporterade och väntar på godkännande. "
        "Kontakta samordnaren om du vill ändra något."
    )


async def look_up_link(*, conn: asyncpg.Connection, token: str, ctx: LinkContext) -> tuple[Row, Row | None]:
    """The assignment a hours link is for, and the hours already reported; changes nothing."""
    link = ctx.signer.read(token, expected="hours", now=ctx.now)
    assignment = await _assignment(conn, link.target_id)
    refuse_erased(assignment["volunteer_status"])
    standing = await q.standing_hours_of_assignment.fetchrow(conn, assignment_id=link.target_id)
    return assignment, dict(standing) if standing else None


async def propose_hours(*, conn: asyncpg.Connection, token: str, entry: HoursEntry, ctx: LinkContext) -> Row:
    """A volunteer proposes the hours of their assignment through its link; staff approve them later."""
    link = ctx.signer.read(token, expected="hours", now=ctx.now)
    check_entry(entry)
    async with conn.transaction():
        await q.lock_assignment_for_hours.fetchrow(conn, assignment_id=link.target_id)
        assignment = await _assignment(conn, link.target_id)
        refuse_erased(assignment["volunteer_status"])
        _check_workable(assignment, ctx.now)
        await _refuse_second(conn, link.target_id)
        row = await q.insert_hours.fetchrow(
            conn,
            id=uuid.uuid4(),
            assignment_id=link.target_id,
            review_reviewer_id=None,
            volunteer_id=assignment["volunteer_id"],
            pool_id=assignment["pool_id"],
            # The volunteer reports time, not the day: the day is the assignment's.
            work_date=assignment["starts_at"].astimezone(ctx.zone).date(),
            minutes=entry.minutes,
            note=entry.note,
            status="proposed",
            proposed_by="volunteer",
            logged_by=None,
            decided_by=None,
            decided_at=None,
        )
    return dict(row)


async def _decidable(conn: asyncpg.Connection, hours_id: uuid.UUID, version: int | None, scope: Scope) -> Row:
    row = await q.get_hours_for_update.fetchrow(conn, id=hours_id)
    if row is None:
        raise NotFound("Tidrapporten finns inte. Ladda om sidan.")
    scope.require(row["pool_id"])
    if version is not None and row["version"] != version:
        raise StaleVersion("Någon annan har ändrat tidrapporten sedan du läste den. Ladda om sidan.")
    if row["status"] != "proposed":
        word = "godkänd" if row["status"] == "approved" else "avslagen"
        raise RuleError(f"Tidrapporten är redan {word}. Ladda om sidan.")
    return dict(row)


async def approve_hours(
    *,
    conn: asyncpg.Connection,
    hours_id: uuid.UUID,
    scope: Scope,
    by: str,
    now: datetime,
    version: int | None = None,
    minutes: int | None = None,
) -> Row:
    """Approve proposed hours (optionally corrected to `minutes`); they then count in the fee report."""
    if minutes is not None:
        check_entry(HoursEntry(minutes=minutes))
    async with conn.transaction():
        row = await _decidable(conn, hours_id, version, scope)
        updated = dict(
            await q.decide_hours.fetchrow(
                conn,
                id=hours_id,
                status="approved",
                decided_by=by,
                decided_at=now,
                reject_reason=None,
                minutes=minutes if minutes is not None else row["minutes"],
            )
        )
        await _approved_event(conn, updated)
    return updated


async def reject_hours(
    *,
    conn: asyncpg.Connection,
    hours_id: uuid.UUID,
    reason: str,
    scope: Scope,
    by: str,
    now: datetime,
    version: int | None = None,
) -> Row:
    """Reject proposed hours with a reason the volunteer is told; they may propose again."""
    if not reason.strip():
        raise RuleError("Skriv varför tidrapporten inte godkänns, så att volontären förstår vad som är fel.")
    async with conn.transaction():
        row = await _decidable(conn, hours_id, version, scope)
        updated = await q.decide_hours.fetchrow(
            conn,
            id=hours_id,
            status="rejected",
            decided_by=by,
            decided_at=now,
            reject_reason=reason.strip(),
            minutes=row["minutes"],
        )
    return dict(updated)


async def get_hours(*, conn: asyncpg.Connection, hours_id: uuid.UUID, scope: Scope) -> Row:
    row = await q.get_hours.fetchrow(conn, id=hours_id)
    if row is None or not scope.covers(row["pool_id"]):
        raise NotFound("Tidrapporten finns inte. Ladda om sidan.")
    return dict(row)


async def list_hours(
    *,
    conn: asyncpg.Connection,
    scope: Scope,
    status: str | None,
    volunteer_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[list[Row], int]:
    return await fetch_page(
        conn,
        q.list_hours,
        status=status,
        pool_ids=scope.sql_pool_ids,
        volunteer_id=volunteer_id,
        limit=limit,
        offset=offset,
    )


async def assignment_for_link(*, conn: asyncpg.Connection, assignment_id: uuid.UUID, scope: Scope) -> Row:
    """The assignment staff want a hours link for, when it is theirs to see and can have hours."""
    assignment = await _assignment(conn, assignment_id)
    scope.require(assignment["pool_id"])
    if assignment["status"] == "cancelled":
        raise RuleError("Uppdraget är avbokat, så det finns inga timmar att rapportera för det.")
    return assignment
