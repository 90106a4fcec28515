"""Events for the tests, made through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any


def soon(days: float = 10, hours: float = 0) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days, hours=hours)).replace(microsecond=0)


async def published_event(client: Any, **fields: Any) -> dict[str, Any]:
    start = fields.pop("starts_at", soon())
    body = {
        "title": "Utvecklingsdag",
        "kind": "workshop",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=3)).isoformat(),
        "venue_name": "Stadsbiblioteket",
        "venue_address": "Kungsgatan 1, Lund",
        **fields,
    }
    event = await client.post("/v1/events", body)
    return await client.post(f"/v1/events/{event['id']}/publish", expect=200)


def person(n: int) -> dict[str, Any]:
    return {"name": f"Person {n}", "email": f"person{n}@example.se"}


RECEIVED = 202


async def signup(client: Any, event: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """Register on the public form. Its answer says only "check your email"; where the person stands
    and their cancellation link are read from what the mail would carry (the outbox)."""
    answer = await client.public(f"/v1/public/events/{event['id']}/registrations", body, expect=RECEIVED)
    assert answer["event_id"] == event["id"] and "id" not in answer and "cancel_token" not in answer
    return await mailed(client, event, body)


async def mailed(client: Any, event: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """The newest registration.created of `event` for the person in `body` (by address or number)."""
    created = [
        c
        for c in await client.outbox("events.registration.created.v1")
        if c["event_id"] == event["id"]
        and c["person"]["email"] == body.get("email")
        and c["person"]["phone"] == body.get("phone")
    ]
    assert created, f"no registration.created for {body}"
    last = created[-1]
    return {"id": last["registration_id"], "status": last["status"], "cancel_token": last["cancel_token"]}
