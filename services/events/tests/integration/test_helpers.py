"""Asking the volunteers service for helpers for an event: the request is kept, shown, and put on the bus."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

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
