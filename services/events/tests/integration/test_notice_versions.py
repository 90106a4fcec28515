"""Each event addressed to a registered person carries the event's version (time, place, calendar
SEQUENCE), so notify writes the person's message and .ics from it and never from an older copy."""

from __future__ import annotations

from typing import Any

from .world import person, published_event, signup, soon


async def test_registrations_and_notices_carry_the_events_sequence_as_it_rises(client: Any) -> None:
    event = await published_event(client, capacity=1)
    first, second = [await signup(client, event, person(n)) for n in range(2)]
    [created, _] = await client.outbox("events.registration.created.v1")
    assert created["sequence"] == 0 and created["ends_at"] and created["venue_name"] == "Stadsbiblioteket"
    for days in (14, 21):  # two quick reschedules: each notice its own SEQUENCE
        await client.patch(
            f"/v1/events/{event['id']}",
            {"starts_at": soon(days).isoformat(), "ends_at": soon(days, 3).isoformat()},
        )
    told = await client.outbox("events.registration.event_changed.v1")
    assert sorted(t["sequence"] for t in told) == [1, 1, 2, 2]
    await client.public("/v1/public/registrations/cancel", {"token": first["cancel_token"]})
    [offer] = await client.outbox("events.offer.made.v1")
    assert offer["sequence"] == 2 and offer["starts_at"].startswith(soon(21).isoformat()[:16])
    await client.public("/v1/public/offers/confirm", {"token": offer["confirm_token"]})
    [accepted] = await client.outbox("events.offer.accepted.v1")
    assert accepted["sequence"] == 2 and accepted["event_title"] == event["title"]
    await client.post(f"/v1/events/{event['id']}/cancel", {"reason": None}, expect=200)
    [cancelled] = await client.outbox("events.registration.event_cancelled.v1")
    assert cancelled["registration_id"] == second["id"] and cancelled["sequence"] == 3
