"""Answering a volunteer's export and erasure requests (docs/rights.md) with what notify holds.

Notify does not know the volunteers service's ids: it finds the person by email address, as it
keeps them (lower-cased). What it holds about them: the emails to that address with their
delivery log, their preferences, what waits for their digest, the registrations it copied
from the events service, the dead letters of its consumer whose message names the address, and the
address's permanent bounce. An erasure deletes what is not yet sent and what only serves the
person (the dead letters and the bounce among them), and keeps each email that was tried as a row
of the delivery log (its state, attempts and times) without the address, the text or the calendar
file. The answer goes through the outbox in the
request's transaction, once per request: `rights_answers` remembers which were answered.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import asyncpg
from pydantic import BaseModel

from backbone.deadletter_admin import payload_text
from backbone.envelope import Envelope
from backbone.logs import get_logger
from backbone.outbox import add_event
from notify.contracts import ERASURE_COMPLETED, EXPORT_COMPLETED, RightsCompletedV1
from notify.mailing import q
from notify.preferences import address_key
from notify.settings import Settings

log = get_logger(__name__)

SERVICE = "notify"
Kind = Literal["export", "erasure"]
# docs/rights.md: keep an export's part well under 200 KiB (an event is at most 256 KiB). Past
# this the oldest emails' texts are left out, and the part says how many.
EXPORT_BUDGET_BYTES = 150 * 1024
# A dead letter's message as the administrators' page shows it (its start, and its whole size).
DEAD_LETTER_SHOWN_BYTES = 4096


# -- the request (the volunteers service's contract; only what notify reads) ----------------------


class RightsPerson(BaseModel):
    name: str
    email: str | None = None
    phone: str | None = None  # notify keeps no phone numbers


class RightsRequested(BaseModel):
    request_id: str
    services: list[str]
    person: RightsPerson


Handler = Callable[[asyncpg.Connection, Envelope, RightsRequested, Settings], Awaitable[None]]


def answer(kind: Kind) -> Handler:
    """The handler of one kind of request (the table in consumers.py names both)."""

    async def handle(
        conn: asyncpg.Connection, event: Envelope, data: RightsRequested, settings: Settings
    ) -> None:
        await answer_request(conn, kind=kind, data=data)

    return handle


async def answer_request(conn: asyncpg.Connection, *, kind: Kind, data: RightsRequested) -> None:
    """Do notify's part of the request and answer it; a request answered before changes nothing."""
    if SERVICE not in data.services:
        return  # asked of other services only: nobody waits for notify's answer
    request_id = uuid.UUID(data.request_id)
    if await q.already_answered.fetchval(conn, request_id=request_id, kind=kind):
        return
    address = address_key(data.person.email or "")
    part: dict[str, Any] | None = None
    if not address:
        held = False  # notify writes only to addresses
    elif kind == "export":
        part = await export_part(conn, address=address)
        held = any(
            part[key]
            for key in ("emails", "preferences", "digest_items", "registrations", "dead_letters", "bounced")
        )
    else:
        held = await erase(conn, address=address, name=data.person.name.strip().lower())
    status = "done" if held else "nothing_held"
    await q.record_answer.execute(conn, request_id=request_id, kind=kind, status=status)
    await add_event(
        conn,
        EXPORT_COMPLETED if kind == "export" else ERASURE_COMPLETED,
        RightsCompletedV1(
            request_id=data.request_id,
            service=SERVICE,
            status=status,
            detail="",
            data=part if held else None,
        ),
        aggregate_id=data.request_id,
    )
    # The request id only: the log must not name the person.
    log.info("rights request answered", request_id=data.request_id, kind=kind, status=status)


async def export_part(conn: asyncpg.Connection, *, address: str) -> dict[str, Any]:
    """Everything notify holds about `address`, as one JSON object (times as ISO text)."""
    emails = [
        {
            "id": str(row["id"]),
            "template": row["template"],
            "category": row["category"],
            "language": row["language"],
            "subject": row["subject"],
            "body_text": row["body_text"],
            # as the delivery log shows it (deliveries.sql)
            "state": row["status"]
            if row["status"] != "pending"
            else ("deferred" if row["attempts"] or row["last_error"] else "queued"),
            "last_error": row["last_error"],
            "queued_at": row["queued_at"].isoformat(),
            "sent_at": row["sent_at"].isoformat() if row["sent_at"] else None,
            "bounced_at": row["bounced_at"].isoformat() if row["bounced_at"] else None,
            "attempts": row["attempts_log"],
        }
        for row in await q.emails_to.fetch(conn, address=address)
    ]
    chosen = await q.settings_of.fetchrow(conn, address=address)
    choices = {r["category"]: r["choice"] for r in await q.choices_of.fetch(conn, address=address)}
    part: dict[str, Any] = {
        "address": address,
        "emails": emails,
        "preferences": {
            "digest_hour": chosen["digest_hour"],
            "digest_weekday": chosen["digest_weekday"],
            "choices": choices,
        }
        if chosen
        else None,
        "digest_items": [
            {**dict(row), "created_at": row["created_at"].isoformat()}
            for row in await q.digest_items_of.fetch(conn, address=address)
        ],
        "registrations": [dict(row) for row in await q.registrations_of.fetch(conn, address=address)],
        "dead_letters": [
            {
                "id": row["id"],
                "subject": row["subject"],
                "reason": row["reason"],
                "status": row["status"],
                "dead_lettered_at": row["dead_lettered_at"].isoformat(),
                "resolved_at": row["resolved_at"].isoformat() if row["resolved_at"] else None,
                "payload": _payload(bytes(row["data"]), int(row["data_bytes"])),
            }
            for row in await q.dead_letters_naming.fetch(
                conn, address=address, shown_bytes=DEAD_LETTER_SHOWN_BYTES
            )
        ],
        "bounced": (
            {**dict(bounce), "bounced_at": bounce["bounced_at"].isoformat()}
            if (bounce := await q.bounce_of.fetchrow(conn, address=address))
            else None
        ),
    }
    _fit(part)
    return part


def _payload(shown: bytes, size: int) -> str:
    text = payload_text(shown)
    return text + (f"\n… ({size - len(shown)} more bytes not shown)" if size > len(shown) else "")


def _fit(part: dict[str, Any]) -> None:
    """Leave out the texts of the oldest emails, digest items and dead letters until the part fits."""
    # oldest emails first
    texts = [
        *((e, "body_text") for e in reversed(part["emails"])),
        *((d, "body_text") for d in part["digest_items"]),
        *((d, "payload") for d in part["dead_letters"]),
    ]
    left_out = 0
    while texts and len(json.dumps(part, default=str).encode()) > EXPORT_BUDGET_BYTES:
        item, key = texts.pop(0)
        if item.get(key):
            item[key] = None
            left_out += 1
    if left_out:
        part["texts_left_out"] = left_out


async def erase(conn: asyncpg.Connection, *, address: str, name: str) -> bool:
    """Delete or scrub everything that names `address` (and, in servers' answers, `name`); whether
    anything was held."""
    changed = 0
    # The attempts' reasons before the emails lose the address they are found by.
    for query in (
        q.scrub_attempts,
        q.forget_unsent_emails,
        q.scrub_emails,
        q.forget_digest_items,
        q.forget_preferences,
        q.forget_registrations,
        q.forget_export_answers,
        q.forget_dead_letters,
        q.forget_bounce,
    ):
        status = await query.execute(conn, **_params(query.params, address=address, name=name))
        changed += int(status.rsplit(" ", 1)[-1])
    return changed > 0


def _params(names: tuple[str, ...], **values: str) -> dict[str, str]:
    return {name: values[name] for name in names}
