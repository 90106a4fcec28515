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
