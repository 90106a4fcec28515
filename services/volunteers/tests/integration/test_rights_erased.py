"""After an erasure nothing writes the person's data again: not an open review link, not a link
for hours, not a late export answer from another service (review findings 2 and 4)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from backbone.errors import NotFound, RuleError
from volunteers import hours, rights
from volunteers.hours import HoursEntry
from volunteers.reviews import NewReview, ReviewAnswer, return_review, submit_review

from .test_rights import answer, outbox
from .vh_world import EVERYTHING, assignment, ctx, pool, volunteer


async def erase(conn, volunteer_id: uuid.UUID) -> None:
    await rights.request_rights(
        conn=conn,
        kind="erasure",
        volunteer_id=volunteer_id,
        services=("volunteers",),
        by="admin-1",
        now=ctx().now,
    )


async def test_an_open_review_is_withdrawn_at_erasure_and_its_link_refused(conn):
    pool_id = await pool(conn)
    volunteer_id = await volunteer(conn, pools=(pool_id,), name="Hanna Raderad")
    review = await submit_review(
        conn=conn,
        review=NewReview(
            pool_id,
            "brochure",
            "Broschyr",
            "En text att granska.",
            date.today() + timedelta(days=2),
            (volunteer_id,),
        ),
        scope=EVERYTHING,
        by="staff-1",
        by_name="Sara",
        ctx=ctx(),
    )
    [submitted] = [
        e for e in await outbox(conn, "volunteers.review.submitted.v1") if e["review_id"] == str(review["id"])
    ]
    await erase(conn, volunteer_id)
    assert (
        await conn.fetchval("SELECT count(*) FROM review_reviewers WHERE volunteer_id = $1", volunteer_id)
        == 0
    )
    with pytest.raises((NotFound, RuleError), match="raderats"):
        await return_review(
            conn=conn,
            token=submitted["reviewers"][0]["token"],
            answer=ReviewAnswer("Hälsningar Hanna Raderad", "", 30),
            ctx=ctx(),
        )
    assert await conn.fetchval("SELECT count(*) FROM hours WHERE volunteer_id = $1", volunteer_id) == 0


async def test_an_hours_link_of_an_erased_person_is_refused(conn):
    pool_id = await pool(conn)
    volunteer_id = await volunteer(conn, pools=(pool_id,), name="Ivar Raderad")
    assignment_id = await assignment(conn, pool_id=pool_id, volunteer_id=volunteer_id)
    row = dict(await conn.fetchrow("SELECT id, ends_at FROM assignments WHERE id = $1", assignment_id))
    token = hours.hours_link(row, ctx())
    await erase(conn, volunteer_id)
    with pytest.raises(RuleError, match="raderats"):
        await hours.look_up_link(conn=conn, token=token, ctx=ctx())
    with pytest.raises(RuleError, match="raderats"):
        await hours.propose_hours(
            conn=conn, token=token, entry=HoursEntry(minutes=60, note="Ivar"), ctx=ctx()
        )
    assert await conn.fetchval("SELECT count(*) FROM hours WHERE volunteer_id = $1", volunteer_id) == 0


async def test_an_export_answer_after_the_erasure_keeps_no_data(conn):
    pool_id = await pool(conn)
    volunteer_id = await volunteer(conn, pools=(pool_id,), name="Jon Sen")
    exported = await rights.request_rights(
        conn=conn,
        kind="export",
        volunteer_id=volunteer_id,
        services=("volunteers", "events"),
        by="admin-1",
        now=ctx().now,
    )
    await erase(conn, volunteer_id)
    await answer(conn, exported["id"], "events", "export", data={"name": "Jon Sen"})
    assert (
        await conn.fetchval(
            "SELECT data FROM rights_answers WHERE request_id = $1 AND service = 'events'", exported["id"]
        )
        is None
    )
    assert (await rights.get_request(conn=conn, request_id=exported["id"]))["status"] == "complete"


async def test_the_outbox_sweep_takes_the_erased_persons_events_only(conn):
    """Matching names as substrings swept other people's events too (finding 11)."""
    pool_id = await pool(conn)
    erased = await volunteer(conn, pools=(pool_id,), name="Ann Berg", email="ann@example.se")
    other = await volunteer(conn, pools=(pool_id,), name="Ann Bergström", email="ann.b@example.se")
    for who, name in ((erased, "Ann Berg"), (other, "Ann Bergström")):
        await conn.execute(
            "INSERT INTO outbox (event_id, subject, aggregate, envelope, published_at)"
            " VALUES ($1, 'volunteers.offer.sent.v1', $2, $3::jsonb, now())",
            uuid.uuid4(),
            f"request/{uuid.uuid4()}",
            {"data": {"volunteer_id": str(who), "recipient": {"name": name}}},
        )
    await erase(conn, erased)
    left = await conn.fetch(
        "SELECT envelope->'data'->>'volunteer_id' AS v FROM outbox WHERE subject = 'volunteers.offer.sent.v1'"
    )
    assert [r["v"] for r in left] == [str(other)]
