"""Asking the volunteers service for helpers for an event: the request is kept, shown, and put on the bus."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from backbone.envelope import new_envelope
from events.consumers import subscriptions

from .world import published_event

REQUESTED = "events.helpers.requested.v1"


async def test_staff_ask_for_helpers_and_the_request_is_on_the_bus_and_on_the_event(client: Any) -> None:
    event = await published_event(client)
    start = datetime.fromisoformat(event["starts_at"])
    body = {
        "pool_key": "grillvärdar",
        "seats": 3,
        "starts_at": (start - timedelta(hours=1)).isoformat(),
        "ends_at": event["ends_at"],
        "needs": "Van vid grill, tål rök",
    }
    made = await client.post(f"/v1/events/{event['id']}/helpers", body)
    # The place is the event's unless another is given.
    assert made["place"] == "Stadsbiblioteket, Kungsgatan 1, Lund" and made["seats"] == 3
    listed = await client.get(f"/v1/events/{event['id']}/helpers", as_=("org_representative",))
    assert [r["id"] for r in listed] == [made["id"]]
    (sent,) = await client.outbox(REQUESTED)
    assert sent["request_id"] == made["id"] and sent["event_id"] == event["id"]
    assert (
        sent["pool_key"] == "grillvärdar" and sent["seats"] == 3 and sent["needs"] == "Van vid grill, tål rök"
    )
    assert sent["event_title"] == event["title"] and sent["timezone"] == client.settings.timezone
    assert datetime.fromisoformat(sent["starts_at"]) == start - timedelta(hours=1)


async def test_a_request_for_helpers_that_cannot_be_met_is_refused_and_nothing_is_sent(client: Any) -> None:
    event = await published_event(client)
    url = f"/v1/events/{event['id']}/helpers"
    backwards = {
        "pool_key": "värdar",
        "seats": 2,
        "starts_at": event["ends_at"],
        "ends_at": event["starts_at"],
    }
    answer = await client.call("POST", url, json=backwards, expect=409)
    assert "slutar innan" in answer.json()["detail"]
    assert (await client.call("POST", url, json={"pool_key": "värdar", "seats": 0})).status_code == 422
    await client.post(f"/v1/events/{event['id']}/cancel", {"reason": None}, expect=200)
    cancelled = await client.call("POST", url, json={"pool_key": "värdar", "seats": 2}, expect=409)
    assert "inställt" in cancelled.json()["detail"]
    await client.call(
        "POST", url, json={"pool_key": "värdar", "seats": 2}, as_=("org_representative",), expect=403
    )
    assert await client.outbox(REQUESTED) == []


async def _confirmed_counts(client: Any, event_id: str) -> list[tuple[int, int]]:
    listed = await client.get(f"/v1/events/{event_id}/helpers")
    return [(r["confirmed"], r["seats"]) for r in listed]


async def deliver(client: Any, subject: str, data: dict[str, Any], *, times: int = 2) -> None:
    """Hand a volunteers event to its handler as the consumer does (twice: as a redelivery would)."""
    [sub] = [s for s in subscriptions(client.settings) if s.subject == subject]
    env = new_envelope(
        subject=subject, source="/volunteers", data=data, aggregate="request/x", correlation_id=None
    )
    for _ in range(times):
        async with client.pool.acquire() as conn, conn.transaction():
            await sub.handler(conn, env, sub.model.model_validate(env.data))


def _confirmed(request_id: str, assignment_id: str, *, source: str = "events") -> dict[str, Any]:
    # Every field volunteers.assignment.confirmed.v1 carries (its contracts.py); events reads a few.
    return {
        "request_id": str(uuid.uuid4()),
        "pool_id": str(uuid.uuid4()),
        "pool_key": "grillvardar",
        "pool_name": "Grillvärdar",
        "starts_at": "2027-05-01T10:00:00+00:00",
        "ends_at": "2027-05-01T14:00:00+00:00",
        "timezone": "Europe/Stockholm",
        "place": "Gröningen",
        "source": source,
        "source_ref": request_id,
        "assignment_id": assignment_id,
        "offer_id": None,
        "volunteer_id": str(uuid.uuid4()),
        "cancel_token": "t",
        "recipient": {
            "name": "Ada",
            "email": "ada@example.se",
            "phone": None,
            "language": "sv",
            "channel": "email",
        },
    }


async def test_confirmed_helpers_are_counted_once_each_and_a_cancellation_lowers_the_count(
    client: Any,
) -> None:
    event = await published_event(client)
    asked = await client.post(f"/v1/events/{event['id']}/helpers", {"pool_key": "grillvardar", "seats": 3})
    assert await _confirmed_counts(client, event["id"]) == [(0, 3)]
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    await deliver(client, "volunteers.assignment.confirmed.v1", _confirmed(asked["id"], first))
    await deliver(client, "volunteers.assignment.confirmed.v1", _confirmed(asked["id"], second))
    # Another request's assignment, made in the volunteers service by staff, counts nowhere here.
    staff_made = _confirmed("staff-ask", str(uuid.uuid4()), source="staff")
    await deliver(client, "volunteers.assignment.confirmed.v1", staff_made)
    assert await _confirmed_counts(client, event["id"]) == [(2, 3)]
    cancelled = {
        "assignment_id": first,
        "request_id": str(uuid.uuid4()),
        "volunteer_id": str(uuid.uuid4()),
        "cancelled_by": "volunteer",
        "reason": None,
    }
    await deliver(client, "volunteers.assignment.cancelled.v1", cancelled)
    assert await _confirmed_counts(client, event["id"]) == [(1, 3)]
    # A confirmation told again after the cancellation (a replayed message) does not bring it back.
    await deliver(client, "volunteers.assignment.confirmed.v1", _confirmed(asked["id"], first), times=1)
    assert await _confirmed_counts(client, event["id"]) == [(1, 3)]
