"""Hours per assignment: staff log them, or the volunteer proposes them through a signed link and
staff approve; approved hours go out on the bus, and nothing is reported twice."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from backbone.errors import NotAllowed, RuleError
from volunteers import hours
from volunteers.hours import HoursEntry
from volunteers.model import ExpiredLink, InvalidLink, Scope, UsedLink
from volunteers.work_links import WorkLink, WorkLinkSigner

from .vh_world import EVERYTHING, SIGNER, assignment, ctx, pool, volunteer


async def approved_events(conn: asyncpg.Connection) -> list[dict]:
    rows = await conn.fetch(
        "SELECT envelope::text AS e FROM outbox WHERE subject = 'volunteers.hours.approved.v1' ORDER BY id"
    )
    return [json.loads(r["e"])["data"] for r in rows]


async def an_assignment(conn: asyncpg.Connection, **kw) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    pool_id = await pool(conn)
    volunteer_id = await volunteer(conn, pools=(pool_id,))
    return pool_id, volunteer_id, await assignment(conn, pool_id=pool_id, volunteer_id=volunteer_id, **kw)


async def test_staff_log_hours_and_they_are_approved_at_once_and_announced(conn):
    starts = datetime(2027, 3, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 March in Stockholm
    pool_id, volunteer_id, assignment_id = await an_assignment(conn, starts_at=starts)
    row = await hours.log_hours(
        conn=conn,
        assignment_id=assignment_id,
        entry=HoursEntry(minutes=90),
        scope=EVERYTHING,
        by="staff-1",
        ctx=ctx(starts + timedelta(days=1)),
    )
    assert (row["status"], row["minutes"], row["work_date"].isoformat()) == ("approved", 90, "2027-03-02")
    [event] = await approved_events(conn)
    assert event == {
        "hours_id": str(row["id"]),
        "volunteer_id": str(volunteer_id),
        "pool_id": str(pool_id),
        "assignment_id": str(assignment_id),
        "review_reviewer_id": None,
        "work_date": "2027-03-02",
        "minutes": 90,
        "proposed_by": "staff",
    }


async def test_a_volunteer_proposes_through_the_link_and_staff_approve(conn):
    _, _, assignment_id = await an_assignment(conn)
    row = dict(await conn.fetchrow("SELECT id, ends_at FROM assignments WHERE id = $1", assignment_id))
    token = hours.hours_link(row, ctx())

    shown, standing = await hours.look_up_link(conn=conn, token=token, ctx=ctx())
    assert shown["id"] == assignment_id and standing is None

    proposed = await hours.propose_hours(
        conn=conn, token=token, entry=HoursEntry(minutes=120, note="Bra"), ctx=ctx()
    )
    assert (proposed["status"], proposed["proposed_by"]) == ("proposed", "volunteer")
    assert await approved_events(conn) == []  # a proposal is no fact yet

    approved = await hours.approve_hours(
        conn=conn, hours_id=proposed["id"], scope=EVERYTHING, by="staff-1", now=datetime.now(UTC), minutes=105
    )
    assert (approved["status"], approved["minutes"], approved["decided_by"]) == ("approved", 105, "staff-1")
    [event] = await approved_events(conn)
    assert (event["minutes"], event["proposed_by"]) == (105, "volunteer")


async def test_the_link_proposes_once_and_again_only_after_a_rejection(conn):
    _, _, assignment_id = await an_assignment(conn)
    row = dict(await conn.fetchrow("SELECT id, ends_at FROM assignments WHERE id = $1", assignment_id))
    token = hours.hours_link(row, ctx())
    first = await hours.propose_hours(conn=conn, token=token, entry=HoursEntry(minutes=60), ctx=ctx())
    with pytest.raises(UsedLink, match="väntar på godkännande"):
        await hours.propose_hours(conn=conn, token=token, entry=HoursEntry(minutes=600), ctx=ctx())

    with pytest.raises(RuleError, match="Skriv varför"):
        await hours.reject_hours(
            conn=conn, hours_id=first["id"], reason="  ", scope=EVERYTHING, by="s", now=ctx().now
        )
    rejected = await hours.reject_hours(
        conn=conn,
        hours_id=first["id"],
        reason="Passet var en timme kortare",
        scope=EVERYTHING,
        by="s",
        now=ctx().now,
    )
    assert rejected["status"] == "rejected"
    again = await hours.propose_hours(conn=conn, token=token, entry=HoursEntry(minutes=50), ctx=ctx())
    await hours.approve_hours(conn=conn, hours_id=again["id"], scope=EVERYTHING, by="s", now=ctx().now)
    with pytest.raises(UsedLink, match="redan godkända"):
        await hours.propose_hours(conn=conn, token=token, entry=HoursEntry(minutes=50), ctx=ctx())
    with pytest.raises(RuleError, match="redan godkänd"):
        await hours.approve_hours(conn=conn, hours_id=again["id"], scope=EVERYTHING, by="s", now=ctx().now)


async def test_an_expired_a_forged_and_a_foreign_link_are_refused_and_nothing_is_stored(conn):
    _, _, assignment_id = await an_assignment(conn)
    now = datetime.now(UTC)
    expired = SIGNER.sign(
        WorkLink(assignment_id, "hours", now - timedelta(seconds=1)), now=now - timedelta(days=1)
    )
    forged = WorkLinkSigner("another-secret-another-secret-another-secret").sign(
        WorkLink(assignment_id, "hours", now + timedelta(days=1)), now=now
    )
    for_a_review = SIGNER.sign(WorkLink(assignment_id, "review", now + timedelta(days=1)), now=now)
    with pytest.raises(ExpiredLink, match="Länken har gått ut"):
        await hours.propose_hours(conn=conn, token=expired, entry=HoursEntry(minutes=60), ctx=ctx(now))
    for token in (forged, for_a_review, "not-a-token"):
        with pytest.raises(InvalidLink, match="Länken är trasig"):
            await hours.propose_hours(conn=conn, token=token, entry=HoursEntry(minutes=60), ctx=ctx(now))
    assert await conn.fetchval("SELECT count(*) FROM hours") == 0


async def test_bad_hours_are_refused_in_swedish(conn):
    _, _, assignment_id = await an_assignment(conn)
    for minutes, words in ((0, "minst 1 minut"), (24 * 60 + 1, "högst 24 timmar")):
        with pytest.raises(RuleError, match=words):
            await hours.log_hours(
                conn=conn,
                assignment_id=assignment_id,
                entry=HoursEntry(minutes=minutes),
                scope=EVERYTHING,
                by="s",
                ctx=ctx(),
            )


async def test_no_hours_before_the_start_or_for_a_cancelled_assignment(conn):
    pool_id = await pool(conn)
    volunteer_id = await volunteer(conn, pools=(pool_id,))
    future = await assignment(
        conn, pool_id=pool_id, volunteer_id=volunteer_id, starts_at=datetime.now(UTC) + timedelta(days=2)
    )
    cancelled = await assignment(conn, pool_id=pool_id, volunteer_id=volunteer_id, status="cancelled")
    for assignment_id, words in ((future, "inte börjat"), (cancelled, "avbokat")):
        with pytest.raises(RuleError, match=words):
            await hours.log_hours(
                conn=conn,
                assignment_id=assignment_id,
                entry=HoursEntry(minutes=60),
                scope=EVERYTHING,
                by="s",
                ctx=ctx(),
            )


async def test_a_coordinator_approves_only_in_their_pools(conn):
    pool_id, _, assignment_id = await an_assignment(conn)
    row = dict(await conn.fetchrow("SELECT id, ends_at FROM assignments WHERE id = $1", assignment_id))
    proposed = await hours.propose_hours(
        conn=conn, token=hours.hours_link(row, ctx()), entry=HoursEntry(minutes=60), ctx=ctx()
    )
    other = Scope(everything=False, pool_ids=frozenset({uuid.uuid4()}))
    with pytest.raises(NotAllowed):
        await hours.approve_hours(conn=conn, hours_id=proposed["id"], scope=other, by="c", now=ctx().now)
    waiting, total = await hours.list_hours(
        conn=conn,
        scope=Scope(everything=False, pool_ids=frozenset({pool_id})),
        status="proposed",
        volunteer_id=None,
        limit=10,
        offset=0,
    )
    assert total == 1 and waiting[0]["id"] == proposed["id"]
    assert (
        await hours.list_hours(conn=conn, scope=other, status=None, volunteer_id=None, limit=10, offset=0)
    )[1] == 0
