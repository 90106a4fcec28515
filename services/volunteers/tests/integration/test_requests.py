"""Requests over HTTP: staff ask, matching ranks with reasons, the first offers go out at once."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from backbone.settings import ServiceSettings

from .conftest import Client
from .world import ADMIN, COORDINATOR, STAFF, a_pool, a_request, a_volunteer, in_days, offers_sent


async def test_staff_ask_and_the_first_ranked_candidate_is_offered_the_place(client: Client) -> None:
    pool = await a_pool(client)
    people = [await a_volunteer(client, pool, name=f"Person {i}") for i in range(3)]
    response = await client.call(
        "POST",
        "/v1/requests",
        as_=STAFF,
        subject="staff-sara",
        expect=201,
        json={
            "pool_id": pool["id"],
            "seats": 1,
            "starts_at": in_days(10).isoformat(),
            "ends_at": (in_days(10) + timedelta(hours=2)).isoformat(),
            "place": "Stadshuset",
            "unit": "Kronans boende",
        },
    )
    request = response.json()
    assert (request["status"], request["requested_by"], request["taken"]) == ("open", "staff-sara", 0)
    # The one who only asked sees who got the places, never the candidates or offers.
    assert request["offers"] is None
    [created] = [
        e for e in await client.outbox("volunteers.request.created.v1") if e["request_id"] == request["id"]
    ]
    assert created["requested_by"] == "staff-sara" and created["pool_key"] == pool["key"]
    [offer] = await offers_sent(client, request["id"])
    assert offer["volunteer_id"] in {p["id"] for p in people}
    assert offer["recipient"]["email"].endswith("@example.se") and offer["recipient"]["language"] == "sv"
    assert offer["accept_token"] and offer["decline_token"] and offer["place"] == "Stadshuset"


async def test_candidates_show_the_ranking_and_why_the_excluded_are_excluded(client: Client) -> None:
    pool = await a_pool(client)
    mine = (pool["key"],)
    expired = await a_volunteer(client, pool, name="Ebba Utgången", certificate_until=in_days(5))
    client_of_unit = await a_volunteer(client, pool, name="Frans Klient", client_units=["Kronans boende"])
    fine = await a_volunteer(client, pool, name="Greta Redo")
    request = await a_request(client, pool, starts_at=in_days(10), unit="Kronans boende", offer_now=False)
    seen = await client.get(f"/v1/requests/{request['id']}/candidates", as_=COORDINATOR, pools=mine)
    assert [(r["name"], r["rank"]) for r in seen["ranked"]] == [("Greta Redo", 1)]
    assert seen["ranked"][0]["reason"].startswith("Uppfyller kraven och kan den tiden.")
    reasons = {e["name"]: e["reasons"] for e in seen["excluded"]}
    [certificate] = reasons["Ebba Utgången"]
    assert certificate.startswith("Intyget ”Utdrag ur belastningsregistret” gick ut ")
    assert reasons["Frans Klient"] == ["Är själv klient på enheten Kronans boende (jäv)."]
    assert {expired["id"], client_of_unit["id"], fine["id"]} == {
        *(e["volunteer_id"] for e in seen["excluded"]),
        *(r["volunteer_id"] for r in seen["ranked"]),
    }
    # Another pool's coordinator learns nothing of it; staff who did not ask neither.
    await client.call(
        "GET", f"/v1/requests/{request['id']}/candidates", as_=COORDINATOR, pools=("other",), expect=404
    )
    await client.call("GET", f"/v1/requests/{request['id']}", as_=STAFF, expect=404)


async def test_booking_someone_whose_certificate_expired_is_refused_and_nothing_changes(
    client: Client,
) -> None:
    pool = await a_pool(client)
    expired = await a_volunteer(client, pool, certificate_until=in_days(5))
    request = await a_request(client, pool, starts_at=in_days(10), offer_now=False)
    refused = await client.call(
        "POST",
        f"/v1/requests/{request['id']}/assignments",
        json={"volunteer_id": expired["id"]},
        as_=ADMIN,
        expect=409,
    )
    detail = refused.json()["detail"]
    assert detail.startswith("Uppdraget kan inte bokas: Intyget ”Utdrag ur belastningsregistret” gick ut ")
    assert detail.endswith("Ett nytt behövs.")
    after = await client.get(f"/v1/requests/{request['id']}", as_=ADMIN)
    assert (after["taken"], after["assignments"], after["status"]) == (0, [], "open")


async def test_booking_someone_already_busy_then_is_refused_as_a_clash(client: Client) -> None:
    pool = await a_pool(client)
    busy = await a_volunteer(client, pool, name="Hugo Upptagen")
    first = await a_request(client, pool, starts_at=in_days(10, hour=9), offer_now=False)
    second = await a_request(client, pool, starts_at=in_days(10, hour=10), offer_now=False)
    await client.post(f"/v1/requests/{first['id']}/assignments", {"volunteer_id": busy["id"]}, as_=ADMIN)
    refused = await client.call(
        "POST",
        f"/v1/requests/{second['id']}/assignments",
        json={"volunteer_id": busy["id"]},
        as_=ADMIN,
        expect=409,
    )
    assert refused.json()["detail"].startswith("Uppdraget kan inte bokas: Har redan ett uppdrag samma tid (")
    assert (await client.get(f"/v1/requests/{second['id']}", as_=ADMIN))["taken"] == 0


async def test_a_request_in_the_past_or_ending_before_it_starts_is_refused(client: Client) -> None:
    pool = await a_pool(client)
    past = await client.call(
        "POST",
        "/v1/requests",
        as_=STAFF,
        expect=409,
        json={
            "pool_id": pool["id"],
            "seats": 1,
            "starts_at": in_days(-1).isoformat(),
            "ends_at": in_days(0).isoformat(),
        },
    )
    assert past.json()["detail"] == "Starttiden har redan varit. Ange en tid i framtiden."
    backwards = await client.call(
        "POST",
        "/v1/requests",
        as_=STAFF,
        expect=409,
        json={
            "pool_id": pool["id"],
            "seats": 1,
            "starts_at": in_days(3).isoformat(),
            "ends_at": in_days(2).isoformat(),
        },
    )
    assert (
        backwards.json()["detail"]
        == "Sluttiden måste vara efter starttiden. Kontrollera tiderna och försök igen."
    )
    assert (await client.get(f"/v1/requests?pool_id={pool['id']}", as_=ADMIN))["total"] == 0


async def test_candidates_read_each_persons_weekly_pattern_and_exceptions_from_the_database(
    client: Client,
) -> None:
    # Matching reads every person's slots, absences and extra times as arrays on one row each;
    # this pins that every kind reaches the rules, with the person's own note.
    pool = await a_pool(client)
    mine = (pool["key"],)
    starts = in_days(10)
    local = starts.astimezone(ZoneInfo(ServiceSettings.model_fields["timezone"].default))
    other_day = local.isoweekday() % 7 + 1
    whole_day = {"starts": "00:00", "ends": "23:59"}
    people = {
        name: await a_volunteer(client, pool, name=name)
        for name in ("Hanna Mönster", "Ivar Annan dag", "Jon Extra", "Kajsa Borta")
    }
    patterns = {"Hanna Mönster": local.isoweekday(), "Ivar Annan dag": other_day, "Jon Extra": other_day}
    for name, weekday in patterns.items():
        await client.call(
            "PUT", f"/v1/volunteers/{people[name]['id']}/weekly", as_=COORDINATOR, pools=mine, expect=200,
            json={"slots": [{"weekday": weekday, **whole_day}]},
        )  # fmt: skip
    for name, available, note in (("Jon Extra", True, "kan extra"), ("Kajsa Borta", False, "resa")):
        await client.post(
            f"/v1/volunteers/{people[name]['id']}/exceptions",
            {
                "starts_at": (starts - timedelta(hours=1)).isoformat(),
                "ends_at": (starts + timedelta(hours=3)).isoformat(),
                "available": available,
                "note": note,
            },
            as_=COORDINATOR,
            pools=mine,
        )
    request = await a_request(client, pool, starts_at=starts, offer_now=False)
    seen = await client.get(f"/v1/requests/{request['id']}/candidates", as_=COORDINATOR, pools=mine)
    assert sorted(r["name"] for r in seen["ranked"]) == ["Hanna Mönster", "Jon Extra"]
    reasons = {e["name"]: e["reasons"] for e in seen["excluded"]}
    assert reasons["Ivar Annan dag"] == ["Brukar inte kunna den veckodagen eller den tiden."]
    [away] = reasons["Kajsa Borta"]
    assert away.startswith("Är borta ") and away.endswith(" (resa).")
    assert set(reasons) == {"Ivar Annan dag", "Kajsa Borta"}
