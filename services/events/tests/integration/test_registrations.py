"""Registration, the waiting list and offers on a real database, concurrent requests included."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from events.links import Signer
from events.registrations import Context, expire_offers

from .world import person, published_event, soon


def register_url(event: dict[str, Any]) -> str:
    return f"/v1/public/events/{event['id']}/registrations"


async def statuses(client: Any, event: dict[str, Any]) -> list[tuple[str, str]]:
    page = await client.get(f"/v1/events/{event['id']}/registrations", params={"limit": 200})
    return [(r["name"], r["status"]) for r in page["items"]]


async def run_offer_check(client: Any, *, at: datetime) -> int:
    ctx = Context(signer=Signer(client.settings.link_key), zone=client.settings.zone, now=at)
    async with client.pool.acquire() as conn:
        return await expire_offers(conn=conn, ctx=ctx)


async def offer_tokens(client: Any, registration_id: str) -> dict[str, Any]:
    offers = [
        o for o in await client.outbox("events.offer.made.v1") if o["registration_id"] == registration_id
    ]
    return offers[-1]


async def test_a_full_event_puts_people_on_the_waiting_list_in_order(client: Any) -> None:
    event = await published_event(client, capacity=2)
    answers = [await client.public(register_url(event), person(n), expect=201) for n in range(4)]
    assert [a["status"] for a in answers] == ["registered", "registered", "waiting", "waiting"]
    assert (await client.get(f"/v1/public/events/{event['id']}", as_=()))["places_left"] == 0
    created = await client.outbox("events.registration.created.v1")
    assert [c["status"] for c in created] == ["registered", "registered", "waiting", "waiting"]
    assert created[0]["person"] == {"name": "Person 0", "email": "person0@example.se", "phone": None}


async def test_concurrent_registrations_never_overbook(client: Any) -> None:
    event = await published_event(client, capacity=10)
    answers = await asyncio.gather(
        *(client.public(register_url(event), person(n), expect=201) for n in range(60))
    )
    assert sum(a["status"] == "registered" for a in answers) == 10
    assert sum(a["status"] == "waiting" for a in answers) == 50
    rows = await statuses(client, event)
    assert len(rows) == 60 and [s for _, s in rows].count("registered") == 10
    # The waiting list is in the order the registrations were accepted: the ten first hold the places.
    assert all(s == "registered" for _, s in rows[:10])


async def test_concurrent_cancellations_give_each_freed_place_to_exactly_one_person(client: Any) -> None:
    event = await published_event(client, capacity=5)
    answers = [await client.public(register_url(event), person(n), expect=201) for n in range(15)]
    cancels = [a["cancel_token"] for a in answers[:5]]
    await asyncio.gather(*(client.public("/v1/public/registrations/cancel", {"token": t}) for t in cancels))
    rows = await statuses(client, event)
    assert [s for _, s in rows] == ["cancelled"] * 5 + ["offered"] * 5 + ["waiting"] * 5
    offers = await client.outbox("events.offer.made.v1")
    assert sorted(o["person"]["name"] for o in offers) == [f"Person {n}" for n in range(5, 10)]


async def test_a_cancellation_offers_the_place_to_the_first_in_line_who_confirms(client: Any) -> None:
    event = await published_event(client, capacity=1)
    first = await client.public(register_url(event), person(1), expect=201)
    second = await client.public(register_url(event), person(2), expect=201)
    cancelled = await client.public("/v1/public/registrations/cancel", {"token": first["cancel_token"]})
    assert cancelled["status"] == "cancelled"
    offer = await offer_tokens(client, second["id"])
    held = datetime.fromisoformat(offer["expires_at"]) - datetime.now(UTC)
    assert timedelta(hours=47) < held <= timedelta(hours=48)  # ten days before the event: 48 h
    confirmed = await client.public("/v1/public/offers/confirm", {"token": offer["confirm_token"]})
    assert confirmed["status"] == "registered"
    # The same link again: a clear answer, nothing changed.
    again = await client.call(
        "POST", "/v1/public/offers/confirm", as_=(), json={"token": offer["confirm_token"]}
    )
    assert again.status_code == 409 and "redan tackat ja" in again.json()["detail"]
    reused = await client.call(
        "POST", "/v1/public/registrations/cancel", as_=(), json={"token": first["cancel_token"]}
    )
    assert reused.status_code == 409 and "redan avbokad" in reused.json()["detail"]
    accepted = await client.outbox("events.offer.accepted.v1")
    assert [a["registration_id"] for a in accepted] == [second["id"]]


async def test_a_declined_offer_goes_to_the_next_person(client: Any) -> None:
    event = await published_event(client, capacity=1)
    first, second, third = [await client.public(register_url(event), person(n), expect=201) for n in range(3)]
    await client.public("/v1/public/registrations/cancel", {"token": first["cancel_token"]})
    offer = await offer_tokens(client, second["id"])
    # A confirm link cannot decline, and the decline link does.
    wrong = await client.call(
        "POST", "/v1/public/offers/decline", as_=(), json={"token": offer["confirm_token"]}
    )
    assert wrong.status_code == 400 and "Kopiera hela länken" in wrong.json()["detail"]
    await client.public("/v1/public/offers/decline", {"token": offer["decline_token"]})
    assert [s for _, s in await statuses(client, event)] == ["cancelled", "declined", "offered"]
    assert (await offer_tokens(client, third["id"]))["person"]["name"] == "Person 2"


async def test_an_expired_offer_moves_to_the_next_person_and_its_link_says_so(client: Any) -> None:
    event = await published_event(client, capacity=1)
    first, second, third = [await client.public(register_url(event), person(n), expect=201) for n in range(3)]
    await client.public("/v1/public/registrations/cancel", {"token": first["cancel_token"]})
    offer = await offer_tokens(client, second["id"])
    assert await run_offer_check(client, at=datetime.now(UTC)) == 0  # not yet
    assert await run_offer_check(client, at=datetime.now(UTC) + timedelta(hours=49)) == 1
    assert [s for _, s in await statuses(client, event)] == ["cancelled", "expired", "offered"]
    late = await client.call(
        "POST", "/v1/public/offers/confirm", as_=(), json={"token": offer["confirm_token"]}
    )
    assert late.status_code == 409 and "gått ut" in late.json()["detail"]
    assert [e["registration_id"] for e in await client.outbox("events.offer.expired.v1")] == [second["id"]]
    assert (await offer_tokens(client, third["id"]))["registration_id"] == third["id"]


async def test_direct_promotion_registers_the_next_person_without_an_offer(client: Any) -> None:
    event = await published_event(client, capacity=1, waitlist_mode="promote")
    first, second = [await client.public(register_url(event), person(n), expect=201) for n in range(2)]
    await client.public("/v1/public/registrations/cancel", {"token": first["cancel_token"]})
    assert [s for _, s in await statuses(client, event)] == ["cancelled", "registered"]
    (promoted,) = await client.outbox("events.registration.promoted.v1")
    assert promoted["registration_id"] == second["id"] and promoted["cancel_token"]
    assert await client.outbox("events.offer.made.v1") == []


async def test_more_places_go_to_the_waiting_list(client: Any) -> None:
    event = await published_event(client, capacity=1)
    for n in range(3):
        await client.public(register_url(event), person(n), expect=201)
    await client.patch(f"/v1/events/{event['id']}", {"capacity": 3})
    assert [s for _, s in await statuses(client, event)] == ["registered", "offered", "offered"]


async def test_registration_outside_the_window_or_after_a_cancellation_is_refused(client: Any) -> None:
    later = await published_event(client, registration_opens_at=soon(5).isoformat())
    answer = await client.call("POST", register_url(later), as_=(), json=person(1), expect=409)
    assert "Anmälan har inte öppnat än" in answer.json()["detail"]
    event = await published_event(client)
    await client.post(f"/v1/events/{event['id']}/cancel", {}, expect=200)
    answer = await client.call("POST", register_url(event), as_=(), json=person(1), expect=409)
    assert "inställt" in answer.json()["detail"]
    announced = await published_event(client, registration="none", external_url="https://example.se/mote")
    answer = await client.call("POST", register_url(announced), as_=(), json=person(1), expect=409)
    assert "anmäler man sig inte här" in answer.json()["detail"]
    assert await client.outbox("events.registration.created.v1") == []


async def test_the_form_needs_a_name_and_one_way_to_reach_the_person_and_an_empty_honeypot(
    client: Any,
) -> None:
    event = await published_event(client)
    answer = await client.call("POST", register_url(event), as_=(), json={"name": "Ann"}, expect=422)
    assert "e-postadress eller ett telefonnummer" in answer.json()["detail"]
    bot = await client.call(
        "POST", register_url(event), as_=(), json={**person(1), "website": "http://x.example"}, expect=409
    )
    assert "Webbplats ska vara tomt" in bot.json()["detail"]
    by_phone = await client.public(register_url(event), {"name": "Ann", "phone": "070-123 45 67"}, expect=201)
    assert by_phone["status"] == "registered"
    assert len(await client.outbox("events.registration.created.v1")) == 1


async def test_questions_the_event_does_not_ask_are_not_stored(client: Any) -> None:
    plain = await published_event(client)
    asking = await published_event(client, asks_accessibility=True, asks_food=True)
    body = {**person(1), "accessibility": ["interpreter", "wheelchair"], "food": "vegetarisk"}
    await client.public(register_url(plain), body, expect=201)
    await client.public(register_url(asking), body, expect=201)
    (kept,) = (await client.get(f"/v1/events/{plain['id']}/registrations"))["items"]
    assert kept["accessibility"] == [] and kept["food"] is None
    (asked,) = (await client.get(f"/v1/events/{asking['id']}/registrations"))["items"]
    assert asked["accessibility"] == ["interpreter", "wheelchair"] and asked["food"] == "vegetarisk"


async def test_a_malformed_link_is_a_400_that_says_what_to_do(client: Any) -> None:
    answer = await client.call("POST", "/v1/public/registrations/cancel", as_=(), json={"token": "nonsense"})
    assert answer.status_code == 400 and "Kopiera hela länken" in answer.json()["detail"]


async def test_an_organisation_registers_several_members_at_once_and_counts_are_per_organisation(
    client: Any,
) -> None:
    import uuid

    org = str(uuid.uuid4())
    event = await published_event(client, capacity=2)
    receipts = await client.post(
        f"/v1/events/{event['id']}/registrations/batch",
        {"organisation_id": org, "people": [person(n) for n in range(3)]},
    )
    assert [r["status"] for r in receipts] == ["registered", "registered", "waiting"]
    summary = await client.get(f"/v1/events/{event['id']}/registrations/summary")
    assert summary["counts"] == {"registered": 2, "waiting": 1}
    assert summary["per_organisation"] == [{"organisation_id": org, "registered": 2}]
    # Staff cancel on someone's behalf; the freed place is offered on.
    await client.post(f"/v1/events/{event['id']}/registrations/{receipts[0]['id']}/cancel", expect=200)
    assert [s for _, s in await statuses(client, event)] == ["cancelled", "registered", "offered"]


async def test_the_public_side_cannot_tell_that_a_draft_exists(client: Any) -> None:
    draft = await client.post(
        "/v1/events", {"title": "Utkast", "starts_at": soon().isoformat(), "ends_at": soon(11).isoformat()}
    )
    answer = await client.call("POST", register_url(draft), as_=(), json=person(1), expect=404)
    assert "Det finns inget evenemang" in answer.json()["detail"]


async def test_an_offer_for_a_cancelled_event_cannot_be_taken(client: Any) -> None:
    event = await published_event(client, capacity=1)
    first, second = [await client.public(register_url(event), person(n), expect=201) for n in range(2)]
    await client.public("/v1/public/registrations/cancel", {"token": first["cancel_token"]})
    offer = await offer_tokens(client, second["id"])
    await client.post(f"/v1/events/{event['id']}/cancel", {}, expect=200)
    answer = await client.call(
        "POST", "/v1/public/offers/confirm", as_=(), json={"token": offer["confirm_token"]}
    )
    assert answer.status_code == 409 and "inställt" in answer.json()["detail"]


async def test_a_representative_registers_and_sees_only_their_own_organisations_members(client: Any) -> None:
    import uuid

    ours, theirs = uuid.uuid4(), uuid.uuid4()
    rep = {"as_": ("org_representative",), "org": ours}
    event = await published_event(client, capacity=10)
    url = f"/v1/events/{event['id']}/registrations"
    mine = await client.post(f"{url}/batch", {"people": [person(1), person(2)]}, **rep)
    await client.post(url, {**person(3), "organisation_id": str(theirs)})  # staff, for the other one
    refused = await client.call(
        "POST", url, json={**person(4), "organisation_id": str(theirs)}, expect=403, **rep
    )
    assert "egen organisation" in refused.json()["detail"]
    seen = await client.get(url, **rep)
    assert [r["name"] for r in seen["items"]] == ["Person 1", "Person 2"]
    assert {r["organisation_id"] for r in seen["items"]} == {str(ours)}
    other = (await client.get(url))["items"][2]
    await client.call("POST", f"{url}/{other['id']}/cancel", expect=404, **rep)
    await client.call("POST", f"{url}/{mine[0]['id']}/cancel", expect=200, **rep)
    # No organisation on the account: a clear refusal.
    lost = await client.call("POST", url, as_=("org_representative",), json=person(5), expect=403)
    assert "hör inte till någon organisation" in lost.json()["detail"]
    # Nor may a representative register anyone for a staff event.
    staff_day = await published_event(client, audience="staff")
    await client.call(
        "POST", f"/v1/events/{staff_day['id']}/registrations", json=person(6), expect=404, **rep
    )


async def test_the_same_address_cannot_register_twice_for_one_event_until_it_cancels(client: Any) -> None:
    event = await published_event(client, capacity=1)
    first = await client.public(register_url(event), person(1), expect=201)
    again = await client.call(
        "POST", register_url(event), as_=(), json={"name": "P", "email": "PERSON1@example.se"}, expect=409
    )
    assert "redan anmäld" in again.json()["detail"]
    await client.public(register_url(event), {"name": "Tel", "phone": "070-111 22 33"}, expect=201)
    twin = await client.call("POST", register_url(event), as_=(), json={"name": "Tel", "phone": "0701112233"})
    assert twin.status_code == 409 and "på väntelistan" in twin.json()["detail"]
    await client.public("/v1/public/registrations/cancel", {"token": first["cancel_token"]})
    await client.public(register_url(event), person(1), expect=201)


async def test_a_link_is_looked_up_without_changing_anything(client: Any) -> None:
    event = await published_event(client, capacity=1)
    first, second = [await client.public(register_url(event), person(n), expect=201) for n in range(2)]
    await client.public("/v1/public/registrations/cancel", {"token": first["cancel_token"]})
    offer = await offer_tokens(client, second["id"])
    seen = await client.public(
        "/v1/public/links/look-up", {"token": offer["confirm_token"], "action": "confirm"}
    )
    assert seen["status"] == "offered" and seen["offer_expires_at"] and seen["event"]["id"] == event["id"]
    assert [s for _, s in await statuses(client, event)] == ["cancelled", "offered"]
    wrong = await client.call(
        "POST", "/v1/public/links/look-up", as_=(), json={"token": offer["confirm_token"], "action": "cancel"}
    )
    assert wrong.status_code == 400
