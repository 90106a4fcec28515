"""Plain-language reviews: staff send a text (a letter template, a brochure, a web page) to reviewers
of a pool with a deadline; each reviewer reads it and answers through a signed link with comments,
a suggested text and the time it took; the service keeps the LIX of the original and of each
suggestion; staff accept one suggestion or reject the review, with a reason.

Reviewers are chosen by name (active members of the pool). The offers of the core answer requests
for a place at a time; a review is work from home before a deadline, so it is assigned directly.
The time a reviewer reports is proposed hours (hours.py): approved by staff, it is paid like any
other work in the fee report.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

import asyncpg

from backbone.errors import NotFound, RuleError
from backbone.outbox import add_event
from backbone.paging import fetch_page
from backbone.readability import lix
from volunteers.contracts import (
    REVIEW_RETURNED,
    REVIEW_SUBMITTED,
    Recipient,
    ReviewerNotice,
    ReviewReturnedV1,
    ReviewSubmittedV1,
    StaffContact,
)
from volunteers.hours import MAX_MINUTES
from volunteers.model import Scope, UsedLink
from volunteers.sql_queries import q
from volunteers.work_links import LinkContext, WorkLink, refuse_erased

Row = dict[str, Any]
ReviewKind = Literal["letter_template", "brochure", "web_page"]
ReviewStatus = Literal["open", "returned", "accepted", "rejected"]

# About 25 pages of text: more than any letter, brochure or page we send, and a reviewer's evening.
MAX_TEXT_CHARS = 50_000
MAX_TITLE_CHARS = 200
MAX_COMMENT_CHARS = 20_000
MAX_REVIEWERS = 20
# Answers are welcome a week after the deadline, until staff have decided.
LATE_DAYS = 7


@dataclass(frozen=True)
class NewReview:
    pool_id: uuid.UUID
    kind: ReviewKind
    title: str
    text: str
    deadline: date
    reviewer_ids: tuple[uuid.UUID, ...]


@dataclass(frozen=True)
class ReviewAnswer:
    comments: str
    suggested_text: str
    # The time the review took, proposed as hours; None: none to report.
    minutes: int | None


@dataclass(frozen=True)
class LinkedReview:
    """What a reviewer's link shows: the text to review, and their own answer once sent."""

    review_id: uuid.UUID
    title: str
    kind: str
    text: str
    deadline: date
    original_lix: Decimal
    returned: bool
    comments: str | None
    suggested_text: str | None
    suggested_lix: Decimal | None


def score(text: str) -> Decimal:
    return Decimal(str(lix(text))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def check_text(text: str, *, what: str) -> None:
    if not text.strip():
        raise RuleError(f"{what} är tom. Klistra in texten som ska granskas.")
    if len(text) > MAX_TEXT_CHARS:
        raise RuleError(
            f"{what} är för lång: {_thousands(len(text))} tecken. Den kan vara högst "
            f"{_thousands(MAX_TEXT_CHARS)} tecken. Dela upp den i flera granskningar."
        )


def _check_review(review: NewReview, today: date) -> None:
    check_text(review.text, what="Texten")
    title = review.title.strip()
    if not title:
        raise RuleError("Ge granskningen en rubrik, så att granskarna vet vad texten är.")
    if len(title) > MAX_TITLE_CHARS:
        raise RuleError(f"Rubriken är för lång. Skriv högst {MAX_TITLE_CHARS} tecken.")
    if review.deadline < today:
        raise RuleError("Sista dagen har redan passerat. Välj ett datum från och med i dag.")
    if not review.reviewer_ids:
        raise RuleError("Välj minst en granskare ur poolen.")
    if len(set(review.reviewer_ids)) > MAX_REVIEWERS:
        raise RuleError(f"Välj högst {MAX_REVIEWERS} granskare för en text.")


def _link_expiry(deadline: date, ctx: LinkContext) -> datetime:
    last_day = deadline + timedelta(days=LATE_DAYS + 1)
    return datetime.combine(last_day, time(0), tzinfo=ctx.zone).astimezone(UTC)


async def submit_review(
    *,
    conn: asyncpg.Connection,
    review: NewReview,
    scope: Scope,
    by: str,
    by_name: str | None,
    ctx: LinkContext,
    by_email: str | None = None,
    by_language: str | None = None,
) -> Row:
    """Send a text to named reviewers of a pool; each gets a link (in the event, for notify).
    `by_email`, `by_language`: where to tell the one who sent it that an answer came back."""
    _check_review(review, ctx.now.astimezone(ctx.zone).date())
    scope.require(review.pool_id)
    wanted = sorted(set(review.reviewer_ids))
    async with conn.transaction():
        reviewers = await q.reviewers_in_pool.fetch(conn, pool_id=review.pool_id, ids=wanted)
        if len(reviewers) != len(wanted):
            raise RuleError(
                "En eller flera av de valda granskarna är inte med i poolen just nu. "
                "Välj bland poolens aktiva medlemmar och försök igen."
            )
        row = dict(
            await q.insert_review.fetchrow(
                conn,
                id=uuid.uuid4(),
                pool_id=review.pool_id,
                kind=review.kind,
                title=review.title.strip(),
                original_text=review.text,
                original_lix=score(review.text),
                deadline=review.deadline,
                submitted_by=by,
                submitted_by_name=by_name,
                submitted_by_email=by_email,
                submitted_by_language=by_language,
            )
        )
        notices = []
        expires_at = _link_expiry(review.deadline, ctx)
        for person in reviewers:
            reviewer_row_id = uuid.uuid4()
            await q.insert_review_reviewer.execute(
                conn, id=reviewer_row_id, review_id=row["id"], volunteer_id=person["id"]
            )
            token = ctx.signer.sign(WorkLink(reviewer_row_id, "review", expires_at), now=ctx.now)
            notices.append(
                ReviewerNotice(
                    review_reviewer_id=str(reviewer_row_id),
                    volunteer_id=str(person["id"]),
                    token=token,
                    recipient=Recipient.of(dict(person)),
                )
            )
        await add_event(
            conn,
            REVIEW_SUBMITTED,
            ReviewSubmittedV1(
                review_id=str(row["id"]),
                pool_id=str(review.pool_id),
                kind=review.kind,
                title=row["title"],
                deadline=review.deadline,
                original_lix=float(row["original_lix"]),
                submitted_by=by,
                submitted_by_name=by_name,
                reviewers=notices,
            ),
            aggregate_id=str(row["id"]),
        )
    return row


async def _reviewer_part(conn: asyncpg.Connection, token: str, ctx: LinkContext) -> Row:
    link = ctx.signer.read(token, expected="review", now=ctx.now)
    part = await q.get_review_reviewer.fetchrow(conn, id=link.target_id)
    if part is None:
        # Open reviews are withdrawn when the reviewer's data is erased, so say that it may be why.
        raise NotFound(
            "Granskningen finns inte längre. Den kan ha tagits tillbaka, till exempel för att "
            "dina uppgifter har raderats. Kontakta den som samordnar poolen."
        )
    refuse_erased(part["volunteer_status"])
    return dict(part)


async def look_up_link(*, conn: asyncpg.Connection, token: str, ctx: LinkContext) -> LinkedReview:
    """The text a reviewer's link is for, and their answer if sent; changes nothing."""
    part = await _reviewer_part(conn, token, ctx)
    return LinkedReview(
        review_id=part["review_id"],
        title=part["title"],
        kind=part["kind"],
        text=part["original_text"],
        deadline=part["deadline"],
        original_lix=part["original_lix"],
        returned=part["status"] == "returned",
        comments=part["comments"],
        suggested_text=part["suggested_text"],
        suggested_lix=part["suggested_lix"],
    )


def _check_answer(answer: ReviewAnswer) -> None:
    if not answer.comments.strip() and not answer.suggested_text.strip():
        raise RuleError("Skriv dina kommentarer eller ett förslag på ny text innan du skickar.")
    if len(answer.comments) > MAX_COMMENT_CHARS:
        raise RuleError(f"Kommentarerna är för långa. Skriv högst {_thousands(MAX_COMMENT_CHARS)} tecken.")
    if answer.suggested_text.strip():
        check_text(answer.suggested_text, what="Textförslaget")
    if answer.minutes is not None and not 1 <= answer.minutes <= MAX_MINUTES:
        raise RuleError("Ange tiden du lade på granskningen i minuter, mellan 1 och 1 440 (ett dygn).")


async def return_review(
    *, conn: asyncpg.Connection, token: str, answer: ReviewAnswer, ctx: LinkContext
) -> Row:
    """A reviewer sends comments, a suggested text and their time, once, through their link."""
    part = await _reviewer_part(conn, token, ctx)
    _check_answer(answer)
    suggested = answer.suggested_text if answer.suggested_text.strip() else None
    suggested_lix = score(suggested) if suggested is not None else None
    async with conn.transaction():
        review = await q.lock_review.fetchrow(conn, id=part["review_id"])
        if review["status"] in ("accepted", "rejected"):
            raise RuleError(
                "Granskningen är redan avgjord, så den tar inte emot fler svar. Tack ändå! "
                "Kontakta samordnaren om du har frågor."
            )
        stored = await q.store_review_answer.fetchrow(
            conn,
            id=part["id"],
            comments=answer.comments.strip(),
            suggested_text=suggested,
            suggested_lix=suggested_lix,
            returned_at=ctx.now,
        )
        if stored is None:
            raise UsedLink(
                "Du har redan skickat din granskning av den här texten. Tack! "
                "Kontakta samordnaren om du vill ändra något."
            )
        await q.mark_review_returned.execute(conn, id=part["review_id"])
        hours_id = None
        if answer.minutes is not None:
            hours_id = uuid.uuid4()
            await q.insert_hours.fetchrow(
                conn,
                id=hours_id,
                assignment_id=None,
                review_reviewer_id=part["id"],
                volunteer_id=part["volunteer_id"],
                pool_id=review["pool_id"],
                work_date=ctx.now.astimezone(ctx.zone).date(),
                minutes=answer.minutes,
                note=f"Klarspråksgranskning: {review['title']}"[:200],
                status="proposed",
                proposed_by="volunteer",
                logged_by=None,
                decided_by=None,
                decided_at=None,
            )
        change = suggested_lix - review["original_lix"] if suggested_lix is not None else None
        await add_event(
            conn,
            REVIEW_RETURNED,
            ReviewReturnedV1(
                review_id=str(review["id"]),
                review_reviewer_id=str(part["id"]),
                volunteer_id=str(part["volunteer_id"]),
                title=review["title"],
                original_lix=float(review["original_lix"]),
                suggested_lix=float(suggested_lix) if suggested_lix is not None else None,
                lix_change=float(change) if change is not None else None,
                submitted_by=review["submitted_by"],
                submitted_by_contact=StaffContact.of(
                    review["submitted_by_name"], review["submitted_by_email"], review["submitted_by_language"]
                ),
            ),
            aggregate_id=str(review["id"]),
        )
    return {**dict(stored), "hours_id": hours_id}


async def decide_review(
    *,
    conn: asyncpg.Connection,
    review_id: uuid.UUID,
    accept: bool,
    reason: str,
    reviewer_id: uuid.UUID | None,
    scope: Scope,
    by: str,
    now: datetime,
) -> Row:
    """Accept one reviewer's suggestion (the only one, or the one named by `reviewer_id`, a
    volunteer id), or reject the review; a rejection needs a reason."""
    async with conn.transaction():
        review = await q.lock_review.fetchrow(conn, id=review_id)
        if review is None or not scope.covers(review["pool_id"]):
            raise NotFound("Granskningen finns inte. Ladda om sidan.")
        if review["status"] in ("accepted", "rejected"):
            raise RuleError("Granskningen är redan avgjord. Ladda om sidan.")
        if not accept and not reason.strip():
            raise RuleError("Skriv varför granskningen inte godtas, så att granskarna förstår.")
        accepted = None
        if accept:
            answered = [
                r
                for r in await q.reviewers_of_review.fetch(conn, review_id=review_id)
                if r["status"] == "returned"
            ]
            if not answered:
                raise RuleError(
                    "Ingen granskare har svarat än. Vänta på ett svar innan du godtar granskningen."
                )
            if reviewer_id is None and len(answered) > 1:
                raise RuleError("Flera granskare har svarat. Välj vems förslag du godtar.")
            chosen = [r for r in answered if reviewer_id is None or r["volunteer_id"] == reviewer_id]
            if not chosen:
                raise RuleError(
                    "Den valda granskaren har inte svarat. Välj någon som har skickat ett förslag."
                )
            accepted = chosen[0]["volunteer_id"]
        row = await q.decide_review.fetchrow(
            conn,
            id=review_id,
            status="accepted" if accept else "rejected",
            decided_by=by,
            decided_at=now,
            reason=reason.strip() or None,
            accepted_reviewer_id=accepted,
        )
    return dict(row)


async def get_review(*, conn: asyncpg.Connection, review_id: uuid.UUID, scope: Scope) -> Row:
    """A review with each reviewer's answer, and the LIX change of each suggestion."""
    review = await q.get_review.fetchrow(conn, id=review_id)
    if review is None or not scope.covers(review["pool_id"]):
        raise NotFound("Granskningen finns inte. Ladda om sidan.")
    reviewers = []
    for r in await q.reviewers_of_review.fetch(conn, review_id=review_id):
        item = dict(r)
        item["lix_change"] = (
            item["suggested_lix"] - review["original_lix"] if item["suggested_lix"] is not None else None
        )
        reviewers.append(item)
    return {**dict(review), "reviewers": reviewers}


async def list_reviews(
    *, conn: asyncpg.Connection, scope: Scope, status: str | None, limit: int, offset: int
) -> tuple[list[Row], int]:
    return await fetch_page(
        conn, q.list_reviews, status=status, pool_ids=scope.sql_pool_ids, limit=limit, offset=offset
    )
