"""Routes for plain-language reviews: staff submit and decide; a reviewer reads the text and
answers from a signed link (a GET shows and changes nothing; the POST answers)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from volunteers import reviews
from volunteers.api.deps import ERRORS, ConnDep, Coordinator, Limit, Offset, Visitor, scope_of
from volunteers.api.schemas import Page
from volunteers.api.schemas.work import (
    ReviewCreate,
    ReviewDecision,
    ReviewerPublic,
    ReviewLinkView,
    ReviewPublic,
    ReviewReturn,
    ReviewReturned,
    ReviewSummary,
)
from volunteers.api.work_deps import LinkContextDep
from volunteers.reports import ERASED_NAME

router = APIRouter(prefix="/v1", tags=["reviews"], responses=ERRORS)
Token = Annotated[str, Query(min_length=1, max_length=2000)]

RETURNED = "Tack för din granskning! Den som skickade texten får ditt svar."


def _public(row: dict) -> ReviewPublic:
    people = [
        ReviewerPublic.model_validate(
            {**r, "volunteer_name": ERASED_NAME if r["erased"] else r["volunteer_name"]}
        )
        for r in row["reviewers"]
    ]
    return ReviewPublic.model_validate({**row, "reviewers": people})


@router.post("/reviews", status_code=status.HTTP_201_CREATED, response_model=ReviewPublic)
async def submit_review(
    body: ReviewCreate, conn: ConnDep, who: Coordinator, ctx: LinkContextDep
) -> ReviewPublic:
    """Send a text to reviewers of the pool; an empty text, or one over
    50 000 characters, is refused (409) and nothing is stored."""
    scope = await scope_of(conn, who)
    row = await reviews.submit_review(
        conn=conn,
        review=body.to_domain(),
        scope=scope,
        by=who.subject,
        by_name=who.name,
        ctx=ctx,
        by_email=who.email,
        by_language=who.language,
    )
    return _public(await reviews.get_review(conn=conn, review_id=row["id"], scope=scope))


@router.get("/reviews", response_model=Page[ReviewSummary])
async def list_reviews(
    conn: ConnDep,
    who: Coordinator,
    status_: Annotated[
        Literal["open", "returned", "accepted", "rejected"] | None, Query(alias="status")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ReviewSummary]:
    rows, total = await reviews.list_reviews(
        conn=conn, scope=await scope_of(conn, who), status=status_, limit=limit, offset=offset
    )
    return Page(
        items=[ReviewSummary.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.get("/reviews/{review_id}", response_model=ReviewPublic)
async def read_review(review_id: uuid.UUID, conn: ConnDep, who: Coordinator) -> ReviewPublic:
    return _public(await reviews.get_review(conn=conn, review_id=review_id, scope=await scope_of(conn, who)))


@router.post("/reviews/{review_id}/decision", response_model=ReviewPublic)
async def decide_review(
    review_id: uuid.UUID, body: ReviewDecision, conn: ConnDep, who: Coordinator, ctx: LinkContextDep
) -> ReviewPublic:
    scope = await scope_of(conn, who)
    await reviews.decide_review(
        conn=conn,
        review_id=review_id,
        accept=body.accept,
        reason=body.reason,
        reviewer_id=body.reviewer_id,
        scope=scope,
        by=who.subject,
        now=ctx.now,
    )
    return _public(await reviews.get_review(conn=conn, review_id=review_id, scope=scope))


@router.get("/links/review", response_model=ReviewLinkView)
async def show_review_link(token: Token, conn: ConnDep, _who: Visitor, ctx: LinkContextDep) -> ReviewLinkView:
    """The text to review and the reviewer's own answer once sent; changes nothing."""
    seen = await reviews.look_up_link(conn=conn, token=token, ctx=ctx)
    return ReviewLinkView.model_validate(seen, from_attributes=True)


@router.post("/links/review", status_code=status.HTTP_201_CREATED, response_model=ReviewReturned)
async def return_review(
    body: ReviewReturn, conn: ConnDep, _who: Visitor, ctx: LinkContextDep
) -> ReviewReturned:
    await reviews.return_review(conn=conn, token=body.token, answer=body.to_domain(), ctx=ctx)
    seen = await reviews.look_up_link(conn=conn, token=body.token, ctx=ctx)
    change = seen.suggested_lix - seen.original_lix if seen.suggested_lix is not None else None
    return ReviewReturned(
        detail=RETURNED, original_lix=seen.original_lix, suggested_lix=seen.suggested_lix, lix_change=change
    )
