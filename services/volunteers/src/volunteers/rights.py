"""Rights requests: everything held about a volunteer exported as JSON, or erased on request
keeping only what accounting must keep (hours and fees, under the volunteer's id, which names
nobody once the profile is gone).

A request goes out on the bus (volunteers.export.requested.v1 / volunteers.erasure.requested.v1)
so that every service named in VOLUNTEERS_RIGHTS_SERVICES does its part and answers
(`<service>.export.completed.v1` / `<service>.erasure.completed.v1`, docs/rights.md). This
service does its own part at once, in the request's transaction. A request is complete when every
named service has answered; failed when one of them could not do its part, and then the
administrator can ask the failed services again (`retry_request`).

The erasure request carries the person's name and contact details, since the other services know
them by those and not by our id. Once every service has done its part, that event is deleted from
the outbox too, with every published event that still names the person; after a failure it stays,
since asking again needs it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg
from pydantic import BaseModel

from backbone.consumer import Subscription
from backbone.contracts import EventType
from backbone.envelope import Envelope
from backbone.errors import NotFound, RuleError
from backbone.logs import get_logger
from backbone.outbox import add_event
from backbone.paging import fetch_page
from volunteers.contracts import (
    ERASURE_COMPLETED,
    ERASURE_REQUESTED,
    EXPORT_COMPLETED,
    EXPORT_REQUESTED,
    RightsCompletedV1,
    RightsPerson,
    RightsRequestedV1,
)
from volunteers.sql_queries import q

log = get_logger(__name__)

Row = dict[str, Any]
RightsKind = Literal["export", "erasure"]
AnswerStatus = Literal["done", "nothing_held", "failed"]
SERVICE = "volunteers"
KINDS: tuple[RightsKind, ...] = ("export", "erasure")

_REQUESTED = {"export": EXPORT_REQUESTED, "erasure": ERASURE_REQUESTED}
_COMPLETED = {"export": EXPORT_COMPLETED, "erasure": ERASURE_COMPLETED}


def _aggregate(request_id: uuid.UUID) -> str:
    return f"rights_request/{request_id}"


def _jsonable(value: Any) -> Any:
    """Rows as plain JSON (ids, times, amounts as strings), for jsonb and for the answer."""
    return json.loads(json.dumps(value, default=str))


async def export_part(conn: asyncpg.Connection, volunteer_id: uuid.UUID) -> dict[str, Any]:
    """Everything this service holds about the volunteer, as JSON."""
    volunteer = await q.export_volunteer.fetchrow(conn, id=volunteer_id)
    parts: dict[str, Any] = {"volunteer": dict(volunteer) if volunteer else None}
    for name, query in (
        ("weekly_availability", q.export_weekly),
        ("availability_exceptions", q.export_exceptions),
        ("qualifications", q.export_qualifications),
        ("consents", q.export_consents),
        ("pools", q.export_memberships),
        ("offers", q.export_offers),
        ("assignments", q.export_assignments),
        ("hours", q.export_hours),
        ("reviews", q.export_reviews),
        ("rights_requests", q.export_rights_requests),
    ):
        parts[name] = [dict(r) for r in await query.fetch(conn, id=volunteer_id)]
    jsonable: dict[str, Any] = _jsonable(parts)
    return jsonable


async def _erase_here(conn: asyncpg.Connection, volunteer_id: uuid.UUID) -> None:
    for query in (
        q.erase_volunteer_profile,
        q.erase_weekly,
        q.erase_exceptions,
        q.erase_qualifications,
        q.erase_memberships,
        q.erase_offer_reasons,
        q.erase_assignment_reasons,
        q.erase_hours_texts,
        q.erase_review_texts,
        q.withdraw_open_reviews_of,
        q.erase_export_answers,
    ):
        await query.execute(conn, id=volunteer_id)
    await q.erase_published_events_naming.execute(conn, keep=None, volunteer_id=volunteer_id)


def _check_erasable(volunteer: Row, upcoming: int, waiting: int) -> None:
    if upcoming:
        raise RuleError(
            f"Personen har {upcoming} kommande uppdrag. Avboka uppdragen först, "
            "så att platserna kan erbjudas någon annan, och radera sedan."
        )
    if waiting:
        raise RuleError(
            f"Personen har {waiting} erbjudanden som väntar på svar. Vänta tills de är besvarade "
            "eller har gått ut, och radera sedan."
        )


async def request_rights(
    *,
    conn: asyncpg.Connection,
    kind: RightsKind,
    volunteer_id: uuid.UUID,
    services: Iterable[str],
    by: str,
    now: datetime,
) -> Row:
    """Start an export or an erasure: this service's part at once, the others asked over the bus."""
    named = list(dict.fromkeys(services))
    async with conn.transaction():
        volunteer = await q.lock_volunteer_for_rights.fetchrow(conn, id=volunteer_id)
        if volunteer is None:
            raise NotFound("Det finns ingen volontär med den id:n. Kontrollera id:t och försök igen.")
        if volunteer["status"] == "erased":
            raise RuleError("Personen är redan raderad. Det finns inget mer att radera eller lämna ut här.")
        if kind == "erasure":
            _check_erasable(
                dict(volunteer),
                await q.upcoming_assignments_of.fetchval(conn, id=volunteer_id, now=now),
                await q.waiting_offers_of.fetchval(conn, id=volunteer_id),
            )
        request_id = uuid.uuid4()
        row = dict(
            await q.insert_rights_request.fetchrow(
                conn, id=request_id, kind=kind, volunteer_id=volunteer_id, services=named, requested_by=by
            )
        )
        person = RightsPerson(name=volunteer["name"], email=volunteer["email"], phone=volunteer["phone"])
        if SERVICE in named:
            own = await export_part(conn, volunteer_id) if kind == "export" else None
            if kind == "erasure":
                await _erase_here(conn, volunteer_id)
            await q.insert_rights_answer.execute(
                conn, request_id=request_id, service=SERVICE, status="done", detail="", data=own
            )
            await add_event(
                conn,
                _COMPLETED[kind],
                RightsCompletedV1(
                    request_id=str(request_id), service=SERVICE, status="done", detail="", data=None
                ),
                aggregate_id=str(request_id),
            )
        if any(service != SERVICE for service in named):
            await add_event(
                conn,
                _REQUESTED[kind],
                RightsRequestedV1(
                    request_id=str(request_id),
                    volunteer_id=str(volunteer_id),
                    services=named,
                    person=person,
                    requested_at=now,
                ),
                aggregate_id=str(request_id),
            )
        await _complete_if_answered(conn, row, now)
    return row


async def _complete_if_answered(conn: asyncpg.Connection, request: Row, now: datetime) -> None:
    answers = await q.rights_answers_of.fetch(conn, request_id=request["id"])
    if {a["service"] for a in answers} < set(request["services"]):
        return
    status = "failed" if any(a["status"] == "failed" for a in answers) else "complete"
    await q.complete_rights_request.execute(conn, id=request["id"], status=status, completed_at=now)
    if request["kind"] == "erasure" and status == "complete":
        # Every service has done its part; now the contact details go from here too. Not after a
        # failure: the request that names the person is what asking the failed services again needs.
        await q.erase_published_events_naming.execute(conn, keep=None, volunteer_id=request["volunteer_id"])
        await q.delete_rights_request_events.execute(
            conn, aggregate=_aggregate(request["id"]), subject=ERASURE_REQUESTED.subject
        )


async def retry_request(*, conn: asyncpg.Connection, request_id: uuid.UUID, now: datetime) -> Row:
    """Ask the services that answered `failed` again, with the request as it first went out; their
    failed answers go, so that the new ones count."""
    async with conn.transaction():
        request = await q.lock_rights_request.fetchrow(conn, id=request_id)
        if request is None:
            raise NotFound("Begäran finns inte. Ladda om sidan.")
        if request["status"] != "failed":
            raise RuleError(
                "Bara en begäran där någon tjänst har misslyckats kan skickas igen. "
                "Den här väntar på svar eller är redan klar."
            )
        removed = await q.delete_failed_rights_answers.fetch(conn, request_id=request_id)
        failed = {r["service"] for r in removed}
        services = [s for s in request["services"] if s in failed]
        asked = await q.rights_request_event.fetchrow(
            conn, aggregate=_aggregate(request_id), subject=_REQUESTED[request["kind"]].subject
        )
        if asked is None:
            raise RuleError(
                "Den ursprungliga begäran finns inte längre kvar att skicka igen. "
                "Starta en ny begäran för personen."
            )
        first = RightsRequestedV1.model_validate(json.loads(asked["envelope"])["data"])
        await q.reopen_rights_request.execute(conn, id=request_id)
        await add_event(
            conn,
            _REQUESTED[request["kind"]],
            first.model_copy(update={"services": services, "requested_at": now}),
            aggregate_id=str(request_id),
        )
    return await get_request(conn=conn, request_id=request_id)


class RightsAnswer(BaseModel):
    """What this service reads of a `<service>.<kind>.completed.v1` answer (docs/rights.md)."""

    request_id: uuid.UUID
    service: str
    status: AnswerStatus
    detail: str = ""
    data: dict[str, Any] | None = None


async def record_answer(conn: asyncpg.Connection, envelope: Envelope, answer: RightsAnswer) -> None:
    """A service's answer to a rights request; a second answer, or one nobody asked for, changes nothing."""
    sender = envelope.source.removeprefix("/")
    if sender != answer.service:
        log.warning("rights answer from another service than it names", sender=sender, named=answer.service)
        return
    request = await q.lock_rights_request.fetchrow(conn, id=answer.request_id)
    if request is None or answer.service not in request["services"]:
        log.info("rights answer for no request of ours", service=answer.service)
        return
    data = answer.data if request["kind"] == "export" else None
    if data is not None and await q.erasure_asked_for.fetchval(conn, volunteer_id=request["volunteer_id"]):
        # A late export answer must not bring back what the erasure removed; the answer still counts.
        data = None
    await q.insert_rights_answer.execute(
        conn,
        request_id=answer.request_id,
        service=answer.service,
        status=answer.status,
        detail=answer.detail[:2000],
        data=data,
    )
    if request["status"] == "waiting":
        await _complete_if_answered(conn, dict(request), envelope.time)


async def get_request(*, conn: asyncpg.Connection, request_id: uuid.UUID) -> Row:
    """Where a request stands: each service's answer, and whom it still waits for."""
    request = await q.get_rights_request.fetchrow(conn, id=request_id)
    if request is None:
        raise NotFound("Begäran finns inte. Ladda om sidan.")
    answers = [dict(a) for a in await q.rights_answers_of.fetch(conn, request_id=request_id)]
    answered = {a["service"] for a in answers}
    return {
        **dict(request),
        "answers": answers,
        "waiting_for": [s for s in request["services"] if s not in answered],
    }


async def list_requests(
    *, conn: asyncpg.Connection, status: str | None, volunteer_id: uuid.UUID | None, limit: int, offset: int
) -> tuple[list[Row], int]:
    rows, total = await fetch_page(
        conn, q.list_rights_requests, status=status, volunteer_id=volunteer_id, limit=limit, offset=offset
    )
    for row in rows:
        answered = set(row.pop("answered") or [])
        row["waiting_for"] = [s for s in row["services"] if s not in answered]
    return rows, total


async def export_document(*, conn: asyncpg.Connection, request_id: uuid.UUID) -> dict[str, Any]:
    """The export of every service that has answered, by service (None: it holds nothing)."""
    request = await get_request(conn=conn, request_id=request_id)
    if request["kind"] != "export":
        raise RuleError(
            "Det här är en begäran om radering, inte om utdrag. Det finns inget utdrag att hämta."
        )
    parts = {r["service"]: r["data"] for r in await q.rights_answer_data.fetch(conn, request_id=request_id)}
    return {
        "request_id": str(request_id),
        "volunteer_id": str(request["volunteer_id"]),
        "requested_at": request["created_at"].isoformat(),
        "complete": request["status"] == "complete",
        "waiting_for": request["waiting_for"],
        "services": parts,
    }


@dataclass(frozen=True)
class AnswerWiring:
    subscriptions: list[Subscription]
    # The other subjects of the streams the answers come on: this service reads only the answers.
    ignored: frozenset[str]
    # Services named in the settings whose answers nobody has declared yet: their part of a request
    # cannot complete until they do (logged at start).
    undeclared: list[str]


def answer_wiring(
    services: Iterable[str], catalogue: dict[str, EventType], *, handled: Iterable[str] = ()
) -> AnswerWiring:
    """Subscriptions to the answers of every other service named, as far as the catalogue declares
    them, and the rest of those services' subjects as ignored (unless handled elsewhere)."""
    subscriptions: list[Subscription] = []
    undeclared: list[str] = []
    owners: set[str] = set()
    for service in dict.fromkeys(services):
        if service == SERVICE:
            continue
        subjects = [f"{service}.{kind}.completed.v1" for kind in KINDS]
        declared = [s for s in subjects if s in catalogue]
        if len(declared) < len(subjects):
            undeclared.append(service)
        subscriptions += [Subscription(s, RightsAnswer, record_answer) for s in declared]
        if declared:
            owners.add(service)
    taken = {s.subject for s in subscriptions} | set(handled)
    ignored = frozenset(
        subject for subject, et in catalogue.items() if et.owner in owners and subject not in taken
    )
    return AnswerWiring(subscriptions=subscriptions, ignored=ignored, undeclared=undeclared)
