"""Registration, the waiting list and offers on a real database, concurrent requests included."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from events.links import Signer
from events.registrations import Context, expire_offers

from .world import RECEIVED, person, published_event, signup, soon


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
    answers = [await signup(client, event, person(n)) for n in range(4)]
    assert [a["status"] for a in answers] == ["registered", "registered", "waiting", "waiting"]
    assert (await client.get(f"/v1/public/events/{event['id']}", as_=()))["places_left"] == 0
    created = await client.outbox("events.registration.created.v1")
    assert [c["status"] for c in created] == ["registered", "registered", "waiting", "waiting"]
    person0 = {"name": "Person 0", "email": "person0@example.se", "phone": None}
    assert {k: created[0]["person"][k] for k in person0} == person0


async def test_concurrent_registrations_never_overbook(client: Any) -> None:
    event = await published_event(client, capacity=10)
    await asyncio.gather(*(client.public(register_url(event), person(n), expect=RECEIVED) for n in range(60)))
    answers = await client.outbox("events.registration.created.v1")
    assert sum(a["status"] == "registered" for a in answers) == 10
    assert sum(a["status"] == "waiting" for a in answers) == 50
    rows = await statuses(client, event)
    assert len(rows) == 60 and [s for _, s in rows].count("registered") == 10
    # The waiting list is in the order the registrations were accepted: the ten first hold the places.
    assert all(s == "registered" for _, s in rows[:10])


async def test_concurrent_cancellations_give_each_freed_place_to_exactly_one_person(client: Any) -> None:
    event = await published_event(client, capacity=5)
    answers = [await signup(client, event, person(n)) for n in range(15)]
    cancels = [a["cancel_token"] for a in answers[:5]]
    await asyncio.gather(*(client.public("/v1/public/registrations/cancel", {"token": t}) for t in cancels))
    rows = await statuses(client, event)
    assert [s for _, s in rows] == ["cancelled"] * 5 + ["offered"] * 5 + ["waiting"] * 5
    offers = await client.outbox("events.offer.made.v1")
    assert sorted(o["person"]["name"] for o in offers) == [f"Person {n}" for n in range(5, 10)]


async def test_a_cancellation_offers_the_place_to_the_first_in_line_who_confirms(client: Any) -> None:
    event = await published_event(client, capacity=1)
    first = await signup(client, event, person(1))
    second = await signup(client, event, person(2))
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
    first, second, third = [await signup(client, event, person(n)) for n in range(3)]
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
    first, second, third = [await signup(client, event, person(n)) for n in range(3)]
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
    first, second = [await signup(client, event, person(n)) for n in range(2)]
    await client.public("/v1/public/registrations/cancel", {"token": first["cancel_token"]})
    assert [s for _, s in await statuses(client, event)] == ["cancelled", "registered"]
    (promoted,) = await client.outbox("events.registration.promoted.v1")
    assert promoted["registration_id"] == second["id"] and promoted["cancel_token"]
    assert await client.outbox("events.offer.made.v1") == []


async def test_more_places_go_to_the_waiting_list(client: Any) -> None:
    event = await published_event(client, capacity=1)
    for n in range(3):
        await signup(client, event, person(n))
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
    real = await client.call("POST", register_url(event), as_=(), json=person(2), expect=RECEIVED)
    # A robot that filled in the hidden field gets the very answer a person gets, and nothing is kept.
    bot = await client.call(
        "POST", register_url(event), as_=(), json={**person(1), "website": "http://x.example"}
    )
    assert (bot.status_code, bot.json()) == (real.status_code, real.json())
    assert "Webbplats" not in bot.text and "website" not in bot.text
    by_phone = await signup(client, event, {"name": "Ann", "phone": "070-123 45 67"})
    assert by_phone["status"] == "registered"
    created = await client.outbox("events.registration.created.v1")
    assert [c["person"]["name"] for c in created] == ["Person 2", "Ann"]


async def test_questions_the_event_does_not_ask_are_not_stored(client: Any) -> None:
    plain = await published_event(client)
    asking = await published_event(client, asks_accessibility=True, asks_food=True)
    body = {**person(1), "accessibility": ["interpreter", "wheelchair"], "food": "vegetarisk"}
    await signup(client, plain, body)
    await signup(client, asking, body)
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
    first, second = [await signup(client, event, person(n)) for n in range(2)]
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


async def test_the_same_address_registers_once_and_the_answer_does_not_tell_whether_it_was_known(
    client: Any,
) -> None:
    event = await published_event(client, capacity=1)
    first = await signup(client, event, person(1))
    new = await client.call("POST", register_url(event), as_=(), json=person(9), expect=RECEIVED)
    again = await client.call(
        "POST", register_url(event), as_=(), json={"name": "P", "email": "PERSON1@example.se"}
    )
    assert (again.status_code, again.json()) == (new.status_code, new.json())
    await signup(client, event, {"name": "Tel", "phone": "070-111 22 33"})
    # The same number written the international way is the same person.
    twin = await client.call(
        "POST", register_url(event), as_=(), json={"name": "Tel", "phone": "+46701112233"}
    )
    assert (twin.status_code, twin.json()) == (new.status_code, new.json())
    assert [n for n, _ in await statuses(client, event)] == ["Person 1", "Person 9", "Tel"]
    await client.public("/v1/public/registrations/cancel", {"token": first["cancel_token"]})
    await signup(client, event, person(1))
    assert [n for n, _ in await statuses(client, event)] == ["Person 1", "Person 9", "Tel", "Person 1"]


async def test_a_representative_hears_of_duplicates_only_within_their_own_organisation(client: Any) -> None:
    import uuid

    ours = uuid.uuid4()
    rep = {"as_": ("org_representative",), "org": ours}
    event = await published_event(client, capacity=10)
    url = f"/v1/events/{event['id']}/registrations"
    await signup(client, event, person(1))  # on the public form, by the person themself
    await client.post(url, {**person(2), "organisation_id": str(uuid.uuid4())})  # another organisation's
    await client.post(url, person(1), **rep)
    await client.post(url, person(2), **rep)
    own_twin = await client.call("POST", url, json=person(2), expect=409, **rep)
    assert "redan" in own_twin.json()["detail"]


async def test_a_link_is_looked_up_without_changing_anything(client: Any) -> None:
    event = await published_event(client, capacity=1)
    first, second = [await signup(client, event, person(n)) for n in range(2)]
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


async def test_a_cancellation_link_stops_cancelling_when_the_event_starts_and_works_until_then(
    client: Any,
) -> None:
    from backbone.errors import RuleError
    from events.model import ExpiredLink
    from events.registrations import cancel_by_link

    event = await published_event(client)
    mine = await signup(client, event, person(1))
    start, end = (datetime.fromisoformat(event[k]) for k in ("starts_at", "ends_at"))

    async def cancel_at(at: datetime) -> Any:
        ctx = Context(signer=Signer(client.settings.link_key), zone=client.settings.zone, now=at)
        async with client.pool.acquire() as conn:
            return await cancel_by_link(conn=conn, token=mine["cancel_token"], ctx=ctx)

    with pytest.raises(RuleError, match="redan börjat"):
        await cancel_at(start + timedelta(minutes=1))
    with pytest.raises(ExpiredLink, match="gått ut"):
        await cancel_at(end + timedelta(minutes=1))
    assert (await cancel_at(start - timedelta(minutes=1)))["status"] == "cancelled"


async def test_a_cancelled_event_closes_its_offers_and_its_waiting_list(client: Any) -> None:
    event = await published_event(client, capacity=2)
    first, *_ = [await signup(client, event, person(n)) for n in range(4)]
    await client.public("/v1/public/registrations/cancel", {"token": first["cancel_token"]})
    assert [s for _, s in await statuses(client, event)] == ["cancelled", "registered", "offered", "waiting"]
    await client.post(f"/v1/events/{event['id']}/cancel", {}, expect=200)
    closed = ["cancelled", "registered", "cancelled", "cancelled"]
    assert [s for _, s in await statuses(client, event)] == closed
    assert await run_offer_check(client, at=datetime.now(UTC) + timedelta(hours=49)) == 0
    assert await client.outbox("events.offer.expired.v1") == []


async def test_a_reschedule_ends_open_offers_no_later_than_the_new_start(client: Any) -> None:
    event = await published_event(client, capacity=1)
    first, _ = [await signup(client, event, person(n)) for n in range(2)]
    await client.public("/v1/public/registrations/cancel", {"token": first["cancel_token"]})
    sooner = soon(0, hours=5)
    await client.patch(
        f"/v1/events/{event['id']}",
        {"starts_at": sooner.isoformat(), "ends_at": (sooner + timedelta(hours=1)).isoformat()},
    )
    rows = (await client.get(f"/v1/events/{event['id']}/registrations"))["items"]
    (offered,) = [r for r in rows if r["status"] == "offered"]
    assert datetime.fromisoformat(offered["offer_expires_at"]) <= sooner


async def test_an_offer_round_goes_on_past_an_event_that_fails_and_takes_the_earliest_due_first(
    client: Any,
) -> None:
    failing = await published_event(client, capacity=1)
    fine = await published_event(client, capacity=1)
    for event in (failing, fine):
        first, _ = [await signup(client, event, person(n)) for n in range(2)]
        await client.public("/v1/public/registrations/cancel", {"token": first["cancel_token"]})
    # A real failure inside PostgreSQL for one event's registrations only.
    async with client.pool.acquire() as conn:
        await conn.execute(
            f"""
            CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'broken event'; END $$;
            CREATE TRIGGER refuse BEFORE UPDATE ON registrations FOR EACH ROW
            WHEN (OLD.event_id = '{failing["id"]}') EXECUTE FUNCTION refuse();
            """
        )
    assert await run_offer_check(client, at=datetime.now(UTC) + timedelta(hours=49)) == 1
    assert [s for _, s in await statuses(client, fine)] == ["cancelled", "expired"]
    assert [s for _, s in await statuses(client, failing)] == ["cancelled", "offered"]


async def test_registrations_that_arrive_together_share_their_transactions_and_keep_every_rule(
    client: Any,
) -> None:
    event = await published_event(client, capacity=10)
    # Twenty people, each sending the form twice at once (a double click): one registration each.
    twice = [person(n) for n in range(20) for _ in range(2)]
    await asyncio.gather(*(client.public(register_url(event), p, expect=RECEIVED) for p in twice))
    rows = await statuses(client, event)
    assert sorted(n for n, _ in rows) == sorted(f"Person {n}" for n in range(20))
    assert [s for _, s in rows] == ["registered"] * 10 + ["waiting"] * 10
    created = await client.outbox("events.registration.created.v1")
    assert len(created) == 20
    async with client.pool.acquire() as conn:
        # Rows written by one transaction share its id (xmin): fewer transactions than people.
        transactions = await conn.fetchval(
            "SELECT count(DISTINCT xmin::text) FROM registrations WHERE event_id = $1", uuid.UUID(event["id"])
        )
    assert transactions < 20
