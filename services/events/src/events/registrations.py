"""Registration, the waiting list and its offers: use cases on a connection, one transaction each.

Every change to an event's registrations first locks the event's row, so registrations, cancellations,
answers and expiries of one event take turns: the count of places held is always read by the one
transaction that may change it, and no place is given twice or lost.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from backbone import paging
from backbone.errors import NotFound, RuleError
from backbone.logs import get_logger
from backbone.outbox import add_event, add_events
from events import contracts as c
from events import model
from events.links import Action, Link, Signer
from events.sql_queries import q

log = get_logger(__name__)
Row = dict[str, Any]
ENDED = ("cancelled", "declined", "expired")


@dataclass(frozen=True)
class NewRegistration:
    name: str
    email: str | None
    phone: str | None
    organisation_id: uuid.UUID | None = None
    accessibility: list[str] = field(default_factory=list)
    food: str | None = None


@dataclass(frozen=True)
class Duplicates:
    """How a second registration of the same person (same address or number) is answered."""

    # False on the public form: its answer must not tell anyone whether an address is registered,
    # so a duplicate is answered like a new registration (and nothing is stored).
    tell: bool = True
    # A representative: only their own organisation's registrations count (they see no others).
    within: uuid.UUID | None = None


@dataclass(frozen=True)
class Context:
    """What every registration use case needs besides the connection."""

    signer: Signer
    zone: ZoneInfo
    now: datetime

    @property
    def timezone(self) -> str:
        return self.zone.key


@dataclass(frozen=True)
class Receipt:
    registration: Row
    cancel_token: str


def _person(reg: Row) -> c.Person:
    return c.Person(name=reg["name"], email=reg["email"], phone=reg["phone"])


def cancel_token(event: Row, reg: Row, ctx: Context) -> str:
    """The registration's cancellation link: it works until the event ends (and cancels only until
    it starts, see `cancel_by_link`)."""
    return ctx.signer.sign(Link(reg["id"], "cancel", event["ends_at"]), now=ctx.now)


def about(event: Row, reg: Row, ctx: Context) -> dict[str, Any]:
    """The fields every event addressed to a registered person starts with: who, and which event."""
    return {
        "registration_id": str(reg["id"]),
        "event_id": str(event["id"]),
        "event_title": event["title"],
        "starts_at": event["starts_at"],
        "timezone": ctx.timezone,
        "person": _person(reg),
    }


def version_of(event: Row) -> dict[str, Any]:
    """The event's version a registration's event carries, so its confirmation needs no other copy."""
    return {
        "ends_at": event["ends_at"],
        "venue_name": event["venue_name"],
        "venue_address": event["venue_address"],
        "sequence": event["sequence"],
    }


async def _locked_event(conn: asyncpg.Connection, event_id: uuid.UUID) -> Row:
    event = await q.lock_event.fetchrow(conn, id=event_id)
    if event is None:
        raise NotFound(f"Det finns inget evenemang med id {event_id}.")
    return dict(event)


async def _counts(conn: asyncpg.Connection, event_id: uuid.UUID) -> dict[str, int]:
    rows = await q.count_by_status.fetch(conn, event_id=event_id)
    return {r["status"]: int(r["n"]) for r in rows}


def holding(counts: dict[str, int]) -> int:
    return sum(counts.get(s, 0) for s in model.HOLDS_PLACE)


async def register(
    *,
    conn: asyncpg.Connection,
    event_id: uuid.UUID,
    person: NewRegistration,
    ctx: Context,
    by: str | None,
    public: bool,
    duplicates: Duplicates = Duplicates(),
) -> Receipt | None:
    """Register one person: with a place while there is one and nobody waits, else on the waiting list.

    None: the person was registered already, and `duplicates` says not to tell."""
    return (await register_together(conn=conn, event_id=event_id, people=[person], ctx=ctx, by=by,
                                    public=public, duplicates=duplicates))[0]


async def register_many(
    *,
    conn: asyncpg.Connection,
    event_id: uuid.UUID,
    people: list[NewRegistration],
    ctx: Context,
    by: str | None,
    public: bool,
    duplicates_within: uuid.UUID | None = None,
) -> list[Receipt]:
    """Several people at once (an organisation's members), in the order given, all or none."""
    told = Duplicates(tell=True, within=duplicates_within)
    receipts = await register_together(conn=conn, event_id=event_id, people=people, ctx=ctx, by=by,
                                       public=public, duplicates=told)
    return [r for r in receipts if r is not None]  # a duplicate is told, so it raised


async def register_together(
    *,
    conn: asyncpg.Connection,
    event_id: uuid.UUID,
    people: list[NewRegistration],
    ctx: Context,
    by: str | None,
    public: bool,
    duplicates: Duplicates,
) -> list[Receipt | None]:
    """Register `people` in the order given, in one transaction under the event's lock, with the same
    rules as one by one: a place while there is one and nobody waits, else the waiting list; the same
    address or number twice (already registered, or earlier in `people`) is one registration.

    A receipt per person, None for a duplicate that `duplicates` says not to tell (else it raises, and
    nobody is registered). However many people, a handful of statements and one commit: registrations
    that arrive together (registration_desk) share the commit, the slow part of each."""
    async with conn.transaction():
        event = await _locked_event(conn, event_id)
        # The public side does not learn that drafts and staff events exist.
        if public and (event["audience"] != "public" or event["status"] == "draft"):
            raise NotFound(f"Det finns inget evenemang med id {event['id']}.")
        model.check_registration_open(model.Window.of(event), ctx.now, ctx.zone)
        keys = [(p.email.lower() if p.email else None, model.phone_key(p.phone)) for p in people]
        known = await q.active_contacts_among.fetch(
            conn,
            event_id=event["id"],
            emails=[e for e, _ in keys if e],
            phone_keys=[k for _, k in keys if k],
            organisation_id=duplicates.within,
        )
        emails = {r["email"] for r in known if r["email"]}
        phones = {r["phone_key"] for r in known if r["phone_key"]}
        counts = await _counts(conn, event["id"])
        left = model.places_left(event["capacity"], holding(counts))
        waiting = counts.get("waiting", 0)
        rows: list[dict[str, Any] | None] = []
        for p, (email, phone) in zip(people, keys, strict=True):
            if (email and email in emails) or (phone and phone in phones):
                if not duplicates.tell:
                    rows.append(None)
                    continue
                twin = next((t for t in known if (email and t["email"] == email)
                             or (phone and t["phone_key"] == phone)), None)
                where = "på väntelistan" if twin is not None and twin["status"] == "waiting" else "anmäld"
                raise RuleError(
                    f"{p.name} är redan {where} med den e-postadressen eller det telefonnumret. "
                    "Vill du avboka, använd länken i bekräftelsen."
                )
            # The same person later in `people` is a duplicate of this one.
            if email:
                emails.add(email)
            if phone:
                phones.add(phone)
            if (left is None or left > 0) and not waiting:
                status = "registered"
                left = None if left is None else left - 1
            else:
                status = "waiting"
                waiting += 1
            # Questions the event does not ask are not stored: the least personal data that does the job.
            rows.append({
                "n": len(rows),
                "id": str(uuid.uuid4()),
                "name": p.name,
                "email": p.email,
                "phone": p.phone,
                "phone_key": phone,
                "organisation_id": str(p.organisation_id) if p.organisation_id else None,
                "accessibility": sorted(set(p.accessibility)) if event["asks_accessibility"] else [],
                "food": p.food if event["asks_food"] else None,
                "status": status,
            })
        new = [r for r in rows if r is not None]
        if not new:
            return [None] * len(rows)
        stored = {
            r["id"]: dict(r)
            for r in await q.insert_registrations.fetch(
                conn, event_id=event["id"], people=json.dumps(new), registered_by=by
            )
        }
        receipts: list[Receipt | None] = []
        announced = []
        for row in rows:
            if row is None:
                receipts.append(None)
                continue
            reg = stored[uuid.UUID(row["id"])]
            token = cancel_token(event, reg, ctx)
            receipts.append(Receipt(reg, token))
            announced.append((
                c.RegistrationCreatedV1(
                    **about(event, reg, ctx),
                    **version_of(event),
                    status=reg["status"],
                    organisation_id=str(reg["organisation_id"]) if reg["organisation_id"] else None,
                    cancel_token=token,
                ),
                str(reg["id"]),
            ))
        await add_events(conn, c.REGISTRATION_CREATED, announced)
    return receipts


async def cancel_by_link(*, conn: asyncpg.Connection, token: str, ctx: Context) -> Row:
    link = ctx.signer.read(token, expected="cancel", now=ctx.now)
    return await cancel(conn=conn, registration_id=link.registration_id, ctx=ctx, by_link=True)


async def cancel(
    *,
    conn: asyncpg.Connection,
    registration_id: uuid.UUID,
    ctx: Context,
    event_id: uuid.UUID | None = None,
    organisation_scope: uuid.UUID | None = None,
    by_link: bool = False,
) -> Row:
    """Cancel a registration or waiting-list entry; a place it held goes to the next in line.

    `organisation_scope`: a representative cancels only their own organisation's registrations.
    `by_link`: the person's own link, which cancels only until the event starts."""
    async with conn.transaction():
        event, reg = await _locked_pair(conn, registration_id)
        outside = organisation_scope is not None and reg["organisation_id"] != organisation_scope
        if (event_id is not None and event["id"] != event_id) or outside:
            raise NotFound(f"Evenemanget {event_id} har ingen anmälan med id {registration_id}.")
        _check_cancellable(reg, event, ctx.now, by_link=by_link)
        done = dict(await q.set_registration_status.fetchrow(conn, id=reg["id"], status="cancelled"))
        await add_event(
            conn,
            c.REGISTRATION_CANCELLED,
            c.RegistrationCancelledV1(
                registration_id=str(reg["id"]), event_id=str(event["id"]), previous_status=reg["status"]
            ),
            aggregate_id=str(reg["id"]),
        )
        if reg["status"] in model.HOLDS_PLACE:
            await fill_places(conn, event, ctx)
    return done


def _check_cancellable(reg: Row, event: Row, now: datetime, *, by_link: bool) -> None:
    if reg["status"] in ENDED:
        raise RuleError("Anmälan är redan avbokad. Du behöver inte göra något mer.")
    if by_link and now >= event["starts_at"]:
        raise RuleError(
            "Evenemanget har redan börjat, så anmälan kan inte avbokas längre. "
            "Kontakta arrangören om du har frågor."
        )


def _check_offer_answerable(reg: Row, event: Row, link: Link, now: datetime) -> None:
    if event["status"] == "cancelled":
        raise RuleError("Evenemanget är inställt, så erbjudandet gäller inte längre.")
    _check_offer_open(reg, link, now)


async def _locked_pair(conn: asyncpg.Connection, registration_id: uuid.UUID) -> tuple[Row, Row]:
    """The registration's event and then the registration itself, locked in that order."""
    found = await q.get_registration.fetchrow(conn, id=registration_id)
    if found is None:
        raise NotFound("Anmälan finns inte. Den kan ha tagits bort efter evenemanget.")
    event = await _locked_event(conn, found["event_id"])
    reg = dict(await q.lock_registration.fetchrow(conn, id=registration_id))
    return event, reg


async def look_up(*, conn: asyncpg.Connection, token: str, action: Action, ctx: Context) -> tuple[Row, Row]:
    """The registration and event a personal link is about, changing nothing: the page a link opens
    shows this and asks the person to press a button (so that mail scanners following links do not
    cancel or answer for them). A link that could no longer act is refused as the button would be."""
    link = ctx.signer.read(token, expected=action, now=ctx.now)
    reg = await q.get_registration.fetchrow(conn, id=link.registration_id)
    if reg is None:
        raise NotFound("Anmälan finns inte. Den kan ha tagits bort efter evenemanget.")
    event = dict(await q.get_event.fetchrow(conn, id=reg["event_id"]))
    # A link that can no longer act says so now, instead of showing a button that would be refused.
    if action == "cancel":
        _check_cancellable(dict(reg), event, ctx.now, by_link=True)
    else:
        _check_offer_answerable(dict(reg), event, link, ctx.now)
    return dict(reg), event


async def answer_offer(*, conn: asyncpg.Connection, token: str, accept: bool, ctx: Context) -> Row:
    """Take (accept) or give back the place an offer holds, through the offer's own link."""
    link = ctx.signer.read(token, expected="confirm" if accept else "decline", now=ctx.now)
    async with conn.transaction():
        event, reg = await _locked_pair(conn, link.registration_id)
        _check_offer_answerable(reg, event, link, ctx.now)
        if accept:
            done = dict(await q.set_registration_status.fetchrow(conn, id=reg["id"], status="registered"))
            await add_event(
                conn,
                c.OFFER_ACCEPTED,
                c.OfferAcceptedV1(
                    registration_id=str(reg["id"]),
                    event_id=str(event["id"]),
                    cancel_token=cancel_token(event, reg, ctx),
                    event_title=event["title"],
                    starts_at=event["starts_at"],
                    timezone=ctx.timezone,
                    **version_of(event),
                ),
                aggregate_id=str(reg["id"]),
            )
        else:
            done = dict(await q.set_registration_status.fetchrow(conn, id=reg["id"], status="declined"))
            await add_event(
                conn,
                c.OFFER_DECLINED,
                c.OfferAnsweredV1(registration_id=str(reg["id"]), event_id=str(event["id"])),
                aggregate_id=str(reg["id"]),
            )
            await fill_places(conn, event, ctx)
    return done


def _check_offer_open(reg: Row, link: Link, now: datetime) -> None:
    if reg["offer_round"] != link.offer_round:
        raise RuleError("Länken hör till ett äldre erbjudande. Använd länken i det senaste mejlet.")
    if reg["status"] == "registered":
        raise RuleError("Du har redan tackat ja. Platsen är din; du behöver inte göra något mer.")
    if reg["status"] in ("declined", "cancelled"):
        raise RuleError("Du har redan svarat på erbjudandet, så länken gäller inte längre.")
    if reg["status"] == "expired" or (reg["status"] == "offered" and reg["offer_expires_at"] <= now):
        raise RuleError(
            "Erbjudandet har gått ut, och platsen har gått vidare till nästa i kön. Kontakta arrangören "
            "om du ändå vill komma."
        )
    if reg["status"] != "offered":
        raise RuleError("Det finns inget erbjudande att svara på för den här anmälan.")


async def expire_offers(*, conn: asyncpg.Connection, ctx: Context, limit: int = 100) -> int:
    """End the offers whose time ran out and offer their places to the next in line; how many ended."""
    ended = 0
    for row in await q.events_with_expired_offers.fetch(conn, now=ctx.now, limit=limit):
        # One event that fails (its transaction rolled back) must not hold up the others' offers.
        try:
            ended += await _expire_offers_of(conn, row["event_id"], ctx)
        except Exception as exc:  # noqa: BLE001 - logged; the next round tries it again
            log.warning("offer expiry failed", event_id=str(row["event_id"]), error=type(exc).__name__)
    return ended


async def _expire_offers_of(conn: asyncpg.Connection, event_id: uuid.UUID, ctx: Context) -> int:
    ended = 0
    async with conn.transaction():
        event = await _locked_event(conn, event_id)
        for reg in await q.expired_offers_of_event.fetch(conn, event_id=event["id"], now=ctx.now):
            await q.set_registration_status.execute(conn, id=reg["id"], status="expired")
            await add_event(
                conn,
                c.OFFER_EXPIRED,
                c.OfferExpiredV1(
                    registration_id=str(reg["id"]), event_id=str(event["id"]), expired_at=ctx.now
                ),
                aggregate_id=str(reg["id"]),
            )
            ended += 1
        await fill_places(conn, event, ctx)
    return ended


async def fill_places(conn: asyncpg.Connection, event: Row, ctx: Context) -> None:
    """Give free places to the waiting list, first come first served: an offer, or directly a place.

    The caller holds the event's lock (and has written what freed the place)."""
    if event["status"] == "cancelled" or not model.may_offer(now=ctx.now, starts_at=event["starts_at"]):
        return
    counts = await _counts(conn, event["id"])
    left = model.places_left(event["capacity"], holding(counts))
    while left is None or left > 0:
        nxt = await q.next_waiting.fetchrow(conn, event_id=event["id"])
        if nxt is None:
            return
        if event["waitlist_mode"] == "promote":
            await _promote(conn, event, dict(nxt), ctx)
        else:
            await _offer(conn, event, dict(nxt), ctx)
        if left is not None:
            left -= 1


async def _promote(conn: asyncpg.Connection, event: Row, reg: Row, ctx: Context) -> None:
    await q.set_registration_status.execute(conn, id=reg["id"], status="registered")
    await add_event(
        conn,
        c.REGISTRATION_PROMOTED,
        c.RegistrationPromotedV1(
            **about(event, reg, ctx),
            **version_of(event),
            cancel_token=cancel_token(event, reg, ctx),
        ),
        aggregate_id=str(reg["id"]),
    )


async def _offer(conn: asyncpg.Connection, event: Row, reg: Row, ctx: Context) -> None:
    hold = model.offer_hold(now=ctx.now, starts_at=event["starts_at"], hours=event["offer_hours"])
    offered = dict(await q.make_offer.fetchrow(conn, id=reg["id"], expires_at=ctx.now + hold))
    round_, expires = offered["offer_round"], offered["offer_expires_at"]
    await add_event(
        conn,
        c.OFFER_MADE,
        c.OfferMadeV1(
            **about(event, reg, ctx),
            **version_of(event),
            expires_at=offered["offer_expires_at"],
            confirm_token=ctx.signer.sign(Link(reg["id"], "confirm", expires, round_), now=ctx.now),
            decline_token=ctx.signer.sign(Link(reg["id"], "decline", expires, round_), now=ctx.now),
        ),
        aggregate_id=str(reg["id"]),
    )


async def list_registrations(
    *,
    conn: asyncpg.Connection,
    event_id: uuid.UUID,
    status: str | None,
    organisation_id: uuid.UUID | None,
    limit: int,
    offset: int,
    name: str | None = None,
) -> tuple[list[Row], int]:
    """A page of an event's registrations in queue order; `name`: a part of the name (check-in's search)."""
    if await q.get_event.fetchrow(conn, id=event_id) is None:
        raise NotFound(f"Det finns inget evenemang med id {event_id}.")
    # The search is for text as typed: % and _ in it are not patterns.
    like = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") if name else None
    return await paging.fetch_page(
        conn,
        q.list_registrations,
        event_id=event_id,
        status=status,
        organisation_id=organisation_id,
        name=like,
        limit=limit,
        offset=offset,
    )


async def summary(
    *, conn: asyncpg.Connection, event_id: uuid.UUID, organisation_id: uuid.UUID | None = None
) -> dict[str, Any]:
    """Counts per status and registered people per organisation (organisation None: nobody's).
    `organisation_id`: that organisation's registrations only (a representative's view)."""
    if organisation_id is None:
        counts = await _counts(conn, event_id)
    else:
        rows = await q.count_by_status_of_organisation.fetch(
            conn, event_id=event_id, organisation_id=organisation_id
        )
        counts = {r["status"]: int(r["n"]) for r in rows}
    per_org = await q.counts_by_organisation.fetch(conn, event_id=event_id, organisation_id=organisation_id)
    # A new audience after publishing keeps earlier registrations; staff are shown how many there are,
    # so they can check whether each still belongs (the service cannot tell who is in which group).
    changed = await q.last_change_of_kind.fetchval(conn, event_id=event_id, change="audience")
    before_change = None
    if changed is not None:
        before_change = await q.count_active_created_before.fetchval(conn, event_id=event_id, before=changed)
        if organisation_id is not None:
            before_change = None  # staff's warning; a representative's summary holds only counts
    return {
        "registered_before_audience_change": before_change,
        "counts": counts,
        "per_organisation": [
            {"organisation_id": r["organisation_id"], "registered": int(r["n"])} for r in per_org
        ],
    }
