"""Pools and their requirements over HTTP: who may create them, who sees them."""

from __future__ import annotations

from .conftest import Client
from .world import ADMIN, COORDINATOR, STAFF, a_pool, a_volunteer


async def test_an_administrator_creates_a_pool_with_requirements_and_staff_see_it(client: Client) -> None:
    pool = await a_pool(client, name="Klarspråksgranskare", paid=True)
    assert pool["paid"] is True and pool["members"] == {}
    assert sorted(r["key"] for r in pool["requirements"]) == ["belastningsregister", "intervjuteknik"]
    listed = await client.get("/v1/pools?limit=200", as_=STAFF)
    assert pool["id"] in [p["id"] for p in listed["items"]]


async def test_staff_may_not_create_pools_and_a_key_is_used_once(client: Client) -> None:
    body = {"key": "mentorer-test", "name": "Mentorer"}
    await client.call("POST", "/v1/pools", json=body, as_=STAFF, expect=403)
    await client.post("/v1/pools", body, as_=ADMIN)
    again = await client.call("POST", "/v1/pools", json=body, as_=ADMIN, expect=409)
    assert "Det finns redan en pool med nyckeln" in again.json()["detail"]


async def test_a_coordinator_adds_requirements_to_their_own_pool_only(client: Client) -> None:
    mine, other = await a_pool(client), await a_pool(client)
    requirement = {"key": "tystnadsplikt", "kind": "agreement", "label": "Avtal om tystnadsplikt"}
    added = await client.post(
        f"/v1/pools/{mine['id']}/requirements", requirement, as_=COORDINATOR, pools=(mine["key"],)
    )
    assert added["kind"] == "agreement"
    # Every pool is on the list for all staff, so "not found" would be untrue: the refusal says why.
    refused = await client.call(
        "POST",
        f"/v1/pools/{other['id']}/requirements",
        json=requirement,
        as_=COORDINATOR,
        pools=(mine["key"],),
        expect=403,
    )
    assert "Du samordnar inte den här poolen" in refused.json()["detail"]


async def test_a_coordinator_edits_their_own_pool_only_and_is_told_why_not_another(client: Client) -> None:
    mine, other = await a_pool(client), await a_pool(client)
    body = {"name": "Nytt namn", "monthly_cap": 3, "offer_hours": 24, "description": "Ny beskrivning"}
    edited = await client.call(
        "PUT",
        f"/v1/pools/{mine['id']}",
        json={**body, "version": mine["version"]},
        as_=COORDINATOR,
        pools=(mine["key"],),
        expect=200,
    )
    assert edited.json()["name"] == "Nytt namn" and edited.json()["version"] == mine["version"] + 1
    refused = await client.call(
        "PUT",
        f"/v1/pools/{other['id']}",
        json={**body, "version": other["version"]},
        as_=COORDINATOR,
        pools=(mine["key"],),
        expect=403,
    )
    assert "Du samordnar inte den här poolen" in refused.json()["detail"]
    assert (await client.get(f"/v1/pools/{other['id']}", as_=COORDINATOR))["name"] == other["name"]


async def test_only_an_administrator_changes_who_coordinates_a_pool(client: Client) -> None:
    """A coordinator could hand their pool to someone else (or take another) with coordinator_subject."""
    mine = await a_pool(client, coordinator_subject="kim")
    body = {"name": mine["name"], "monthly_cap": 4, "offer_hours": 48, "coordinator_name": "Kim Samordnare"}
    refused = await client.call(
        "PUT",
        f"/v1/pools/{mine['id']}",
        json={**body, "coordinator_subject": "someone-else", "version": mine["version"]},
        as_=COORDINATOR,
        pools=(mine["key"],),
        expect=403,
    )
    assert "Bara en administratör" in refused.json()["detail"]
    assert (await client.get(f"/v1/pools/{mine['id']}", as_=ADMIN))["coordinator_subject"] == "kim"
    # The same coordinator keeps it when they change the rest.
    await client.call(
        "PUT",
        f"/v1/pools/{mine['id']}",
        json={**body, "coordinator_subject": "kim", "name": "Nytt namn", "version": mine["version"]},
        as_=COORDINATOR,
        pools=(mine["key"],),
        expect=200,
    )
    handed = await client.call(
        "PUT",
        f"/v1/pools/{mine['id']}",
        json={**body, "coordinator_subject": "alex", "version": mine["version"] + 1},
        as_=ADMIN,
        expect=200,
    )
    assert handed.json()["coordinator_subject"] == "alex"


async def test_a_training_is_recorded_for_several_members_of_a_pool_at_once(client: Client) -> None:
    mine, other = await a_pool(client), await a_pool(client)
    first, second = await a_volunteer(client, mine), await a_volunteer(client, mine)
    outsider = await a_volunteer(client, other)
    body = {"key": "intervjuteknik", "completed_on": "2026-05-01", "note": "Kurs i stadshuset"}
    as_mine = {"as_": COORDINATOR, "pools": (mine["key"], other["key"])}

    stranger = await client.call(
        "POST",
        f"/v1/pools/{mine['id']}/qualifications",
        json={**body, "volunteer_ids": [first["id"], outsider["id"]]},
        expect=409,
        **as_mine,
    )
    assert "inte med i poolen" in stranger.json()["detail"]
    unknown = await client.call(
        "POST",
        f"/v1/pools/{mine['id']}/qualifications",
        json={**body, "key": "pahittad", "volunteer_ids": [first["id"]]},
        expect=409,
        **as_mine,
    )
    assert "Poolen kräver inte" in unknown.json()["detail"]
    not_theirs = await client.call(
        "POST",
        f"/v1/pools/{other['id']}/qualifications",
        json={**body, "volunteer_ids": [outsider["id"]]},
        as_=COORDINATOR,
        pools=(mine["key"],),
        expect=403,
    )
    assert "Du samordnar inte den här poolen" in not_theirs.json()["detail"]
    for person in (first, outsider):
        seen = await client.get(f"/v1/volunteers/{person['id']}", as_=ADMIN)
        assert "Kurs i stadshuset" not in [q["note"] for q in seen["qualifications"]]

    recorded = await client.post(
        f"/v1/pools/{mine['id']}/qualifications",
        {**body, "volunteer_ids": [first["id"], second["id"]]},
        **as_mine,
    )
    assert sorted(r["volunteer_id"] for r in recorded) == sorted([first["id"], second["id"]])
    assert {r["kind"] for r in recorded} == {"training"}  # the pool's kind, not a form's
    for person in (first, second):
        seen = await client.get(f"/v1/volunteers/{person['id']}", as_=ADMIN)
        assert "Kurs i stadshuset" in [q["note"] for q in seen["qualifications"]]
