"""Pools and their requirements over HTTP: who may create them, who sees them."""

from __future__ import annotations

from .conftest import Client
from .world import ADMIN, COORDINATOR, STAFF, a_pool


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
