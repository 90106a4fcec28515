"""What the volunteers service does with what it consumes: an event's ask for helpers."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from backbone.envelope import new_envelope
from volunteers.consumers import subscriptions

from .conftest import Client
from .world import ADMIN, a_pool, a_volunteer, in_days, offers_sent


async def deliver(client: Client, data: dict[str, Any], times: int = 2) -> None:
    """Hand the event to its handler (twice: as a redelivery would)."""
    [sub] = [s for s in subscriptions(client.settings) if s.subject == "events.helpers.requested.v1"]
    env = new_envelope(
        subject=sub.subject,
        source="/events",
        data=data,
        aggregate=f"event/{data['event_id']}",
        correlation_id=None,
    )
    for _ in range(times):
        async with client.pool.acquire() as conn, conn.transaction():
            await sub.handler(conn, env, sub.model.model_validate(env.data))


def ask(pool_key: str, **overrides: Any) -> dict[str, Any]:
    starts = in_days(14, hour=13)
    return {
        "request_id": str(uuid.uuid4()),
        "event_id": str(uuid.uuid4()),
        "event_title": "Digital fika på Kronan",
        "pool_key": pool_key,
        "seats": 2,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "timezone": "Europe/Stockholm",
        "place": "Kronans mötesrum",
        "needs": "Visa hur man betalar räkningar i appen",
        "requested_by": "staff-eva",
    } | overrides


async def test_an_event_asking_for_helpers_becomes_one_request_with_offers(client: Client) -> None:
    pool = await a_pool(client, requirements=[])
    for _ in range(3):
        await a_volunteer(client, pool)
    data = ask(pool["key"])
    await deliver(client, data)
    listed = await client.get(f"/v1/requests?pool_id={pool['id']}", as_=ADMIN)
    [request] = listed["items"]
    assert (request["source"], request["seats"], request["requested_by"]) == ("events", 2, "staff-eva")
    seen = await client.get(f"/v1/requests/{request['id']}", as_=ADMIN)
    assert seen["source_ref"] == data["request_id"] and seen["place"] == "Kronans mötesrum"
    assert len(await offers_sent(client, request["id"])) == 2


async def test_an_ask_of_an_unknown_pool_or_in_the_past_changes_nothing(client: Client) -> None:
    pool = await a_pool(client, requirements=[])
    await deliver(client, ask("no-such-pool"))
    await deliver(
        client, ask(pool["key"], starts_at=in_days(-2).isoformat(), ends_at=in_days(-1).isoformat())
    )
    assert (await client.get(f"/v1/requests?pool_id={pool['id']}", as_=ADMIN))["total"] == 0
