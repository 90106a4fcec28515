"""Offers and assignments: asking candidates in rank order, their answers, timeouts and cancellations.

Every change to a request's places takes the request's row lock first, then the volunteer's: two
answers to one request take turns (no place is given twice), and two answers of one person to
offers for overlapping times take turns on the person (the second sees the first's assignment and
is refused as a clash). Always in that order, so no two use cases wait on each other in a circle;
the exclusion constraint on assignments is the last guard. All events of one transaction are about
one request (aggregate `request`), whose lock is held.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from backbone.errors import NotFound, RuleError
from backbone.outbox import add_event
from volunteers import candidates, matching
from volunteers import contracts as c
from volunteers.links import Action, Link, Signer
from volunteers.model import ExpiredLink, Full, InvalidLink, NotEligible, UsedLink
from volunteers.sql_queries import q

Row = dict[str, Any]


@dataclass(frozen=True)
class Context:
    """What every offer use case needs besides the connection."""

    signer: Signer
    zone: ZoneInfo
    now: datetime
    # Matching counts assignments over this many days as recent.
    window_days: int = 90

    @property
    def timezone(self) -> str:
        return self.zone.key


def about_request(request: Row, ctx: Context) -> dict[str, Any]:
    """The fields every event about a request starts with."""
    return {
        "request_id": str(request["id"]),
        "pool_id": str(request["pool_id"]),
        "pool_key": request["pool_key"],
        "pool_name": request["pool_name"],
        "starts_at": request["starts_at"],
        "ends_at": request["ends_at"],
        "timezone": ctx.timezone,
        "place": request["place"],
        "source": request["source"],
        "source_ref": request["source_ref"],
    }


def recipient(volunteer: Row) -> c.Recipient:
    return c.Recipient.of(volunteer)


async def locked_request(conn: asyncpg.Connection, request_id: uuid.UUID) -> Row:
    row = await q.lock_request.fetchrow(conn, id=request_id)
    if row is None:
        raise NotFound(f"Det finns ingen förfrågan med id {request_id}.")
    return dict(row)


def _token(ctx: Context, subject: uuid.UUID, action: Action, expires_at: datetime) -> str:
    return ctx.signer.sign(Link(subject, action, expires_at), now=ctx.now)


async def send_offers(conn: asyncpg.Connection, request: Row, ctx: Context) -> int:
    """Offer the request's free places to the next candidates in rank order; the caller holds the
    request's lock. As many offers are out at a time as free places times `offers_per_place`.
    Returns how many were sent."""
    if request["status"] != "open" or request["pool_status"] != "active":
        return 0
    expires_at = min(ctx.now + timedelta(hours=int(request["offer_hours"])), request["starts_at"])
    if expires_at <= ctx.now:
        return 0  # it has started: nobody can still be asked
    taken = int(await q.count_taken.fetchval(conn, request_id=request["id"]))
    outstanding = int(await q.count_outstanding.fetchval(conn, request_id=request["id"]))
    wanted = (int(request["seats"]) - taken) * int(request["offers_per_place"]) - outstanding
    if wanted <= 0:
        return 0
    # Only the first `wanted` of the ranked are read (and phrased), none of the excluded.
    result = await candidates.match_request(
        conn,
        request,
        zone=ctx.zone,
        window_days=ctx.window_days,
        page=matching.Page(ranked_limit=wanted, excluded_limit=0),
    )
    chosen = result.ranked
    if not chosen:
        return 0
    people = {
        r["id"]: dict(r) for r in await q.volunteers_by_ids.fetch(conn, ids=[p.volunteer_id for p in chosen])
    }
    base = about_request(request, ctx)
    for place in chosen:
        offer = await q.insert_offer.fetchrow(
            conn,
            id=uuid.uuid4(),
            request_id=request["id"],
            volunteer_id=place.volunteer_id,
            rank=place.rank,
            reason=place.reason,
            expires_at=expires_at,
            sent_at=ctx.now,
        )
        await add_event(
            conn,
            c.OFFER_SENT,
            c.OfferSentV1(
                **base,
                offer_id=str(offer["id"]),
                volunteer_id=str(place.volunteer_id),
                needs=request["needs"],
                expires_at=expires_at,
                accept_token=_token(ctx, offer["id"], "accept", expires_at),
                decline_token=_token(ctx, offer["id"], "decline", expires_at),
                recipient=recipient(people[place.volunteer_id]),
            ),
            aggregate_id=str(request["id"]),
        )
    return len(chosen)


async def offer_more(*, conn: asyncpg.Connection, request_id: uuid.UUID, ctx: Context) -> int:
    """Send offers for the free places of an open request (after staff changed something)."""
    async with conn.transaction():
        return await send_offers(conn, await locked_request(conn, request_id), ctx)


async def _withdraw_outstanding(conn: asyncpg.Connection, request: Row, ctx: Context, reason: str) -> None:
    for offer in await q.outstanding_offers.fetch(conn, request_id=request["id"]):
        await q.set_offer_status.execute(conn, id=offer["id"], status="withdrawn", answered_at=ctx.now)
        await add_event(
            conn,
            c.OFFER_WITHDRAWN,
            c.OfferWithdrawnV1(
                offer_id=str(offer["id"]),
                request_id=str(request["id"]),
                volunteer_id=str(offer["volunteer_id"]),
                reason=reason,
            ),
            aggregate_id=str(request["id"]),
        )


async def withdraw_offers_of(
    conn: asyncpg.Connection, request: Row, volunteer_id: uuid.UUID, ctx: Context
) -> int:
    """Take back the offers of `request` still waiting for this person (they withdrew their consent
    to offers), and ask the next candidates as a decline does. The request is locked by the caller."""
    taken_back = 0
    for offer in await q.lock_sent_offers_of.fetch(conn, request_id=request["id"], volunteer_id=volunteer_id):
        await q.set_offer_status.execute(conn, id=offer["id"], status="withdrawn", answered_at=ctx.now)
        await add_event(
            conn,
            c.OFFER_WITHDRAWN,
            c.OfferWithdrawnV1(
                offer_id=str(offer["id"]),
                request_id=str(request["id"]),
                volunteer_id=str(volunteer_id),
                reason="consent_withdrawn",
            ),
            aggregate_id=str(request["id"]),
        )
        taken_back += 1
    if taken_back:
        await send_offers(conn, request, ctx)
    return taken_back


async def _fill_if_full(conn: asyncpg.Connection, request: Row, ctx: Context) -> bool:
    taken = await q.assignments_of_request.fetch(conn, request_id=request["id"])
    confirmed = [a for a in taken if a["status"] != "cancelled"]
    if len(confirmed) < int(request["seats"]):
        return False
    await q.set_request_status.execute(conn, id=request["id"], status="filled", cancel_reason=None)
    await _withdraw_outstanding(conn, request, ctx, "filled")
    await add_event(
        conn,
        c.REQUEST_FILLED,
        c.RequestFilledV1(
            **about_request(request, ctx),
            seats=int(request["seats"]),
            requested_by=request["requested_by"],
            requested_by_name=request["requested_by_name"],
            volunteer_ids=[str(a["volunteer_id"]) for a in confirmed],
            requested_by_contact=c.StaffContact.of(
                request["requested_by_name"], request["requested_by_email"], request["requested_by_language"]
            ),
        ),
        aggregate_id=str(request["id"]),
    )
    return True


async def _eligibility(
    conn: asyncpg.Connection, request: Row, volunteer_id: uuid.UUID, ctx: Context
) -> list[str]:
    """Why the person may not take the request now (a certificate may have expired, another
    assignment been confirmed, since the offer went out); the offer itself is not a reason."""
    need = await candidates.need_of(conn, request, zone=ctx.zone, window_days=ctx.window_days)
    found = await candidates.candidates_for(conn, request, need, volunteer_id=volunteer_id)
    if not found:
        return ["Är inte med i poolen."]
    return matching.problems(found[0]._replace(offer_status=None), need)


async def _confirm(
    conn: asyncpg.Connection, request: Row, volunteer: Row, offer: Row | None, ctx: Context
) -> Row:
    """Give `volunteer` a place; the caller holds the request's and the volunteer's locks."""
    if request["status"] != "open":
        raise Full(
            "Alla platser är redan tillsatta. Tack ändå för att du ville ställa upp."
            if request["status"] == "filled"
            else "Uppdraget är inställt. Tack ändå för att du ville ställa upp."
        )
    if int(await q.count_taken.fetchval(conn, request_id=request["id"])) >= int(request["seats"]):
        raise Full("Alla platser är redan tillsatta. Tack ändå för att du ville ställa upp.")
    problems = await _eligibility(conn, request, volunteer["id"], ctx)
    if problems:
        raise NotEligible("Uppdraget kan inte bokas: " + " ".join(problems))
    assignment = dict(
        await q.insert_assignment.fetchrow(
            conn,
            id=uuid.uuid4(),
            volunteer_id=volunteer["id"],
            request_id=request["id"],
            pool_id=request["pool_id"],
            offer_id=offer["id"] if offer else None,
            starts_at=request["starts_at"],
            ends_at=request["ends_at"],
        )
    )
    if offer is not None:
        await q.set_offer_status.execute(conn, id=offer["id"], status="accepted", answered_at=ctx.now)
        await add_event(
            conn,
            c.OFFER_ACCEPTED,
            c.OfferAnsweredV1(
                offer_id=str(offer["id"]), request_id=str(request["id"]), volunteer_id=str(volunteer["id"])
            ),
            aggregate_id=str(request["id"]),
        )
    await add_event(
        conn,
        c.ASSIGNMENT_CONFIRMED,
        c.AssignmentConfirmedV1(
            **about_request(request, ctx),
            assignment_id=str(assignment["id"]),
            offer_id=str(offer["id"]) if offer else None,
            volunteer_id=str(volunteer["id"]),
            cancel_token=_token(ctx, assignment["id"], "cancel", request["starts_at"]),
            recipient=recipient(volunteer),
        ),
        aggregate_id=str(request["id"]),
    )
    await _fill_if_full(conn, request, ctx)
    return assignment


def _answered(offer: Row) -> RuleError:
    status = offer["status"]
    if status == "accepted":
        return UsedLink("Du har redan tackat ja till uppdraget. Länken fungerar bara en gång.")
    if status == "declined":
        return UsedLink("Du har redan tackat nej till uppdraget. Länken fungerar bara en gång.")
    if status == "expired":
        return ExpiredLink("Tiden för att svara har gått ut, så uppdraget har gått vidare till någon annan.")
    return Full(
        "Alla platser är redan tillsatta, eller uppdraget är inställt. Tack ändå för att du ville ställa upp."
    )


async def _offer_of_link(conn: asyncpg.Connection, link: Link) -> Row:
    offer = await q.get_offer.fetchrow(conn, id=link.subject_id)
    if offer is None:
        # Signed by us, but for nothing we hold (an erased person's offer): as good as broken.
        raise InvalidLink("Erbjudandet finns inte längre. Kontakta samordnaren för poolen om du har frågor.")
    return dict(offer)


async def show(*, conn: asyncpg.Connection, token: str, ctx: Context) -> Row:
    """What an offer link shows (a GET): the offer and what the link would do. It changes nothing,
    since mail scanners follow links."""
    link = ctx.signer.read(token, expected=("accept", "decline"), now=ctx.now)
    offer = await _offer_of_link(conn, link)
    request = dict(await q.get_request.fetchrow(conn, id=offer["request_id"]))
    volunteer = await q.get_volunteer.fetchrow(conn, id=offer["volunteer_id"])
    return {
        "offer": offer,
        "request": request,
        "action": link.action,
        "volunteer_name": volunteer["name"] if volunteer else "",
        "can_answer": offer["status"] == "sent" and request["status"] == "open",
    }


@dataclass(frozen=True)
class Answer:
    action: Action
    offer: Row
    assignment: Row | None


async def answer(*, conn: asyncpg.Connection, token: str, ctx: Context) -> Answer:
    """Do what an offer link says (a POST): accept or decline, once."""
    link = ctx.signer.read(token, expected=("accept", "decline"), now=ctx.now)
    async with conn.transaction():
        known = await _offer_of_link(conn, link)
        request = await locked_request(conn, known["request_id"])
        offer = dict(await q.lock_offer.fetchrow(conn, id=known["id"]))
        if offer["status"] != "sent":
            raise _answered(offer)
        if offer["expires_at"] <= ctx.now:
            raise ExpiredLink(
                "Tiden för att svara har gått ut, så uppdraget har gått vidare till någon annan."
            )
        if link.action == "decline":
            await q.set_offer_status.execute(conn, id=offer["id"], status="declined", answered_at=ctx.now)
            await add_event(
                conn,
                c.OFFER_DECLINED,
                c.OfferAnsweredV1(
                    offer_id=str(offer["id"]),
                    request_id=str(request["id"]),
                    volunteer_id=str(offer["volunteer_id"]),
                ),
                aggregate_id=str(request["id"]),
            )
            await send_offers(conn, request, ctx)
            return Answer("decline", offer | {"status": "declined"}, None)
        volunteer = await q.lock_volunteer.fetchrow(conn, id=offer["volunteer_id"])
        if volunteer is None:
            raise InvalidLink(
                "Erbjudandet finns inte längre. Kontakta samordnaren för poolen om du har frågor."
            )
        assignment = await _confirm(conn, request, dict(volunteer), offer, ctx)
        return Answer("accept", offer | {"status": "accepted"}, assignment)


async def assign(
    *, conn: asyncpg.Connection, request_id: uuid.UUID, volunteer_id: uuid.UUID, ctx: Context
) -> Row:
    """Staff book a person directly (they agreed on the phone): the same rules as an acceptance."""
    async with conn.transaction():
        request = await locked_request(conn, request_id)
        volunteer = await q.lock_volunteer.fetchrow(conn, id=volunteer_id)
        if volunteer is None:
            raise NotFound(f"Det finns ingen volontär med id {volunteer_id}.")
        offer = await q.lock_outstanding_offer_of.fetchrow(
            conn, request_id=request_id, volunteer_id=volunteer_id
        )
        return await _confirm(conn, request, dict(volunteer), dict(offer) if offer else None, ctx)


async def expire_due(*, conn: asyncpg.Connection, ctx: Context, batch: int = 100) -> int:
    """End offers nobody answered in time and ask the next candidates; one transaction per request,
    so one request's trouble does not hold up the others. Returns how many offers expired."""
    expired = 0
    for row in await q.requests_with_due_offers.fetch(conn, now=ctx.now, limit=batch):
        async with conn.transaction():
            request = await locked_request(conn, row["request_id"])
            for offer in await q.due_offers_of_request.fetch(conn, request_id=request["id"], now=ctx.now):
                await q.set_offer_status.execute(conn, id=offer["id"], status="expired", answered_at=ctx.now)
                await add_event(
                    conn,
                    c.OFFER_EXPIRED,
                    c.OfferExpiredV1(
                        offer_id=str(offer["id"]),
                        request_id=str(request["id"]),
                        volunteer_id=str(offer["volunteer_id"]),
                        expired_at=ctx.now,
                    ),
                    aggregate_id=str(request["id"]),
                )
                expired += 1
            await send_offers(conn, request, ctx)
    return expired


async def _cancel(
    conn: asyncpg.Connection,
    assignment_id: uuid.UUID,
    ctx: Context,
    *,
    by: str,
    reason: str | None,
    expected_request: uuid.UUID | None = None,
) -> Row:
    known = await q.get_assignment.fetchrow(conn, id=assignment_id)
    if known is None or (expected_request is not None and known["request_id"] != expected_request):
        raise NotFound(f"Det finns inget uppdrag med id {assignment_id}.")
    request = await locked_request(conn, known["request_id"])
    assignment = dict(await q.lock_assignment.fetchrow(conn, id=assignment_id))
    if assignment["status"] == "cancelled":
        raise UsedLink("Uppdraget är redan avbokat. Inget har ändrats.")
    if assignment["starts_at"] <= ctx.now:
        raise RuleError("Uppdraget har redan börjat och kan inte avbokas här. Kontakta samordnaren.")
    row = dict(
        await q.cancel_assignment.fetchrow(
            conn, id=assignment_id, now=ctx.now, cancelled_by=by, reason=reason
        )
    )
    await add_event(
        conn,
        c.ASSIGNMENT_CANCELLED,
        c.AssignmentCancelledV1(
            assignment_id=str(assignment_id),
            request_id=str(request["id"]),
            volunteer_id=str(assignment["volunteer_id"]),
            cancelled_by=by,
            reason=reason,
        ),
        aggregate_id=str(request["id"]),
    )
    if request["status"] == "filled":
        await q.set_request_status.execute(conn, id=request["id"], status="open", cancel_reason=None)
        request["status"] = "open"
    await send_offers(conn, request, ctx)
    return row


async def show_assignment(*, conn: asyncpg.Connection, token: str, ctx: Context) -> Row:
    """What a cancel link shows (a GET): the assignment; nothing changes."""
    link = ctx.signer.read(token, expected=("cancel",), now=ctx.now)
    assignment = await q.get_assignment.fetchrow(conn, id=link.subject_id)
    if assignment is None:
        raise InvalidLink("Uppdraget finns inte längre. Kontakta samordnaren för poolen om du har frågor.")
    request = dict(await q.get_request.fetchrow(conn, id=assignment["request_id"]))
    return {
        "assignment": dict(assignment),
        "request": request,
        "can_cancel": assignment["status"] == "confirmed",
    }


async def cancel_by_link(*, conn: asyncpg.Connection, token: str, reason: str | None, ctx: Context) -> Row:
    """The volunteer cancels (a POST from their link); the place is offered again."""
    link = ctx.signer.read(token, expected=("cancel",), now=ctx.now)
    async with conn.transaction():
        return await _cancel(conn, link.subject_id, ctx, by="volunteer", reason=reason)


async def cancel_by_staff(
    *,
    conn: asyncpg.Connection,
    request_id: uuid.UUID,
    assignment_id: uuid.UUID,
    reason: str | None,
    ctx: Context,
) -> Row:
    async with conn.transaction():
        return await _cancel(conn, assignment_id, ctx, by="staff", reason=reason, expected_request=request_id)


async def cancel_request(
    *, conn: asyncpg.Connection, request_id: uuid.UUID, reason: str | None, ctx: Context
) -> Row:
    """Call a request off: its offers are withdrawn and its assignments cancelled."""
    async with conn.transaction():
        request = await locked_request(conn, request_id)
        if request["status"] == "cancelled":
            raise RuleError("Förfrågan är redan inställd. Inget har ändrats.")
        await _withdraw_outstanding(conn, request, ctx, "cancelled")
        for assignment in await q.assignments_of_request.fetch(conn, request_id=request_id):
            if assignment["status"] != "confirmed":
                continue
            await q.cancel_assignment.execute(
                conn, id=assignment["id"], now=ctx.now, cancelled_by="staff", reason=reason
            )
            await add_event(
                conn,
                c.ASSIGNMENT_CANCELLED,
                c.AssignmentCancelledV1(
                    assignment_id=str(assignment["id"]),
                    request_id=str(request_id),
                    volunteer_id=str(assignment["volunteer_id"]),
                    cancelled_by="staff",
                    reason=reason,
                ),
                aggregate_id=str(request_id),
            )
        row = dict(
            await q.set_request_status.fetchrow(conn, id=request_id, status="cancelled", cancel_reason=reason)
        )
        await add_event(
            conn,
            c.REQUEST_CANCELLED,
            c.RequestCancelledV1(**about_request(request, ctx), reason=reason),
            aggregate_id=str(request_id),
        )
        return row
