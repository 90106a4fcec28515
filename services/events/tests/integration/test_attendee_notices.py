"""What each person registered is told when their event changes: a new time or place, a cancellation,
or a new audience after publishing; and what a personal link shows (only what that person needs)."""

from __future__ import annotations

import uuid
from typing import Any

from .world import person, published_event, signup, soon

CHANGED = "events.registration.event_changed.v1"
CANCELLED = "events.registration.event_cancelled.v1"


async def _filled(client: Any, **fields: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    event = await published_event(client, capacity=2, **fields)
    people = [await signup(client, event, person(n)) for n in range(4)]
    return event, people


async def test_each_person_with_a_place_or_in_the_queue_is_told_of_a_new_time_and_place(client: Any) -> None:
    event, people = await _filled(client)
    await client.post("/v1/public/registrations/cancel", {"token": people[3]["cancel_token"]}, expect=200)
    later = soon(14)
    await client.patch(
        f"/v1/events/{event['id']}",
        {"starts_at": later.isoformat(), "ends_at": soon(14, 3).isoformat(), "venue_name": "Arenan"},
    )
    told = await client.outbox(CHANGED)
    # Those who cancelled are not told; everyone else, once, with what they need for their own message.
    assert sorted(t["registration_id"] for t in told) == sorted(p["id"] for p in people[:3])
    first = next(t for t in told if t["registration_id"] == people[0]["id"])
    assert first["changes"] == ["rescheduled", "moved"] and first["status"] == "registered"
    assert first["person"]["email"] == "person0@example.se" and first["person"]["language"] == "sv"
    assert first["venue_name"] == "Arenan" and first["previous_venue_name"] == "Stadsbiblioteket"
    assert first["starts_at"].startswith(later.isoformat()[:16]) and first["cancel_token"]
    assert {t["status"] for t in told} == {"registered", "waiting"}
    # A change that attendees need not know of tells nobody.
    await client.patch(f"/v1/events/{event['id']}", {"description_sv": "Mer text"})
    assert len(await client.outbox(CHANGED)) == 3


async def test_each_person_is_told_of_a_cancellation_with_the_reason(client: Any) -> None:
    event, people = await _filled(client)
    await client.post(f"/v1/events/{event['id']}/cancel", {"reason": "Lokalen är stängd"}, expect=200)
    told = await client.outbox(CANCELLED)
    assert sorted(t["registration_id"] for t in told) == sorted(p["id"] for p in people)
    assert {t["previous_status"] for t in told} == {"registered", "waiting"}
    assert all(t["reason"] == "Lokalen är stängd" and t["person"]["name"] for t in told)


async def test_a_new_audience_after_publishing_keeps_the_registrations_tells_everyone_and_is_in_the_history(
    client: Any,
) -> None:
    event, _ = await _filled(client)
    group = str(uuid.uuid4())
    changed = await client.patch(
        f"/v1/events/{event['id']}", {"audience": "groups", "audience_group_ids": [group]}
    )
    assert changed["audience"] == "groups"
    registrations = await client.get(f"/v1/events/{event['id']}/registrations")
    assert [r["status"] for r in registrations["items"]] == ["registered", "registered", "waiting", "waiting"]
    history = await client.get(f"/v1/events/{event['id']}/history")
    audience = [h for h in history if h["change"] == "audience"]
    assert len(audience) == 1
    assert audience[0]["before"] == {"audience": "public", "audience_group_ids": []}
    assert audience[0]["after"] == {"audience": "groups", "audience_group_ids": [group]}
    told = await client.outbox(CHANGED)
    assert len(told) == 4 and all(t["changes"] == ["audience"] and t["audience"] == "groups" for t in told)
    # Staff are warned: the summary says how many were registered before the audience changed.
    summary = await client.get(f"/v1/events/{event['id']}/registrations/summary")
    assert summary["registered_before_audience_change"] == 4
    # A draft's audience is just a setting: nobody to tell, nothing in the history.
    draft = await client.post(
        "/v1/events", {"title": "Utkast", "starts_at": soon().isoformat(), "ends_at": soon(10, 2).isoformat()}
    )
    await client.patch(f"/v1/events/{draft['id']}", {"audience": "staff"})
    assert not await client.get(f"/v1/events/{draft['id']}/history")


async def test_a_personal_link_shows_only_what_its_person_needs(client: Any) -> None:
    group = str(uuid.uuid4())
    event = await published_event(
        client, capacity=5, audience="groups", audience_group_ids=[group], organiser_ids=[str(uuid.uuid4())]
    )
    url = f"/v1/events/{event['id']}/registrations"
    receipt = await client.post(url, {"name": "Eva", "email": "eva@example.se"})
    await client.post(url, {"name": "Annan", "email": "annan@example.se"})
    seen = await client.public(
        "/v1/public/links/look-up", {"token": receipt["cancel_token"], "action": "cancel"}
    )
    assert seen["status"] == "registered" and seen["event"]["title"] == event["title"]
    shown = set(seen["event"])
    assert shown == {
        "id",
        "title",
        "starts_at",
        "ends_at",
        "venue_name",
        "venue_address",
        "accessibility_notes",
        "status",
        "cancel_reason",
    }, "a link to an event for a group must not show its capacity, organisers, audience or counts"
    assert "annan" not in str(seen).lower()


async def test_a_link_that_can_no_longer_act_says_so_when_it_is_opened(client: Any) -> None:
    event = await published_event(client, capacity=1)
    first = await signup(client, event, person(1))
    await client.public("/v1/public/registrations/cancel", {"token": first["cancel_token"]})
    used = await client.call(
        "POST", "/v1/public/links/look-up", as_=(), json={"token": first["cancel_token"], "action": "cancel"}
    )
    assert used.status_code == 409 and "redan avbokad" in used.json()["detail"]
