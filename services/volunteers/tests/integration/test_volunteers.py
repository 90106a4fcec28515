"""Volunteers over HTTP: profile, availability, certificates, pools, consent, and who sees whom."""

from __future__ import annotations

from .conftest import Client
from .world import ADMIN, COORDINATOR, STAFF, a_pool, a_volunteer, in_days


async def test_a_coordinator_registers_a_volunteer_with_profile_and_availability(client: Client) -> None:
    pool = await a_pool(client)
    mine = (pool["key"],)
    person = await client.post(
        "/v1/volunteers",
        {
            "name": "Amina Hassan",
            "phone": "070-123 45 67",
            "preferred_channel": "sms",
            "languages": ["sv", "so"],
            "areas": ["kronan", "centrum"],
            "does_not_want": "Inga kvällar.",
            "client_units": ["Kronans boende"],
            "pools": [{"pool_id": pool["id"], "status": "active"}],
        },
        as_=COORDINATOR,
        pools=mine,
    )
    vid = person["id"]
    await client.call(
        "PUT",
        f"/v1/volunteers/{vid}/weekly",
        as_=COORDINATOR,
        pools=mine,
        expect=200,
        json={"slots": [{"weekday": 1, "starts": "09:00", "ends": "12:00"}]},
    )
    away = in_days(20)
    await client.post(
        f"/v1/volunteers/{vid}/exceptions",
        {
            "starts_at": away.isoformat(),
            "ends_at": in_days(27).isoformat(),
            "available": False,
            "note": "resa",
        },
        as_=COORDINATOR,
        pools=mine,
    )
    await client.post(
        f"/v1/volunteers/{vid}/qualifications",
        {"key": "intervjuteknik", "kind": "training", "completed_on": "2026-03-01"},
        as_=COORDINATOR,
        pools=mine,
    )
    seen = await client.get(f"/v1/volunteers/{vid}", as_=COORDINATOR, pools=mine)
    assert (seen["name"], seen["preferred_channel"], seen["languages"]) == (
        "Amina Hassan",
        "sms",
        ["sv", "so"],
    )
    assert seen["weekly"] == [{"weekday": 1, "starts": "09:00:00", "ends": "12:00:00"}]
    assert [e["note"] for e in seen["exceptions"]] == ["resa"]
    assert [q["key"] for q in seen["qualifications"]] == ["intervjuteknik"]
    assert [(m["pool_key"], m["status"]) for m in seen["memberships"]] == [(pool["key"], "active")]
    joined = [
        e for e in await client.outbox("volunteers.volunteer.joined_pool.v1") if e["volunteer_id"] == vid
    ]
    assert joined == [{"volunteer_id": vid, "pool_id": pool["id"], "pool_key": pool["key"]}]


async def test_a_coordinator_sees_only_the_volunteers_of_their_pools(client: Client) -> None:
    mine, other = await a_pool(client), await a_pool(client)
    ours = await a_volunteer(client, mine, name="Bo i min pool")
    theirs = await a_volunteer(client, other, name="Cia i en annan pool")
    listed = await client.get("/v1/volunteers?limit=200", as_=COORDINATOR, pools=(mine["key"],))
    names = [v["name"] for v in listed["items"]]
    assert "Bo i min pool" in names and "Cia i en annan pool" not in names
    await client.call(
        "GET", f"/v1/volunteers/{theirs['id']}", as_=COORDINATOR, pools=(mine["key"],), expect=404
    )
    await client.call(
        "GET", f"/v1/volunteers/{ours['id']}", as_=COORDINATOR, pools=(mine["key"],), expect=200
    )
    # The pool id works as well as its key in the identity's pool list.
    await client.call("GET", f"/v1/volunteers/{ours['id']}", as_=COORDINATOR, pools=(mine["id"],), expect=200)
    # Nor can they add someone they cannot see to their pool.
    await client.call(
        "PUT",
        f"/v1/volunteers/{theirs['id']}/pools/{mine['id']}",
        json={"status": "active"},
        as_=COORDINATOR,
        pools=(mine["key"],),
        expect=404,
    )


async def test_staff_who_only_ask_for_volunteers_see_no_profiles(client: Client) -> None:
    pool = await a_pool(client)
    person = await a_volunteer(client, pool)
    await client.call("GET", "/v1/volunteers", as_=STAFF, expect=403)
    await client.call("GET", f"/v1/volunteers/{person['id']}", as_=STAFF, expect=403)
    await client.call("GET", f"/v1/volunteers/{person['id']}", as_=("org_representative",), expect=403)


async def test_consent_is_given_per_purpose_and_withdrawn_as_easily(client: Client) -> None:
    pool = await a_pool(client)
    person = await a_volunteer(client, pool, consent=False)
    url = f"/v1/volunteers/{person['id']}/consents"
    given = await client.post(
        url, {"purpose": "erbjudanden", "text_version": "2026-1", "given_how": "paper"}, as_=ADMIN
    )
    again = await client.call(
        "POST",
        url,
        json={"purpose": "erbjudanden", "text_version": "2026-2", "given_how": "form"},
        as_=ADMIN,
        expect=409,
    )
    assert "redan ett gällande samtycke" in again.json()["detail"]
    withdrawn = await client.post(f"{url}/{given['id']}/withdraw", {"how": "phone"}, as_=ADMIN, expect=200)
    assert withdrawn["withdrawn_how"] == "phone" and withdrawn["withdrawn_at"]
    twice = await client.call(
        "POST", f"{url}/{given['id']}/withdraw", json={"how": "phone"}, as_=ADMIN, expect=409
    )
    assert twice.json()["detail"] == "Samtycket är redan tillbakataget. Inget har ändrats."
    # Consenting again is a new record; the history stays.
    await client.post(
        url, {"purpose": "erbjudanden", "text_version": "2026-2", "given_how": "link"}, as_=ADMIN
    )
    seen = await client.get(f"/v1/volunteers/{person['id']}", as_=ADMIN)
    assert [(c["text_version"], c["withdrawn_at"] is None) for c in seen["consents"]] == [
        ("2026-1", False),
        ("2026-2", True),
    ]
    subjects = [e["consent_id"] for e in await client.outbox("volunteers.consent.withdrawn.v1")]
    assert subjects == [given["id"]]


async def test_bad_input_is_refused_in_swedish_and_nothing_is_stored(client: Client) -> None:
    pool = await a_pool(client)
    nobody = await client.call(
        "POST",
        "/v1/volunteers",
        json={"name": "Utan kontakt", "pools": [{"pool_id": pool["id"]}]},
        as_=ADMIN,
        expect=409,
    )
    assert (
        nobody.json()["detail"] == "Ange en e-postadress eller ett telefonnummer, så att vi kan nå personen."
    )
    person = await a_volunteer(client, pool)
    undated = await client.call(
        "POST",
        f"/v1/volunteers/{person['id']}/qualifications",
        json={"key": "belastningsregister", "kind": "certificate", "completed_on": "2026-01-01"},
        as_=ADMIN,
        expect=409,
    )
    assert "Ett intyg behöver ett datum då det går ut" in undated.json()["detail"]
    seen = await client.get(f"/v1/volunteers/{person['id']}", as_=ADMIN)
    assert len(seen["qualifications"]) == 2  # those a_volunteer gave, nothing more
