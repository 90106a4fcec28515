"""Routes for the volunteer's side, from the links in their messages (no account): what an offer or
an assignment is, shown by a GET that changes nothing (mail scanners follow links), and the answer
by a POST from the page's button. Only what the link is for is shown."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from volunteers import consents, offers
from volunteers.api.deps import ERRORS, ConnDep, ContextDep, Visitor
from volunteers.api.schemas import (
    AssignmentCancelled,
    AssignmentView,
    CancelByLink,
    ConsentForVolunteer,
    ConsentsView,
    ConsentWithdrawByLink,
    ConsentWithdrawnByLink,
    LinkToken,
    OfferAnswer,
    OfferView,
    RequestForVolunteer,
)
from volunteers.api.work_deps import LinkContextDep
from volunteers.offers import Context

router = APIRouter(prefix="/v1/links", tags=["links"], responses=ERRORS)
Token = Annotated[str, Query(min_length=1, max_length=2000)]

ACCEPTED = "Tack! Du har fått platsen. Du får en bekräftelse med en länk om du behöver lämna återbud."
DECLINED = "Tack för beskedet. Vi frågar någon annan den här gången."
CANCELLED = "Du har lämnat återbud. Tack för att du sa till: vi frågar någon annan."
WITHDRAWN = "Du har tagit tillbaka ditt samtycke. Vi använder det inte längre."
WITHDRAWN_OFFERS = " Erbjudanden som väntade på ditt svar har vi tagit tillbaka."


def _request(row: dict[str, Any], ctx: Context) -> RequestForVolunteer:
    return RequestForVolunteer(
        pool_name=row["pool_name"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        timezone=ctx.timezone,
        place=row["place"],
        needs=row["needs"],
        status=row["status"],
    )


@router.get("/offer", response_model=OfferView)
async def show_offer(token: Token, conn: ConnDep, _who: Visitor, ctx: ContextDep) -> OfferView:
    seen = await offers.show(conn=conn, token=token, ctx=ctx)
    offer = seen["offer"]
    return OfferView(
        offer_id=offer["id"],
        action=seen["action"],
        status=offer["status"],
        expires_at=offer["expires_at"],
        can_answer=seen["can_answer"],
        volunteer_name=seen["volunteer_name"],
        request=_request(seen["request"], ctx),
    )


@router.post("/offer", response_model=OfferAnswer)
async def answer_offer(body: LinkToken, conn: ConnDep, _who: Visitor, ctx: ContextDep) -> OfferAnswer:
    """Accept or decline, as the link says; once."""
    answer = await offers.answer(conn=conn, token=body.token, ctx=ctx)
    return OfferAnswer(
        offer_id=answer.offer["id"],
        status=answer.offer["status"],
        assignment_id=answer.assignment["id"] if answer.assignment else None,
        message=ACCEPTED if answer.action == "accept" else DECLINED,
    )


@router.get("/assignment", response_model=AssignmentView)
async def show_assignment(token: Token, conn: ConnDep, _who: Visitor, ctx: ContextDep) -> AssignmentView:
    seen = await offers.show_assignment(conn=conn, token=token, ctx=ctx)
    return AssignmentView(
        assignment_id=seen["assignment"]["id"],
        status=seen["assignment"]["status"],
        can_cancel=seen["can_cancel"],
        request=_request(seen["request"], ctx),
    )


@router.post("/assignment/cancel", response_model=AssignmentCancelled)
async def cancel_assignment(
    body: CancelByLink, conn: ConnDep, _who: Visitor, ctx: ContextDep
) -> AssignmentCancelled:
    row = await offers.cancel_by_link(conn=conn, token=body.token, reason=body.reason, ctx=ctx)
    return AssignmentCancelled(assignment_id=row["id"], status=row["status"], message=CANCELLED)


@router.get("/consents", response_model=ConsentsView)
async def show_consents(token: Token, conn: ConnDep, _who: Visitor, ctx: LinkContextDep) -> ConsentsView:
    """The consents the person has given and not withdrawn; changes nothing."""
    rows = await consents.standing_by_link(conn=conn, token=token, ctx=ctx)
    return ConsentsView(consents=[ConsentForVolunteer.model_validate(r) for r in rows])


@router.post("/consents", response_model=ConsentWithdrawnByLink)
async def withdraw_consent(
    body: ConsentWithdrawByLink, conn: ConnDep, _who: Visitor, ctx: LinkContextDep, offer_ctx: ContextDep
) -> ConsentWithdrawnByLink:
    """The person withdraws one purpose; the consent to offers takes their waiting offers with it."""
    row, taken_back = await consents.withdraw_by_link(
        conn=conn, token=body.token, purpose=body.purpose, ctx=ctx, offer_ctx=offer_ctx
    )
    return ConsentWithdrawnByLink(
        detail=WITHDRAWN + (WITHDRAWN_OFFERS if taken_back else ""),
        purpose=row["purpose"],
        withdrawn_at=row["withdrawn_at"],
        offers_withdrawn=taken_back,
    )
