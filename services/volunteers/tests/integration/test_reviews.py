"""Plain-language reviews: staff submit a text, reviewers from the pool return comments and a
suggestion through a signed link, LIX before and after is kept, hours feed the fee report, and
staff accept or reject with a reason."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from decimal import Decimal

import asyncpg
import pytest

from backbone.errors import RuleError
from backbone.readability import lix
from volunteers import hours, reports, reviews
from volunteers.model import InvalidLink, Scope, UsedLink
from volunteers.reviews import NewReview, ReviewAnswer

from .vh_world import EVERYTHING, ctx, pool, volunteer

ORIGINAL = (
    "Socialförvaltningen meddelar härmed att Er ansökan om ekonomiskt bistånd inkommit "
    "och handläggning påbörjats. Kompletterande handlingar ska inkomma senast fredag."
)
SUGGESTION = "Vi har fått din ansökan. Vi läser den nu. Skicka det som saknas till oss före fredag."
TOMORROW = date.today() + timedelta(days=1)


async def subjects(conn: asyncpg.Connection, subject: str) -> list[dict]:
    rows = await conn.fetch("SELECT envelope::text AS e FROM outbox WHERE subject = $1 ORDER BY id", subject)
    return [json.loads(r["e"])["data"] for r in rows]


async def submitted(conn: asyncpg.Connection, reviewers: int = 2) -> tuple[dict, list[uuid.UUID], uuid.UUID]:
    pool_id = await pool(conn, name="Klarspråksgranskare")
    people = [await volunteer(conn, pools=(pool_id,)) for _ in range(reviewers)]
    review = await reviews.submit_review(
        conn=conn,
        review=NewReview(
            pool_id=pool_id,
            kind="letter_template",
            title="Beslut om bistånd",
            text=ORIGINAL,
            deadline=TOMORROW,
            reviewer_ids=tuple(people),
        ),
        scope=EVERYTHING,
        by="staff-1",
        by_name="Sara Handläggare",
        ctx=ctx(),
    )
    return review, people, pool_id


async def token_for(conn: asyncpg.Connection, review_id: uuid.UUID, volunteer_id: uuid.UUID) -> str:
    [event] = await subjects(conn, "volunteers.review.submitted.v1")
    assert event["review_id"] == str(review_id)
    [mine] = [r for r in event["reviewers"] if r["volunteer_id"] == str(volunteer_id)]
    return mine["token"]


async def test_submitting_stores_the_original_lix_and_tells_each_reviewer(conn):
    review, people, _ = await submitted(conn)
    assert review["status"] == "open"
    assert review["original_lix"] == Decimal(str(round(lix(ORIGINAL), 2)))
    [event] = await subjects(conn, "volunteers.review.submitted.v1")
    assert (event["title"], event["kind"], event["deadline"]) == (
        "Beslut om bistånd",
        "letter_template",
        TOMORROW.isoformat(),
    )
    assert sorted(r["volunteer_id"] for r in event["reviewers"]) == sorted(str(p) for p in people)
    assert all(r["recipient"]["email"].endswith("@example.se") and r["token"] for r in event["reviewers"])
    assert "text" not in event  # the reviewer reads the text behind the link, not in the mail


async def test_a_reviewer_returns_a_suggestion_lix_is_compared_and_the_hours_feed_the_fee_report(conn):
    review, (first, _), pool_id = await submitted(conn)
    await conn.execute(
        "INSERT INTO pool_fees (id, pool_id, hourly_fee, valid_from, created_by)"
        " VALUES ($1, $2, 200, '2000-01-01', 's')",
        uuid.uuid4(),
        pool_id,
    )
    token = await token_for(conn, review["id"], first)

    shown = await reviews.look_up_link(conn=conn, token=token, ctx=ctx())
    assert (shown.title, shown.text, shown.returned) == ("Beslut om bistånd", ORIGINAL, False)

    returned = await reviews.return_review(
        conn=conn,
        token=token,
        answer=ReviewAnswer(
            comments="Skriv du, inte Er. Korta meningar.", suggested_text=SUGGESTION, minutes=90
        ),
        ctx=ctx(),
    )
    original, suggested = round(lix(ORIGINAL), 2), round(lix(SUGGESTION), 2)
    assert suggested < original  # the suggestion is easier to read
    [event] = await subjects(conn, "volunteers.review.returned.v1")
    assert event["review_id"] == str(review["id"]) and event["volunteer_id"] == str(first)
    assert (event["original_lix"], event["suggested_lix"]) == (original, suggested)
    assert event["lix_change"] == pytest.approx(suggested - original)
    detail = await reviews.get_review(conn=conn, review_id=review["id"], scope=EVERYTHING)
    assert detail["status"] == "returned"
    [answer] = [r for r in detail["reviewers"] if r["status"] == "returned"]
    assert answer["lix_change"] == answer["suggested_lix"] - detail["original_lix"]
    assert answer["hours_id"] == returned["hours_id"]

    # The 90 minutes wait for staff like any proposed hours; approved, they are paid at the pool's fee.
    await hours.approve_hours(
        conn=conn, hours_id=returned["hours_id"], scope=EVERYTHING, by="s", now=ctx().now
    )
    day = await conn.fetchval("SELECT work_date FROM hours WHERE id = $1", returned["hours_id"])
    report = await reports.fee_report(conn=conn, month=day.replace(day=1), scope=EVERYTHING)
    # 90 min at 200 kr = 1.5 * 200 = 300.00
    assert [(p.volunteer_id, p.minutes, p.amount) for p in report.people] == [(first, 90, Decimal("300.00"))]


async def test_a_link_returns_once_and_only_its_own_reviewers_part(conn):
    review, (first, second), _ = await submitted(conn)
    token = await token_for(conn, review["id"], first)
    answer = ReviewAnswer(comments="Bra", suggested_text=SUGGESTION, minutes=30)
    await reviews.return_review(conn=conn, token=token, answer=answer, ctx=ctx())
    with pytest.raises(UsedLink, match="redan skickat"):
        await reviews.return_review(conn=conn, token=token, answer=answer, ctx=ctx())
    with pytest.raises(InvalidLink):
        await reviews.return_review(conn=conn, token=token + "x", answer=answer, ctx=ctx())
    # The other reviewer's part is untouched.
    detail = await reviews.get_review(conn=conn, review_id=review["id"], scope=EVERYTHING)
    assert {r["volunteer_id"]: r["status"] for r in detail["reviewers"]} == {
        first: "returned",
        second: "assigned",
    }


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "Texten är tom"),
        ("   \n ", "Texten är tom"),
        ("a" * (reviews.MAX_TEXT_CHARS + 1), f"högst {reviews.MAX_TEXT_CHARS:,}".replace(",", " ")),
    ],
)
async def test_an_empty_or_huge_text_is_refused_and_nothing_is_stored(conn, text, words):
    pool_id = await pool(conn)
    reviewer = await volunteer(conn, pools=(pool_id,))
    with pytest.raises(RuleError, match=words):
        await reviews.submit_review(
            conn=conn,
            review=NewReview(pool_id, "brochure", "Broschyr", text, TOMORROW, (reviewer,)),
            scope=EVERYTHING,
            by="s",
            by_name=None,
            ctx=ctx(),
        )
    assert await conn.fetchval("SELECT count(*) FROM reviews") == 0
    assert await subjects(conn, "volunteers.review.submitted.v1") == []


async def test_an_empty_or_huge_suggestion_is_refused_and_nothing_is_stored(conn):
    review, (first, _), _ = await submitted(conn)
    token = await token_for(conn, review["id"], first)
    for answer, words in (
        (ReviewAnswer(comments=" ", suggested_text="", minutes=None), "Skriv dina kommentarer"),
        (ReviewAnswer(comments="", suggested_text="a" * (reviews.MAX_TEXT_CHARS + 1), minutes=None), "högst"),
    ):
        with pytest.raises(RuleError, match=words):
            await reviews.return_review(conn=conn, token=token, answer=answer, ctx=ctx())
    assert await conn.fetchval("SELECT count(*) FROM review_reviewers WHERE status = 'returned'") == 0
    assert await conn.fetchval("SELECT count(*) FROM hours") == 0


async def test_reviewers_must_be_active_members_of_the_pool_and_the_deadline_ahead(conn):
    pool_id = await pool(conn)
    outsider = await volunteer(conn)
    for new, words in (
        (NewReview(pool_id, "web_page", "Sida", "Text.", TOMORROW, (outsider,)), "inte med i poolen"),
        (NewReview(pool_id, "web_page", "Sida", "Text.", TOMORROW, ()), "Välj minst en granskare"),
        (
            NewReview(pool_id, "web_page", "Sida", "Text.", date.today() - timedelta(days=1), (outsider,)),
            "redan passerat",
        ),
    ):
        with pytest.raises(RuleError, match=words):
            await reviews.submit_review(
                conn=conn, review=new, scope=EVERYTHING, by="s", by_name=None, ctx=ctx()
            )


async def test_staff_accept_one_suggestion_or_reject_with_a_reason(conn):
    review, (first, _), _ = await submitted(conn)
    with pytest.raises(RuleError, match="Ingen granskare har svarat"):
        await reviews.decide_review(
            conn=conn,
            review_id=review["id"],
            accept=True,
            reason="",
            reviewer_id=None,
            scope=EVERYTHING,
            by="s",
            now=ctx().now,
        )
    token = await token_for(conn, review["id"], first)
    await reviews.return_review(
        conn=conn, token=token, answer=ReviewAnswer("Bra", SUGGESTION, None), ctx=ctx()
    )
    with pytest.raises(RuleError, match="Skriv varför"):
        await reviews.decide_review(
            conn=conn,
            review_id=review["id"],
            accept=False,
            reason=" ",
            reviewer_id=None,
            scope=EVERYTHING,
            by="s",
            now=ctx().now,
        )
    decided = await reviews.decide_review(
        conn=conn,
        review_id=review["id"],
        accept=True,
        reason="Tydligare",
        reviewer_id=None,
        scope=EVERYTHING,
        by="staff-2",
        now=ctx().now,
    )
    assert (decided["status"], decided["accepted_reviewer_id"], decided["decided_by"]) == (
        "accepted",
        first,
        "staff-2",
    )
    with pytest.raises(RuleError, match="redan"):
        await reviews.decide_review(
            conn=conn,
            review_id=review["id"],
            accept=False,
            reason="Nej",
            reviewer_id=None,
            scope=EVERYTHING,
            by="s",
            now=ctx().now,
        )
    # A decided review takes no more answers.
    [submission] = await subjects(conn, "volunteers.review.submitted.v1")
    other = next(r["token"] for r in submission["reviewers"] if r["volunteer_id"] != str(first))
    with pytest.raises(RuleError, match="redan avgjord"):
        await reviews.return_review(conn=conn, token=other, answer=ReviewAnswer("x", "", None), ctx=ctx())


async def test_a_coordinator_sees_reviews_of_their_pools_only(conn):
    review, _, pool_id = await submitted(conn)
    mine = Scope(everything=False, pool_ids=frozenset({pool_id}))
    other = Scope(everything=False, pool_ids=frozenset({uuid.uuid4()}))
    assert (await reviews.list_reviews(conn=conn, scope=mine, status=None, limit=10, offset=0))[1] == 1
    assert (await reviews.list_reviews(conn=conn, scope=other, status=None, limit=10, offset=0))[1] == 0
    with pytest.raises(RuleError):
        await reviews.get_review(conn=conn, review_id=review["id"], scope=other)
