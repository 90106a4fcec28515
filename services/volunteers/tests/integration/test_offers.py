"""Offers answered from a link: a GET shows, a POST answers once; declines and timeouts move on;
cancellations offer the place again; concurrent clicks never double-book anyone."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from volunteers import offers
from volunteers.links import Link

from .conftest import Client
from .world import ADMIN, STAFF, a_pool, a_request, a_volunteer, in_days, offers_sent, token_of


def _ctx(client: Client, now: datetime) -> offers.Context:
    return offers.Context(signer=client.app.state.signer, zone=client.settings.zone, now=now)


async def _answer(client: Client, token: str, expect: int | None = None) -> dict:
    response = await client.call("POST", "/v1/links/offer", json={"token": token}, as_=(), expect=expect)
    return {**response.json(), "http": response.status_code}


async def test_a_get_only_shows_the_offer_and_the_post_accepts_it_once(client: Client) -> None:
    pool = await a_pool(client)
    person = await a_volunteer(client, pool, name="Ada Ja")
    request = await a_request(client, pool, subject="staff-sara")
    token = await token_of(client, request["id"], person["id"])
    for _ in range(3):  # a mail scanner following the link, then the person, twice
        shown = await client.get(f"/v1/links/offer?token={token}", as_=())
    assert (shown["action"], shown["status"], shown["can_answer"]) == ("accept", "sent", True)
    assert shown["volunteer_name"] == "Ada Ja" and shown["request"]["place"] == "Stadshuset, rum 4"
    assert (await client.get(f"/v1/requests/{request['id']}", as_=ADMIN))["taken"] == 0

    answer = await _answer(client, token, expect=200)
    assert answer["http"] == 200 and answer["message"].startswith("Tack! Du har fått platsen.")
    after = await client.get(f"/v1/requests/{request['id']}", as_=ADMIN)
    assert (after["status"], after["taken"]) == ("filled", 1)
    [filled] = [
        e for e in await client.outbox("volunteers.request.filled.v1") if e["request_id"] == request["id"]
    ]
    assert filled["requested_by"] != "" and filled["volunteer_ids"] == [person["id"]]
    [confirmed] = [
        e
        for e in await client.outbox("volunteers.assignment.confirmed.v1")
        if e["request_id"] == request["id"]
    ]
    assert confirmed["cancel_token"] and confirmed["recipient"]["name"] == "Ada Ja"

    reused = await _answer(client, token, expect=409)
    assert reused["detail"] == "Du har redan tackat ja till uppdraget. Länken fungerar bara en gång."
    decline = await token_of(client, request["id"], person["id"], "decline")
    assert (await _answer(client, decline, expect=409))["error"] == "UsedLink"
    assert (await client.get(f"/v1/requests/{request['id']}", as_=ADMIN))["taken"] == 1


async def test_the_filled_request_names_the_staff_who_asked(client: Client) -> None:
    pool = await a_pool(client)
    person = await a_volunteer(client, pool)
    starts = in_days(10)
    created = await client.call(
        "POST",
        "/v1/requests",
        as_=STAFF,
        subject="staff-olle",
        expect=201,
        json={
            "pool_id": pool["id"],
            "seats": 1,
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=1)).isoformat(),
        },
    )
    request = created.json()
    await _answer(client, await token_of(client, request["id"], person["id"]), expect=200)
    [filled] = [
        e for e in await client.outbox("volunteers.request.filled.v1") if e["request_id"] == request["id"]
    ]
    assert (filled["requested_by"], filled["requested_by_name"]) == ("staff-olle", "Testa Personal")


async def test_a_decline_moves_the_offer_to_the_next_candidate(client: Client) -> None:
    pool = await a_pool(client)
    people = [await a_volunteer(client, pool) for _ in range(2)]
    request = await a_request(client, pool)
    [first] = await offers_sent(client, request["id"])
    declined = await _answer(client, first["decline_token"], expect=200)
    assert declined["message"] == "Tack för beskedet. Vi frågar någon annan den här gången."
    sent = await offers_sent(client, request["id"])
    assert [o["volunteer_id"] for o in sent] == [
        first["volunteer_id"],
        *(p["id"] for p in people if p["id"] != first["volunteer_id"]),
    ]
    assert [e["offer_id"] for e in await client.outbox("volunteers.offer.declined.v1")] == [first["offer_id"]]


async def test_an_offer_nobody_answers_expires_and_the_next_candidate_is_asked(client: Client) -> None:
    pool = await a_pool(client, offer_hours=24)
    await a_volunteer(client, pool)
    await a_volunteer(client, pool)
    request = await a_request(client, pool, starts_at=in_days(10))
    [first] = await offers_sent(client, request["id"])
    async with client.pool.acquire() as conn:
        assert await offers.expire_due(conn=conn, ctx=_ctx(client, datetime.now(UTC))) == 0
        later = datetime.now(UTC) + timedelta(hours=25)
        assert await offers.expire_due(conn=conn, ctx=_ctx(client, later)) == 1
    sent = await offers_sent(client, request["id"])
    assert len(sent) == 2 and sent[1]["volunteer_id"] != first["volunteer_id"]
    [expired] = await client.outbox("volunteers.offer.expired.v1")
    assert expired["offer_id"] == first["offer_id"]
    late = await _answer(client, first["accept_token"], expect=409)
    assert late["detail"] == "Tiden för att svara har gått ut, så uppdraget har gått vidare till någon annan."


async def test_an_expired_or_broken_link_is_refused_with_a_clear_message(client: Client) -> None:
    signer = client.app.state.signer
    old = signer.sign(
        Link(uuid.uuid4(), "accept", datetime.now(UTC) - timedelta(minutes=1)),
        now=datetime.now(UTC) - timedelta(days=2),
    )
    expired = await client.call("GET", f"/v1/links/offer?token={old}", as_=(), expect=409)
    assert expired.json()["detail"].startswith("Länken har gått ut")
    assert (await _answer(client, old, expect=409))["error"] == "ExpiredLink"
    broken = await _answer(client, "not-a-link", expect=400)
    assert broken["detail"].startswith("Länken är trasig eller ofullständig. Kopiera hela länken")


async def test_a_volunteer_cancels_by_link_and_the_place_is_offered_again(client: Client) -> None:
    pool = await a_pool(client)
    first, second = await a_volunteer(client, pool), await a_volunteer(client, pool)
    request = await a_request(client, pool)
    [offer] = await offers_sent(client, request["id"])
    await _answer(client, offer["accept_token"], expect=200)
    [confirmed] = [
        e
        for e in await client.outbox("volunteers.assignment.confirmed.v1")
        if e["request_id"] == request["id"]
    ]
    shown = await client.get(f"/v1/links/assignment?token={confirmed['cancel_token']}", as_=())
    assert shown["can_cancel"] is True
    cancelled = await client.call(
        "POST",
        "/v1/links/assignment/cancel",
        json={"token": confirmed["cancel_token"], "reason": "Sjuk"},
        as_=(),
        expect=200,
    )
    assert cancelled.json()["message"].startswith("Du har lämnat återbud.")
    after = await client.get(f"/v1/requests/{request['id']}", as_=ADMIN)
    assert (after["status"], after["taken"]) == ("open", 0)
    assert [a["cancel_reason"] for a in after["assignments"]] == ["Sjuk"]
    # The one who only asked learns that the person cancelled, not why (it may be their health).
    asker = await client.get(f"/v1/requests/{request['id']}", as_=STAFF, subject="staff-sara")
    assert [(a["status"], a["cancel_reason"]) for a in asker["assignments"]] == [("cancelled", None)]
    sent = await offers_sent(client, request["id"])
    assert [o["volunteer_id"] for o in sent] == [
        offer["volunteer_id"],
        ({first["id"], second["id"]} - {offer["volunteer_id"]}).pop(),
    ]
    again = await client.call(
        "POST", "/v1/links/assignment/cancel", json={"token": confirmed["cancel_token"]}, as_=(), expect=409
    )
    assert again.json()["detail"] == "Uppdraget är redan avbokat. Inget har ändrats."


async def test_concurrent_accepts_of_two_overlapping_offers_book_the_person_once(client: Client) -> None:
    pool = await a_pool(client)
    person = await a_volunteer(client, pool)
    morning = await a_request(client, pool, starts_at=in_days(10, hour=9))
    overlapping = await a_request(client, pool, starts_at=in_days(10, hour=10))
    tokens = [await token_of(client, r["id"], person["id"]) for r in (morning, overlapping)]
    answers = await asyncio.gather(*(_answer(client, t) for t in tokens * 3))
    assert sorted(a["http"] for a in answers) == [200, 409, 409, 409, 409, 409]
    async with client.pool.acquire() as conn:
        booked = await conn.fetchval(
            "SELECT count(*) FROM assignments WHERE volunteer_id = $1 AND status = 'confirmed'",
            uuid.UUID(person["id"]),
        )
    assert booked == 1
    refusals = {a["detail"] for a in answers if a["http"] == 409}
    assert any(r.startswith("Uppdraget kan inte bokas: Har redan ett uppdrag samma tid") for r in refusals), (
        refusals
    )


async def test_concurrent_accepts_fill_exactly_the_places_and_the_rest_are_told(client: Client) -> None:
    pool = await a_pool(client)
    for _ in range(9):
        await a_volunteer(client, pool)
    request = await a_request(client, pool, seats=3, offers_per_place=3)
    sent = await offers_sent(client, request["id"])
    assert len(sent) == 9
    answers = await asyncio.gather(*(_answer(client, o["accept_token"]) for o in sent))
    assert sorted(a["http"] for a in answers) == [200] * 3 + [409] * 6
    assert {a["detail"] for a in answers if a["http"] == 409} == {
        "Alla platser är redan tillsatta, eller uppdraget är inställt. Tack ändå för att du ville ställa upp."
    }
    after = await client.get(f"/v1/requests/{request['id']}", as_=ADMIN)
    assert (after["status"], after["taken"]) == ("filled", 3)
    assert (
        len(
            [
                e
                for e in await client.outbox("volunteers.request.filled.v1")
                if e["request_id"] == request["id"]
            ]
        )
        == 1
    )
    assert len(await client.outbox("volunteers.offer.withdrawn.v1")) == 6
